import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { orderSaga } from '../../functions/order/definition.js';
import { outcomeNonceKey, sagaKey } from '../../lib/core/index.js';
import { LocalSecretStore, localSecretsManagerClient } from '../../lib/local/secrets.js';
import { Notifier } from '../../lib/runtime/notifier/index.js';
import { createOutcomeApiHandler, outcomeApiDepsFromEnv, signOutcomeRequest, type OutcomeApiDeps } from '../../lib/runtime/outcome-api/outcome-api.js';
import { InMemoryMetrics, silentLogger, type Logger } from '../../lib/runtime/shared/ports.js';
import { receiversPut } from '../../lib/runtime/shared/receivers.js';
import { secretsManagerReader } from '../../lib/runtime/shared/secrets.js';
import { freshTable } from '../support/dynamo.js';

/**
 * The outcome query API against the local DynamoDB engine, with the receivers' keys in a local
 * Secrets Manager (the SDK client answered in process): each refusal — missing signature, bad key,
 * unknown key, stale timestamp, replayed nonce, another receiver's saga — and key rotation.
 */

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
let now = T0;
const clock = { now: () => now };
const KEYS = { merchant: 'merchant-api-key-0123456789abcdef', auditor: 'auditor-api-key-abcdefghijklmnop' };
const store = new LocalSecretStore({ 'keys/merchant': KEYS.merchant, 'keys/auditor': KEYS.auditor });
const refusals: string[] = [];
const logger: Logger = { log: (_level, _message, fields) => void (typeof fields?.why === 'string' && refusals.push(fields.why)) };
let table: Awaited<ReturnType<typeof freshTable>>;
let handler: ReturnType<typeof createOutcomeApiHandler>;

/** A function URL event (payload format 2.0) as Lambda builds it from an HTTP request. */
function request(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<LambdaFunctionURLResult & { statusCode: number; headers: Record<string, string>; body: string }> {
  const event = { version: '2.0', rawPath: path, rawQueryString: '', headers, requestContext: { http: { method, path } }, isBase64Encoded: false } as unknown as LambdaFunctionURLEvent;
  return handler(event) as never;
}
const signed = (path: string, keyId = 'merchant', secret: string = KEYS.merchant, at = now, nonce?: string) => signOutcomeRequest({ keyId, secret, method: 'GET', path, now: at, ...(nonce ? { nonce } : {}) });
const newSagaId = () => `s-${randomUUID().replace(/-/g, '').slice(0, 20)}`;

async function putSaga(receivers: readonly string[] | undefined, status = 'compensated'): Promise<string> {
  const sagaId = newSagaId();
  if (receivers) await table.client.send(new PutCommand(receiversPut(table.tableName, sagaId, receivers, now).Put));
  await table.client.send(
    new PutCommand({
      TableName: table.tableName,
      Item: { ...sagaKey(sagaId), kind: 'saga', sagaId, definition: 'order', definitionVersion: 1, status, terminalEvent: 'StockReleased', startedAt: new Date(T0).toISOString(), updatedAt: new Date(T0).toISOString(), deadline: 'x', lastEventAt: 'x', version: 3, timeline: [] },
    }),
  );
  return sagaId;
}

const deps = (over: Partial<OutcomeApiDeps> = {}): OutcomeApiDeps => ({
  client: table.client,
  tableName: table.tableName,
  keySecrets: { merchant: 'keys/merchant', auditor: 'keys/auditor' },
  secrets: secretsManagerReader({ client: localSecretsManagerClient(store) }),
  clock,
  logger,
  ...over,
});

let merchantSaga = '';
let auditorSaga = '';

beforeAll(async () => {
  table = await freshTable('outcome');
  handler = createOutcomeApiHandler(orderSaga, deps());
  merchantSaga = await putSaga(['merchant']);
  auditorSaga = await putSaga(['auditor']);
  // the merchant's notification was given up (nothing listens at the URL): the API shows its state
  await new Notifier(orderSaga, { endpoints: [{ id: 'merchant', url: 'http://127.0.0.1:9/closed', unsigned: true }], maxAttempts: 1, requestTimeoutMs: 1_000 }, { client: table.client, tableName: table.tableName, clock, logger: silentLogger, metrics: new InMemoryMetrics() }).notify({
    eventId: randomUUID(),
    sagaId: merchantSaga,
    definition: 'order',
    definitionVersion: orderSaga.version,
    type: 'StockReleased',
    producer: 'inventory',
    occurredAt: new Date(now).toISOString(),
    payload: { orderId: 'o-1', sku: 'sku-1', quantity: 1 },
  });
});
afterAll(() => table.raw.destroy());

describe('outcome query API', () => {
  it("returns a receiver's own saga: the outcome and its notification", async () => {
    const path = `/sagas/${merchantSaga}`;
    const res = await request(path, signed(path));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      sagaId: merchantSaga,
      status: 'compensated',
      final: true,
      terminalEvent: 'StockReleased',
      outcome: { sagaId: merchantSaga, status: 'compensated', terminalEvent: { type: 'StockReleased' } },
      notification: { state: 'gave-up', attempts: 1, flagged: true },
    });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it.each([
    ['missing signature', () => ({}), 'missing authorization header'],
    ['another scheme', () => ({ authorization: `Bearer ${KEYS.merchant}` }), 'authorization is not'],
    ['no nonce (the old header)', () => ({ authorization: signed('/sagas/x').authorization.replace(/,nonce=[^,]+/, '') }), 'authorization is not'],
    ['bad key', () => signed(`/sagas/${merchantSaga}`, 'merchant', 'not-the-merchant-key-0123456789'), 'bad signature'],
    ['unknown key id', () => signed(`/sagas/${merchantSaga}`, 'stranger', KEYS.merchant), 'unknown key id stranger'],
    ['signature for another path', () => signed(`/sagas/${auditorSaga}`), 'bad signature'],
    ['stale timestamp', () => signed(`/sagas/${merchantSaga}`, 'merchant', KEYS.merchant, now - 301_000), 'outside the accepted window'],
    ['timestamp from the future', () => signed(`/sagas/${merchantSaga}`, 'merchant', KEYS.merchant, now + 301_000), 'outside the accepted window'],
  ])('refuses %s with 401, saying only how to authenticate', async (_name, headers, why) => {
    const res = await request(`/sagas/${merchantSaga}`, headers());
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('SAGA-HMAC-SHA256');
    expect(res.body).not.toContain('compensated');
    expect(refusals.at(-1)).toContain(why);
  });

  it('refuses a replayed request within the window: the nonce is remembered in the table with a TTL past the window', async () => {
    const path = `/sagas/${merchantSaga}`;
    const headers = signed(path, 'merchant', KEYS.merchant, now, 'nonce-replayed-000001');
    expect((await request(path, headers)).statusCode).toBe(200);
    const replay = await request(path, headers);
    expect(replay.statusCode).toBe(401);
    expect(refusals.at(-1)).toBe('replayed nonce nonce-replayed-000001');
    const item = await table.client.send(new PutCommand({ TableName: table.tableName, Item: { ...outcomeNonceKey('merchant', 'nonce-replayed-000001'), probe: true }, ConditionExpression: 'attribute_not_exists(pk)' })).catch((e: Error) => e.name);
    expect(item).toBe('ConditionalCheckFailedException');
    // the same nonce under another key is another request
    const auditorPath = `/sagas/${auditorSaga}`;
    expect((await request(auditorPath, signed(auditorPath, 'auditor', KEYS.auditor, now, 'nonce-replayed-000001'))).statusCode).toBe(200);
  });

  it("answers another receiver's saga exactly as an unknown one (404), and a saga that named no receiver to nobody", async () => {
    const other = `/sagas/${auditorSaga}`;
    const unknown = `/sagas/${newSagaId()}`;
    const nobodys = `/sagas/${await putSaga(undefined)}`;
    const answers = await Promise.all([other, unknown, nobodys].map(async (path) => request(path, signed(path))));
    expect(answers.map((a) => a.statusCode)).toEqual([404, 404, 404]);
    expect(new Set(answers.map((a) => JSON.parse(a.body).message.replace(/s-[a-z0-9]+/, '<id>'))).size).toBe(1);
    // the auditor itself reads it
    expect((await request(other, signed(other, 'auditor', KEYS.auditor))).statusCode).toBe(200);
  });

  it('answers 400 for a malformed id and 405 for other methods', async () => {
    expect((await request('/sagas/x', signed('/sagas/x'))).statusCode).toBe(400);
    const path = `/sagas/${merchantSaga}`;
    expect((await request(path, signOutcomeRequest({ keyId: 'merchant', secret: KEYS.merchant, method: 'POST', path, now }), 'POST')).statusCode).toBe(405);
  });

  it('accepts a rotated key at once (one fresh read after a failed check), and bounds the fresh reads forged requests cause', async () => {
    const rotating = new LocalSecretStore({ 'keys/merchant': KEYS.merchant });
    const api = createOutcomeApiHandler(orderSaga, deps({ keySecrets: { merchant: 'keys/merchant' }, secrets: secretsManagerReader({ client: localSecretsManagerClient(rotating), maxAgeSeconds: 3600 }), refetchIntervalMs: 30_000 }));
    const call = (headers: Record<string, string>) => api({ version: '2.0', rawPath: `/sagas/${merchantSaga}`, rawQueryString: '', headers, requestContext: { http: { method: 'GET' } } } as unknown as LambdaFunctionURLEvent) as Promise<{ statusCode: number }>;
    expect((await call(signed(`/sagas/${merchantSaga}`))).statusCode).toBe(200);
    const rotated = 'merchant-api-key-rotated-9876543210';
    rotating.put('keys/merchant', rotated);
    expect((await call(signed(`/sagas/${merchantSaga}`, 'merchant', rotated))).statusCode).toBe(200);
    expect(rotating.reads).toBe(2);
    // forged signatures right after: refused without another read until the interval has passed
    for (let i = 0; i < 5; i++) expect((await call(signed(`/sagas/${merchantSaga}`, 'merchant', 'forged-key-0123456789abcdef'))).statusCode).toBe(401);
    expect(rotating.reads).toBe(2);
    now += 31_000;
    expect((await call(signed(`/sagas/${merchantSaga}`, 'merchant', 'forged-key-0123456789abcdef'))).statusCode).toBe(401);
    expect(rotating.reads).toBe(3);
  });

  it('answers 503 and logs the secret when a key cannot be read (never lets the request through)', async () => {
    const errors: Array<Record<string, unknown> | undefined> = [];
    const api = createOutcomeApiHandler(orderSaga, deps({ keySecrets: { merchant: 'keys/deleted' }, logger: { log: (level, _m, fields) => void (level === 'error' && errors.push(fields)) } }));
    const res = (await api({ version: '2.0', rawPath: `/sagas/${merchantSaga}`, rawQueryString: '', headers: signed(`/sagas/${merchantSaga}`), requestContext: { http: { method: 'GET' } } } as unknown as LambdaFunctionURLEvent)) as { statusCode: number };
    expect(res.statusCode).toBe(503);
    expect(errors).toEqual([expect.objectContaining({ secretId: 'keys/deleted', error: expect.stringMatching(/ResourceNotFoundException/) })]);
  });

  it('reads the key secrets\' names (never the keys) from the environment the construct writes', () => {
    vi.stubEnv('SAGA_DEFINITION_NAME', 'order'); // the bundled definition's check reads the process environment
    const env = { SAGA_TABLE_NAME: 't', SAGA_DEFINITION_NAME: 'order', SAGA_OUTCOME_API_KEY_SECRETS: JSON.stringify({ merchant: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:merchant-key-AbCdEf' }) };
    expect(outcomeApiDepsFromEnv(orderSaga, env).keySecrets).toEqual({ merchant: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:merchant-key-AbCdEf' });
    expect(() => outcomeApiDepsFromEnv(orderSaga, { ...env, SAGA_OUTCOME_API_KEY_SECRETS: '{}' })).toThrow(/names no key/);
    expect(() => outcomeApiDepsFromEnv(orderSaga, { ...env, SAGA_OUTCOME_API_KEY_SECRETS: '{"bad id!":"x"}' })).toThrow(/SAGA_OUTCOME_API_KEY_SECRETS is invalid/);
    vi.unstubAllEnvs();
  });
});
