import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import orderApp from '../../lib/cli/reference/app.js';
import { bufferIO } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/main.js';
import { createOperatorCommands } from '../../lib/cli/operator/commands.js';
import { localOperatorContext } from '../../lib/cli/operator/local.js';
import { TIMEOUT_EVENT } from '../../lib/core/definition.js';
import { participantNames } from '../../lib/core/model.js';
import { seedDataFor } from '../../lib/local/app.js';
import { LocalCloud } from '../../lib/local/cloud.js';
import { DynamoDbEngine, startLocalDynamoDb, type LocalDynamoDb } from '../../lib/local/dynamodb/index.js';
import { scheduleReconciler } from '../../lib/local/reconciler-schedule.js';
import type { StepImplementations } from '../../lib/runtime/participant/step-types.js';
import transferApp from '../fixtures/apps/transfer/app.js';
import type { TransferSaga } from '../fixtures/apps/transfer/saga.js';
import { walletSteps } from '../fixtures/apps/transfer/wallet.js';
import { browserSkipReason, openInChromium } from '../support/browser.js';

/**
 * The pages an operator opens — `saga graph --html` and `saga inspect --html` — written by the
 * CLI for a user's saga (the transfer app, `--app`) and the reference saga, then opened in
 * headless Chromium: no console error, no request beyond the file, the expected elements, and a
 * screenshot in a temporary folder (printed, never committed).
 */
const SKIP = browserSkipReason();
if (SKIP) console.warn(`\n[html-pages] BROWSER TESTS SKIPPED: ${SKIP}\n`);

const APP = 'test/fixtures/apps/transfer/app.ts';
const out = mkdtempSync(join(tmpdir(), 'saga-html-'));
const file = (name: string) => join(out, name);

async function saga_(argv: string[], commands?: Parameters<typeof main>[2]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO();
  const code = await main(argv, io, commands);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

/** Opens the page, checks it loaded cleanly, runs `check`, takes a full-page screenshot. */
async function inBrowser(path: string, check: (page: import('playwright-core').Page) => Promise<void>): Promise<void> {
  const opened = await openInChromium(path);
  try {
    await check(opened.page);
    const shot = path.replace(/\.html$/, '.png');
    await opened.page.screenshot({ path: shot, fullPage: true });
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
    console.info(`[html-pages] screenshot: ${shot}`);
    expect(opened.errors).toEqual([]);
  } finally {
    await opened.close();
  }
}

const count = (page: import('playwright-core').Page, selector: string) => page.locator(selector).count();

describe.skipIf(SKIP !== '')('saga graph --html in Chromium', () => {
  for (const [name, args, app] of [
    ['transfer (--app)', ['--app', APP], transferApp],
    ['order (reference)', [], orderApp],
  ] as const) {
    it(`draws a node per step and per event, and the compensation arrows: ${name}`, async () => {
      const path = file(`graph-${app.definition.name}.html`);
      const result = await saga_(['graph', ...args, '--html', path]);
      expect(result).toMatchObject({ code: 0, out: `Wrote ${path}: the choreography of "${app.definition.name}" (open it in a browser).` });
      const html = readFileSync(path, 'utf8');
      expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);

      const def = app.definition;
      const steps = Object.values(def.participants as Record<string, { steps: Record<string, unknown> }>).flatMap((p) => Object.keys(p.steps));
      const events = new Set([def.start, ...Object.keys(def.events), TIMEOUT_EVENT]);
      await inBrowser(path, async (page) => {
        expect(await count(page, `svg.graph[data-saga="${def.name}"]`)).toBe(1);
        expect(await count(page, '.node.step')).toBe(steps.length);
        expect(await count(page, '.node.event')).toBe(events.size);
        for (const p of participantNames(def)) expect(await count(page, `.node.step[data-participant="${p}"]`)).toBeGreaterThan(0);
        expect(await count(page, '.edge.compensate')).toBeGreaterThan(0);
        expect(await count(page, '.node.terminal-success')).toBe(def.terminal.success.length);
        // Every node is drawn inside the picture, with a size.
        const box = (await page.locator('svg.graph').boundingBox())!;
        for (const node of await page.locator('.node').all()) {
          const b = (await node.boundingBox())!;
          expect(b.width).toBeGreaterThan(20);
          expect(b.x + b.width).toBeLessThanOrEqual(box.x + box.width + 1);
          expect(b.y + b.height).toBeLessThanOrEqual(box.y + box.height + 1);
        }
      });
    });
  }
});

describe.skipIf(SKIP !== '')('saga inspect --html in Chromium', () => {
  // The transfer app on the local cloud, its table served over HTTP, so `saga inspect --app` runs
  // in AWS mode (AWS_ENDPOINT_URL), as an operator's would against a deployed table.
  const refundBroken = { now: true };
  const flakyWallet: StepImplementations<TransferSaga, 'wallet'> = {
    debit: {
      forward: walletSteps.debit.forward,
      compensate: (ctx) => {
        if (refundBroken.now) throw new Error('refund service down');
        return walletSteps.debit.compensate(ctx);
      },
    },
  };
  let cloud: LocalCloud<TransferSaga>;
  let served: LocalDynamoDb;
  const saved = { ...process.env };
  const ids: Record<'completed' | 'flagged', string> = { completed: '', flagged: '' };

  beforeAll(async () => {
    const engine = new DynamoDbEngine();
    served = await startLocalDynamoDb({ engine });
    Object.assign(process.env, { AWS_ENDPOINT_URL: served.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
    cloud = await LocalCloud.start({ definition: transferApp.definition, participants: { ...transferApp.participants, wallet: flakyWallet }, engine, tableName: 'transfer-html' });
    scheduleReconciler(cloud);
    await transferApp.seed!(seedDataFor(transferApp.definition, cloud.client, cloud.tableName), { sagas: 2, random: () => 0.5 });
    ids.completed = (await cloud.startSaga({ transferId: 't-ok', from: 'acct-0', to: 'shop-0', amountCents: 300 })).sagaId;
    // shop-2 is blocked: the credit is refused and the refund fails into the wallet's DLQ.
    ids.flagged = (await cloud.startSaga({ transferId: 't-refused', from: 'acct-1', to: 'shop-2', amountCents: 400 })).sagaId;
    await cloud.runUntilQuiet();
  });

  afterAll(async () => {
    await cloud?.stop();
    await served?.stop();
    process.env = saved;
  });

  it('a flagged saga: a lane per participant, a mark per event, the failure, the dead letter with its attempts, the flag', async () => {
    const path = file('inspect-flagged.html');
    const result = await saga_(['inspect', ids.flagged, '--app', APP, '--table', cloud.tableName, '--html', path]);
    expect(result.err).toBe('');
    expect(result).toMatchObject({ code: 0, out: `Wrote ${path}: the timeline of saga ${ids.flagged} (failed-needs-attention); open it in a browser.` });
    const record = (await cloud.sagaRecord(ids.flagged))!;
    await inBrowser(path, async (page) => {
      for (const lane of ['initiator', 'wallet', 'ledger', 'reconciler']) expect(await count(page, `g.lane[data-lane="${lane}"]`)).toBe(1);
      expect(await count(page, '.mark.event')).toBe(record.timeline.length);
      expect(await count(page, '.mark.event.kind-failure[data-type="CreditRefused"][data-lane="ledger"]')).toBe(1);
      expect(await count(page, '.mark.dlq[data-lane="wallet"]')).toBe(1);
      expect(await page.locator('.mark.dlq .retries').textContent()).toBe('5 attempts');
      expect(await count(page, '.rule.flag')).toBe(1);
      expect(await page.locator('.status').first().textContent()).toBe('failed-needs-attention');
      expect(await page.locator('p.why').textContent()).toContain('wallet.debit');
      // Hovering a mark highlights its row in the events table (the page's script runs).
      const first = record.timeline[0]!.eventId;
      await page.locator(`.mark.event[data-event-id="${first}"]`).hover();
      expect(await page.locator(`tr[data-event-id="${first}"]`).getAttribute('class')).toBe('hl');
    });
  });

  it('once the refund works and the DLQ is redriven, the compensated saga shows its compensation event, and still when it was flagged', async () => {
    refundBroken.now = false;
    await cloud.consumer('wallet').dlq.moveAllTo(cloud.consumer('wallet').queue);
    await cloud.runUntilQuiet();
    const path = file('inspect-compensated.html');
    expect((await saga_(['inspect', ids.flagged, '--app', APP, '--table', cloud.tableName, '--html', path])).code).toBe(0);
    const record = (await cloud.sagaRecord(ids.flagged))!;
    expect(record.status).toBe('compensated');
    await inBrowser(path, async (page) => {
      expect(await count(page, '.mark.event.kind-compensation[data-type="Refunded"][data-lane="wallet"]')).toBe(1);
      expect(await count(page, '.mark.event.terminal-failure')).toBe(1);
      expect(await count(page, '.step-bar.state-compensated[data-step="wallet.debit"]')).toBe(1);
      // The record keeps when it was flagged: the page shows that history next to the ending.
      expect(await count(page, '.rule.flag')).toBe(1);
      expect(await page.locator('.status').first().textContent()).toBe('compensated');
    });
  });

  it('a completed saga: forward marks only, the success terminal ringed', async () => {
    const path = file('inspect-completed.html');
    expect((await saga_(['inspect', ids.completed, '--app', APP, '--table', cloud.tableName, '--html', path, '--json'])).out).toContain('"status": "completed"');
    await inBrowser(path, async (page) => {
      expect(await count(page, '.mark.event.kind-compensation')).toBe(0);
      expect(await count(page, '.mark.event.terminal-success[data-type="Credited"]')).toBe(1);
      expect(await count(page, '.mark.dlq')).toBe(0);
    });
  });
});

describe.skipIf(SKIP !== '')('saga inspect --html with the DLQs known (local cloud context)', () => {
  it('marks the message that is in a DLQ now', async () => {
    const cloud = await LocalCloud.start({ definition: transferApp.definition, participants: { ...transferApp.participants, ledger: { credit: { forward: () => Promise.reject(new Error('bank API down')), compensate: transferApp.participants.ledger.credit.compensate } } } });
    try {
      await transferApp.seed!(seedDataFor(transferApp.definition, cloud.client, cloud.tableName), { sagas: 1, random: () => 0.5 });
      const { sagaId } = await cloud.startSaga({ transferId: 't-dlq', from: 'acct-0', to: 'shop-0', amountCents: 100 });
      await cloud.runUntilQuiet({ maxVirtualMs: 100_000 });
      const path = file('inspect-in-dlq.html');
      const commands = createOperatorCommands(async () => localOperatorContext(cloud));
      expect((await saga_(['inspect', sagaId, '--html', path], commands)).code).toBe(0);
      await inBrowser(path, async (page) => {
        expect(await count(page, '.mark.dlq.in-dlq[data-lane="ledger"]')).toBe(1);
        expect(await page.locator('h2', { hasText: 'Dead letters and retries' }).count()).toBe(1);
      });
    } finally {
      await cloud.stop();
    }
  });
});
