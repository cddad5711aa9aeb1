import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderSaga } from '../../functions/order/definition.js';
import { sagaKey, sourceFor, type Envelope } from '../../lib/core/index.js';
import { createNotifierHandler, listFlaggedNotifications, Notifier, notificationBackoffMs, notifierOptionsFromEnv, readNotifications, type NotifierOptions } from '../../lib/runtime/notifier.js';
import { createOutcomeApiHandler, signOutcomeRequest } from '../../lib/runtime/outcome-api.js';
import { InMemoryMetrics, METRIC, silentLogger } from '../../lib/runtime/ports.js';
import { freshTable } from '../support/dynamo.js';

/**
 * Best-effort notification against a real local HTTP server (node:http) that fails the first N
 * requests of each path, and the outcome query API — called over real HTTP too.
 */

interface Received {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly status: number;
}

/** A receiver that answers 503 to the first `failFirst[path]` requests of a path, then 200. */
class Receiver {
  readonly received: Received[] = [];
  readonly failFirst = new Map<string, number>();
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const path = req.url ?? '/';
        const seen = this.received.filter((r) => r.path === path).length;
        const status = seen < (this.failFirst.get(path) ?? 0) ? 503 : 200;
        this.received.push({ path, headers: req.headers, body, status });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'try later');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
let now = T0;
const clock = { now: () => now };
const SECRET = 'merchant-signing-secret-0123456789';
let table: Awaited<ReturnType<typeof freshTable>>;
const receiver = new Receiver();
const metrics = new InMemoryMetrics();

beforeAll(async () => {
  table = await freshTable('notify');
  await receiver.start();
});
afterAll(async () => {
  await receiver.stop();
  table.raw.destroy();
});

function terminalEvent(sagaId: string, type: 'OrderCompleted' | 'StockReleased' = 'OrderCompleted'): Envelope {
  return {
    eventId: randomUUID(),
    sagaId,
    definition: orderSaga.name,
    definitionVersion: orderSaga.version,
    type,
    producer: type === 'OrderCompleted' ? 'order' : 'inventory',
    occurredAt: new Date(now).toISOString(),
    payload: type === 'OrderCompleted' ? { orderId: `o-${sagaId}` } : { orderId: `o-${sagaId}`, sku: 'sku-1', quantity: 1 },
  };
}

const newSagaId = () => `s-${randomUUID().replace(/-/g, '').slice(0, 20)}`;

function notifier(path: string, options: Partial<NotifierOptions> = {}): Notifier {
  return new Notifier(orderSaga, { endpoints: [{ id: 'merchant', url: `${receiver.url}${path}`, secret: SECRET }], firstRetryDelayMs: 10_000, maxRetryDelayMs: 60_000, requestTimeoutMs: 2_000, ...options }, {
    client: table.client,
    tableName: table.tableName,
    clock,
    logger: silentLogger,
    metrics,
  });
}

describe('best-effort notification (real HTTP receiver)', () => {
  it('delivers after retries with exponential backoff, recording every attempt', async () => {
    // GIVEN a receiver that fails the first 2 requests
    const sagaId = newSagaId();
    const path = `/hooks/${sagaId}`;
    receiver.failFirst.set(path, 2);
    const n = notifier(path);
    // WHEN the saga's terminal event arrives: the first attempt is made at once and fails
    const [opened] = await n.notify(terminalEvent(sagaId));
    expect(opened).toMatchObject({ state: 'pending', attempts: 1, lastStatus: 503 });
    // the next attempt waits for the backoff (timeout + 10 s): a sweep before that does nothing
    now += 11_000;
    expect((await n.sweep()).attempted).toBe(0);
    now += 2_000;
    expect(await n.sweep()).toMatchObject({ attempted: 1, delivered: 0 });
    // second retry after timeout + 20 s
    now += 21_000;
    expect((await n.sweep()).attempted).toBe(0);
    now += 2_000;
    expect(await n.sweep()).toMatchObject({ attempted: 1, delivered: 1 });
    // THEN the receiver got three identical, signed requests and answered 503, 503, 200
    const got = receiver.received.filter((r) => r.path === path);
    expect(got.map((r) => [r.status, r.headers['x-saga-attempt']])).toEqual([
      [503, '1'],
      [503, '2'],
      [200, '3'],
    ]);
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
    const body = JSON.parse(got[0]!.body) as { sagaId: string; status: string; terminalEvent: { type: string; payload: unknown } };
    expect(body).toMatchObject({ sagaId, status: 'completed', terminalEvent: { type: 'OrderCompleted', payload: { orderId: `o-${sagaId}` } } });
    for (const r of got) {
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r.headers['x-saga-signature']))!;
      expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${r.body}`).digest('hex'));
      expect(r.headers['x-saga-notification-id']).toBe(`${sagaId}:merchant`);
    }
    // AND every attempt is recorded, the notification is delivered and out of the retry index
    const { notifications, attempts } = await readNotifications(table.client, table.tableName, sagaId);
    expect(attempts.map((a) => [a.attempt, a.outcome, a.status])).toEqual([
      [1, 'failed', 503],
      [2, 'failed', 503],
      [3, 'delivered', 200],
    ]);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]).toMatchObject({ state: 'delivered', attempts: 3, deliveredAt: new Date(now).toISOString() });
    expect(notifications[0]!.openShard).toBeUndefined();
    expect((await n.sweep()).attempted).toBe(0);
  });

  it('gives up after the maximum attempts and flags the notification', async () => {
    const sagaId = newSagaId();
    const path = `/down/${sagaId}`;
    receiver.failFirst.set(path, 1_000);
    const n = notifier(path, { maxAttempts: 4 });
    const givenUpBefore = metrics.total(METRIC.notificationsGivenUp);
    await n.notify(terminalEvent(sagaId, 'StockReleased'));
    for (let i = 0; i < 10; i++) {
      now += 120_000;
      await n.sweep();
    }
    expect(receiver.received.filter((r) => r.path === path)).toHaveLength(4);
    const { notifications, attempts } = await readNotifications(table.client, table.tableName, sagaId);
    expect(attempts.map((a) => a.outcome)).toEqual(['failed', 'failed', 'failed', 'failed']);
    expect(notifications[0]).toMatchObject({ state: 'gave-up', flagged: true, attempts: 4, lastStatus: 503, lastError: 'HTTP 503' });
    expect((await listFlaggedNotifications(table.client, table.tableName, 1000)).map((f) => f.sagaId)).toContain(sagaId);
    expect(metrics.total(METRIC.notificationsGivenUp)).toBe(givenUpBefore + 1);
    expect(JSON.parse(receiver.received.find((r) => r.path === path)!.body)).toMatchObject({ status: 'compensated' });
  });

  it('records a connection failure as a failed attempt (nothing listens)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const sagaId = newSagaId();
    const n = new Notifier(orderSaga, { endpoints: [{ id: 'gone', url: `http://127.0.0.1:${port}/x` }], maxAttempts: 1 }, { client: table.client, tableName: table.tableName, clock, logger: silentLogger, metrics });
    const [result] = await n.notify(terminalEvent(sagaId));
    expect(result).toMatchObject({ state: 'gave-up', flagged: true, attempts: 1 });
    expect(result?.lastError).toMatch(/fetch failed|ECONNREFUSED|TypeError/);
  });

  it('opens one notification per saga and endpoint however often the terminal event is delivered, and only for wanted events', async () => {
    const sagaId = newSagaId();
    const handler = createNotifierHandler(
      orderSaga,
      {
        endpoints: [
          { id: 'all', url: `${receiver.url}/all/${sagaId}` },
          { id: 'failures-only', url: `${receiver.url}/failures/${sagaId}`, events: ['StockReleased', 'StockUnavailable'] },
        ],
      },
      { client: table.client, tableName: table.tableName, clock, logger: silentLogger, metrics },
    );
    const env = terminalEvent(sagaId);
    const body = JSON.stringify({ version: '0', id: randomUUID(), 'detail-type': env.type, source: sourceFor(orderSaga, env.producer), account: '0', time: env.occurredAt, region: 'local', resources: [], detail: env });
    const sqs = (id: string) => ({ messageId: id, receiptHandle: id, body, attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' }, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn', awsRegion: 'local' });
    expect(await handler({ Records: [sqs('m1'), sqs('m2')] })).toEqual({ batchItemFailures: [] });
    expect(await handler({ 'detail-type': 'Scheduled Event' })).toMatchObject({ attempted: 0 });
    const { notifications, attempts } = await readNotifications(table.client, table.tableName, sagaId);
    expect(notifications.map((x) => [x.endpointId, x.state])).toEqual([['all', 'delivered']]);
    expect(attempts).toHaveLength(1);
    expect(receiver.received.filter((r) => r.path === `/all/${sagaId}`)).toHaveLength(1);
  });

  it('backs off exponentially up to the maximum delay', () => {
    expect([1, 2, 3, 4, 5, 6].map((f) => notificationBackoffMs(f, { firstRetryDelayMs: 1_000, maxRetryDelayMs: 10_000 }))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  it('reads its configuration from the environment the construct writes', () => {
    const env = { SAGA_NOTIFY_ENDPOINTS: JSON.stringify([{ id: 'merchant', url: 'https://merchant.example/hooks' }]), SAGA_NOTIFY_MAX_ATTEMPTS: '3', SAGA_NOTIFY_FIRST_RETRY_SECONDS: '15' };
    expect(notifierOptionsFromEnv(env)).toEqual({ endpoints: [{ id: 'merchant', url: 'https://merchant.example/hooks' }], maxAttempts: 3, firstRetryDelayMs: 15_000, maxRetryDelayMs: 3_600_000, requestTimeoutMs: 5_000 });
    expect(() => notifierOptionsFromEnv({})).toThrow(/SAGA_NOTIFY_ENDPOINTS is not set/);
    expect(() => notifierOptionsFromEnv({ SAGA_NOTIFY_ENDPOINTS: '[{' })).toThrow(/SAGA_NOTIFY_ENDPOINTS is not valid JSON/);
    expect(() => notifierOptionsFromEnv({ SAGA_NOTIFY_ENDPOINTS: '[{"id":"x","url":"not a url"}]' })).toThrow(/SAGA_NOTIFY_ENDPOINTS is invalid: 0.url/);
  });

  it('fails if the endpoints are misconfigured', () => {
    const deps = { client: table.client, tableName: table.tableName, logger: silentLogger, metrics };
    expect(() => new Notifier(orderSaga, { endpoints: [{ id: 'Bad Id', url: 'http://x' }] }, deps)).toThrow(/endpoints are invalid/);
    expect(() => new Notifier(orderSaga, { endpoints: [{ id: 'a', url: 'http://x' }, { id: 'a', url: 'http://y' }] }, deps)).toThrow(/used twice/);
    expect(() => new Notifier(orderSaga, { endpoints: [{ id: 'a', url: 'http://x', events: ['OrderCreated'] }] }, deps)).toThrow(/not terminal events/);
  });
});

describe('outcome query API (function URL handler, served over real HTTP)', () => {
  const KEYS = { merchant: SECRET, auditor: 'auditor-secret-abcdefghijklmnop' };
  let api: Server;
  let apiUrl = '';
  let sagaId = '';

  /** Serves the Lambda function URL handler over node:http, converting requests as the function URL does. */
  beforeAll(async () => {
    const handler = createOutcomeApiHandler(orderSaga, { client: table.client, tableName: table.tableName, keys: KEYS, clock });
    api = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const event = {
        version: '2.0',
        rawPath: url.pathname,
        rawQueryString: url.search.replace(/^\?/, ''),
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        requestContext: { http: { method: req.method ?? 'GET', path: url.pathname } },
        isBase64Encoded: false,
      } as unknown as LambdaFunctionURLEvent;
      void handler(event).then((r) => {
        const result = r as { statusCode: number; headers: Record<string, string>; body: string };
        res.writeHead(result.statusCode, result.headers).end(result.body);
      });
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    // a compensated saga whose merchant notification was given up
    sagaId = newSagaId();
    await table.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...sagaKey(sagaId), kind: 'saga', sagaId, definition: 'order', definitionVersion: 1, status: 'compensated', terminalEvent: 'StockReleased', startedAt: new Date(T0).toISOString(), updatedAt: new Date(T0).toISOString(), deadline: 'x', lastEventAt: 'x', version: 3, timeline: [] },
      }),
    );
    receiver.failFirst.set(`/api-case/${sagaId}`, 1_000);
    await notifier(`/api-case/${sagaId}`, { maxAttempts: 1 }).notify(terminalEvent(sagaId, 'StockReleased'));
  });
  afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())));

  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => fetch(`${apiUrl}${path}`, { method, headers });
  const signed = (path: string, keyId = 'merchant', secret: string = SECRET, at = now) => signOutcomeRequest({ keyId, secret, method: 'GET', path, now: at });

  it('returns the outcome and this receiver\'s notification to a signed request', async () => {
    const res = await get(`/sagas/${sagaId}`, signed(`/sagas/${sagaId}`));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      sagaId,
      status: 'compensated',
      final: true,
      terminalEvent: 'StockReleased',
      outcome: { sagaId, status: 'compensated', terminalEvent: { type: 'StockReleased' } },
      notification: { state: 'gave-up', attempts: 1, flagged: true },
    });
    // another receiver sees the outcome but not the merchant's notification
    const other = await (await get(`/sagas/${sagaId}`, signed(`/sagas/${sagaId}`, 'auditor', KEYS.auditor))).json();
    expect(other).toMatchObject({ status: 'compensated', final: true });
    expect(other).not.toHaveProperty('notification');
  });

  it('rejects unauthenticated calls: no signature, a bad one, an unknown key, a stale timestamp', async () => {
    const path = `/sagas/${sagaId}`;
    const cases: Record<string, Record<string, string>> = {
      none: {},
      bearer: { authorization: `Bearer ${SECRET}` },
      badSignature: signed(path, 'merchant', 'not-the-merchant-secret-123456'),
      unknownKey: signed(path, 'stranger', SECRET),
      otherPath: signed('/sagas/s-someone-elses-saga'),
      stale: signed(path, 'merchant', SECRET, now - 600_000),
    };
    for (const [name, headers] of Object.entries(cases)) {
      const res = await get(path, headers);
      expect(res.status, name).toBe(401);
      expect(res.headers.get('www-authenticate'), name).toBe('SAGA-HMAC-SHA256');
      expect(JSON.stringify(await res.json()), name).not.toContain('compensated');
    }
  });

  it('answers 404 for an unknown saga, 400 for a malformed id, 405 for other methods', async () => {
    const unknown = `/sagas/${newSagaId()}`;
    expect((await get(unknown, signed(unknown))).status).toBe(404);
    expect((await get('/sagas/x', signed('/sagas/x'))).status).toBe(400);
    const path = `/sagas/${sagaId}`;
    const post = signOutcomeRequest({ keyId: 'merchant', secret: SECRET, method: 'POST', path, now });
    expect((await get(path, post, 'POST')).status).toBe(405);
  });
});
