import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signNotification } from '../../lib/runtime/notifier/index.js';

/**
 * The receiver's signature check shown in docs/deploy.md, run as written against signatures the
 * notifier makes: a receiver copying it accepts fresh genuine requests and refuses old, altered or
 * foreign ones.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const DIR = join(ROOT, 'node_modules', '.cache', `receiver-signature-${process.pid}`);
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

async function snippet(): Promise<(header: string | undefined, rawBody: string, secret: string, toleranceSeconds?: number, now?: number) => boolean> {
  const doc = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');
  const block = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((code) => code.includes('export function verifySagaSignature'));
  if (!block) throw new Error('docs/deploy.md has no ```ts block exporting verifySagaSignature');
  mkdirSync(DIR, { recursive: true });
  const file = join(DIR, 'verify.ts');
  writeFileSync(file, block);
  return ((await import(file)) as { verifySagaSignature: never }).verifySagaSignature;
}

describe("docs/deploy.md: the receiver's webhook signature check", () => {
  it('accepts a fresh genuine request and refuses an old, altered, foreign or malformed one', async () => {
    const verify = await snippet();
    const secret = 'merchant-signing-secret-0123456789';
    const body = JSON.stringify({ sagaId: 's-0123456789', status: 'completed' });
    const sentAt = Date.parse('2026-03-01T12:00:00.000Z');
    const header = signNotification(secret, body, sentAt);
    expect(verify(header, body, secret, 300, sentAt + 2_000)).toBe(true);
    expect(verify(header, body, secret, 300, sentAt + 301_000)).toBe(false); // replayed later
    expect(verify(header, body.replace('completed', 'compensated'), secret, 300, sentAt)).toBe(false);
    expect(verify(header, body, 'another-secret-0123456789abcdef', 300, sentAt)).toBe(false);
    expect(verify(header.replace(/^t=\d+/, `t=${Math.floor(sentAt / 1000) + 100}`), body, secret, 300, sentAt)).toBe(false); // a moved timestamp breaks the signature
    expect(verify(undefined, body, secret)).toBe(false);
    expect(verify('v1=abc', body, secret)).toBe(false);
  });
});
