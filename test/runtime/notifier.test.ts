import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { orderSaga } from '../../functions/order/definition.js';
import { sourceFor, type Envelope } from '../../lib/core/index.js';
import { LocalSecretStore, localSecretsManagerClient } from '../../lib/local/secrets.js';
import { createNotifierHandler, listFlaggedNotifications, Notifier, notificationBackoffMs, notifierOptionsFromEnv, readNotifications, type NotifierOptions } from '../../lib/runtime/notifier/index.js';
import { InMemoryMetrics, METRIC, silentLogger } from '../../lib/runtime/shared/ports.js';
import { receiversPut } from '../../lib/runtime/shared/receivers.js';
import { secretsManagerReader } from '../../lib/runtime/shared/secrets.js';
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
const SECRET_ID = 'order-saga/merchant-signing';
/** The signing secret in a local Secrets Manager, read through the same reader as in AWS. */
const store = new LocalSecretStore({ [SECRET_ID]: SECRET });
const secrets = secretsManagerReader({ client: localSecretsManagerClient(store) });
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

/** A new saga id whose saga named `receivers` at start (the receivers item startSaga writes). */
async function newSaga(receivers: readonly string[] = ['merchant']): Promise<string> {
  const sagaId = `s-${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  await table.client.send(new PutCommand(receiversPut(table.tableName, sagaId, receivers, now).Put));
  return sagaId;
}

function notifier(path: string, options: Partial<NotifierOptions> = {}): Notifier {
  return new Notifier(orderSaga, { endpoints: [{ id: 'merchant', url: `${receiver.url}${path}`, signingSecretId: SECRET_ID }], firstRetryDelayMs: 10_000, maxRetryDelayMs: 60_000, requestTimeoutMs: 2_000, ...options }, {
    client: table.client,
    tableName: table.tableName,
    clock,
    logger: silentLogger,
    metrics,
    secrets,
  });
}

describe('best-effort notification (real HTTP receiver)', () => {
  it('delivers after retries with exponential backoff, recording every attempt', async () => {
    // GIVEN a receiver that fails the first 2 requests
    const sagaId = await newSaga();
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
    const sagaId = await newSaga();
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
    const sagaId = await newSaga(['gone']);
    const n = new Notifier(orderSaga, { endpoints: [{ id: 'gone', url: `http://127.0.0.1:${port}/x`, unsigned: true }], maxAttempts: 1 }, { client: table.client, tableName: table.tableName, clock, logger: silentLogger, metrics });
    const [result] = await n.notify(terminalEvent(sagaId));
    expect(result).toMatchObject({ state: 'gave-up', flagged: true, attempts: 1 });
    expect(result?.lastError).toMatch(/fetch failed|ECONNREFUSED|TypeError/);
  });

  it('opens one notification per saga and endpoint however often the terminal event is delivered, and only for wanted events', async () => {
    const sagaId = await newSaga(['all', 'failures-only']);
    const handler = createNotifierHandler(
      orderSaga,
      {
        endpoints: [
          { id: 'all', url: `${receiver.url}/all/${sagaId}`, unsigned: true },
          { id: 'failures-only', url: `${receiver.url}/failures/${sagaId}`, events: ['StockReleased', 'StockUnavailable'], unsigned: true },
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
    const endpoints = [{ id: 'merchant', url: 'https://merchant.example/hooks', signingSecretId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:merchant-AbCdEf' }];
    const env = { SAGA_NOTIFY_ENDPOINTS: JSON.stringify(endpoints), SAGA_NOTIFY_MAX_ATTEMPTS: '3', SAGA_NOTIFY_FIRST_RETRY_SECONDS: '15' };
    expect(notifierOptionsFromEnv(env)).toEqual({ endpoints, maxAttempts: 3, firstRetryDelayMs: 15_000, maxRetryDelayMs: 3_600_000, requestTimeoutMs: 5_000 });
    expect(() => notifierOptionsFromEnv({})).toThrow(/SAGA_NOTIFY_ENDPOINTS is not set/);
    expect(() => notifierOptionsFromEnv({ SAGA_NOTIFY_ENDPOINTS: '[{' })).toThrow(/SAGA_NOTIFY_ENDPOINTS is not valid JSON/);
    expect(() => notifierOptionsFromEnv({ SAGA_NOTIFY_ENDPOINTS: '[{"id":"x","url":"not a url"}]' })).toThrow(/SAGA_NOTIFY_ENDPOINTS is invalid: 0.url/);
  });

  it('fails if the endpoints are misconfigured', () => {
    const deps = { client: table.client, tableName: table.tableName, logger: silentLogger, metrics };
    expect(() => new Notifier(orderSaga, { endpoints: [{ id: 'Bad Id', url: 'http://x', unsigned: true }] }, deps)).toThrow(/endpoints are invalid/);
    expect(() => new Notifier(orderSaga, { endpoints: [{ id: 'a', url: 'http://x', unsigned: true }, { id: 'a', url: 'http://y', unsigned: true }] }, deps)).toThrow(/used twice/);
    expect(() => new Notifier(orderSaga, { endpoints: [{ id: 'a', url: 'http://x', events: ['OrderCreated'], unsigned: true }] }, deps)).toThrow(/not terminal events/);
    // never silently unsigned: no secret and no explicit unsigned is an error, and so is a secret without a reader
    expect(() => new Notifier(orderSaga, { endpoints: [{ id: 'a', url: 'http://x' }] }, deps)).toThrow(/endpoint "a" has no signingSecretId.*unsigned: true/);
    expect(() => new Notifier(orderSaga, { endpoints: [{ id: 'a', url: 'http://x', signingSecretId: SECRET_ID, unsigned: true }] }, { ...deps, secrets })).toThrow(/choose one/);
    expect(() => new Notifier(orderSaga, { endpoints: [{ id: 'a', url: 'http://x', signingSecretId: SECRET_ID }] }, deps)).toThrow(/no secrets reader/);
  });

  it('notifies only the receivers the saga named at start, and nobody when it named none', async () => {
    const mine = await newSaga(['merchant']);
    const others = await newSaga(['merchant-2']);
    const nobodys = `s-${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    const n = notifier('/scoped');
    expect(await n.notify(terminalEvent(mine))).toHaveLength(1);
    expect(await n.notify(terminalEvent(others))).toEqual([]);
    expect(await n.notify(terminalEvent(nobodys))).toEqual([]);
    expect((await readNotifications(table.client, table.tableName, others)).notifications).toEqual([]);
    expect(receiver.received.filter((r) => r.path === '/scoped').map((r) => JSON.parse(r.body).sagaId)).toEqual([mine]);
  });

  it('never sends unsigned when the signing secret cannot be read: the attempt fails, naming the secret, and is retried', async () => {
    const sagaId = await newSaga();
    const path = `/no-secret/${sagaId}`;
    const n = new Notifier(orderSaga, { endpoints: [{ id: 'merchant', url: `${receiver.url}${path}`, signingSecretId: 'order-saga/deleted-secret' }], maxAttempts: 3 }, { client: table.client, tableName: table.tableName, clock, logger: silentLogger, metrics, secrets });
    const [result] = await n.notify(terminalEvent(sagaId));
    expect(result).toMatchObject({ state: 'pending', attempts: 1 });
    expect(result?.lastError).toMatch(/SecretUnavailableError: Secret "order-saga\/deleted-secret" could not be read from Secrets Manager: ResourceNotFoundException/);
    expect(receiver.received.filter((r) => r.path === path)).toEqual([]);
  });

  it('picks up a rotated signing secret once its cached value expires, without a restart', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(T0);
      const rotating = new LocalSecretStore({ 'rotating/signing': 'first-signing-secret-0123456789' });
      const cached = secretsManagerReader({ client: localSecretsManagerClient(rotating), maxAgeSeconds: 60 });
      const send = async (path: string) => {
        const sagaId = await newSaga();
        const n = new Notifier(orderSaga, { endpoints: [{ id: 'merchant', url: `${receiver.url}${path}`, signingSecretId: 'rotating/signing' }] }, { client: table.client, tableName: table.tableName, clock, logger: silentLogger, metrics, secrets: cached });
        await n.notify(terminalEvent(sagaId));
        const got = receiver.received.find((r) => r.path === path)!;
        return { t: /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(got.headers['x-saga-signature']))!, body: got.body };
      };
      const signedWith = (secret: string, r: { t: RegExpExecArray; body: string }) => createHmac('sha256', secret).update(`${r.t[1]}.${r.body}`).digest('hex') === r.t[2];
      expect(signedWith('first-signing-secret-0123456789', await send('/rotate/1'))).toBe(true);
      rotating.put('rotating/signing', 'second-signing-secret-0123456789');
      // within the cache's max age the old value still signs; past it the new one does
      expect(signedWith('first-signing-secret-0123456789', await send('/rotate/2'))).toBe(true);
      vi.setSystemTime(T0 + 61_000);
      expect(signedWith('second-signing-secret-0123456789', await send('/rotate/3'))).toBe(true);
      expect(rotating.reads).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
