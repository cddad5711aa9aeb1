import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (`apt-get install chromium`; `.ci/run` installs it). Never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here, or '' when they can. Under CI a missing browser is a
 * failure, not a skip: `.ci/run` installs it, so its absence means the install step broke.
 */
export function browserSkipReason(): string {
  if (existsSync(CHROMIUM)) return '';
  const reason = `${CHROMIUM} is missing: install Debian's chromium (apt-get update && apt-get install -y chromium) to run the browser tests`;
  if (process.env.CI) throw new Error(`${reason}. CI is set, so the browser tests are required.`);
  return reason;
}

/** A page opened in headless Chromium, with every console error and uncaught exception it produced. */
export interface OpenedPage {
  readonly page: Page;
  readonly errors: string[];
  close(): Promise<void>;
}

// No network, no first-run UI, no background fetches: the page must stand on its own.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Opens a local HTML file in a fresh headless Chromium profile (its own user-data dir, removed on
 * close) and waits until it has loaded. Any request the page makes beyond its own file is counted
 * as an error: the pages must be self-contained.
 */
export async function openInChromium(file: string, viewport = { width: 1400, height: 900 }): Promise<OpenedPage> {
  const profile = mkdtempSync(join(tmpdir(), 'saga-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport });
  const errors: string[] = [];
  const page = context.pages()[0] ?? (await context.newPage());
  const url = pathToFileURL(file).href;
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (r.url() !== url) errors.push(`request beyond the file: ${r.url()}`);
  });
  await page.goto(url, { waitUntil: 'load' });
  return {
    page,
    errors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
