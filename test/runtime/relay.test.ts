import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { DeleteCommand, PutCommand, UpdateCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { outboxKey, rejectionKey } from '../../lib/core/keys.js';
import { subscriptionPattern } from '../../lib/core/model.js';
import { LocalEventBus } from '../../lib/local/bus.js';
import { VirtualClock } from '../../lib/local/clock.js';
import { LocalQueue } from '../../lib/local/queue.js';
import { StreamPoller } from '../../lib/local/stream-poller.js';
import { buildOutboxRow, type OutboxRow } from '../../lib/runtime/shared/outbox.js';
import { InMemoryMetrics, METRIC, silentLogger } from '../../lib/runtime/shared/ports.js';
import { chunkEntries, createRelayHandler, entrySize, PUT_EVENTS_MAX_ENTRIES, type RelayDeps } from '../../lib/runtime/relay/relay.js';
import { freshTable, streamsClient } from '../support/dynamo.js';
import { itemKey, shopPayloads, shopSaga } from '../fixtures/shop-saga.js';
import { loadFixture, T0, testId, testSagaId } from '../support/events.js';

/**
 * The outbox relay on DynamoDB Local's real stream: outbox INSERTs → PutEvents through a real
 * `EventBridgeClient` whose calls land in the local bus (`LocalEventBus.attachTo`).
 */

type Table = Awaited<ReturnType<typeof freshTable>>;

const tables: Table[] = [];
const closers: { destroy(): void }[] = [];
afterAll(() => {
  for (const c of closers) c.destroy();
  for (const t of tables) t.raw.destroy();
});

interface Rig {
  readonly table: Table;
  readonly bus: LocalEventBus;
  /** Entries of every PutEvents call as the SDK client sent them (spy middleware). */
  readonly calls: PutEventsRequestEntry[][];
  readonly sleeps: number[];
  readonly metrics: InMemoryMetrics;
  readonly relay: (event: DynamoDBStreamEvent) => ReturnType<ReturnType<typeof createRelayHandler>>;
  /** Stream records written since the last call, read from the table's real stream. */
  readonly newStreamRecords: () => Promise<DynamoDBRecord[]>;
  /** Throws from the client for the next `n` PutEvents calls (a network or 5xx failure). */
  failNextCalls(n: number): void;
}

let rig: Rig;

async function makeRig(overrides: Partial<RelayDeps> = {}): Promise<Rig> {
  const table = await freshTable('relay');
  tables.push(table);
  const clock = new VirtualClock(T0);
  let busIds = 0;
  const bus = new LocalEventBus('shop-bus', clock, () => `bus-${++busIds}`);
  const eventBridge = new EventBridgeClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  closers.push(eventBridge);
  bus.attachTo(eventBridge);
  const calls: PutEventsRequestEntry[][] = [];
  let failing = 0;
  eventBridge.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'PutEventsCommand') {
        calls.push([...((args.input as { Entries?: PutEventsRequestEntry[] }).Entries ?? [])]);
        if (failing > 0) {
          failing--;
          throw Object.assign(new Error('socket hang up'), { name: 'InternalServerError' });
        }
      }
      return next(args);
    },
    { step: 'initialize', name: 'spyPutEvents', priority: 'high' },
  );
  const sleeps: number[] = [];
  const metrics = new InMemoryMetrics();
  const relay = createRelayHandler(shopSaga, {
    eventBridge,
    eventBusName: bus.name,
    client: table.client,
    tableName: table.tableName,
    clock,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    logger: silentLogger,
    metrics,
    ...overrides,
  });
  const streams = streamsClient();
  closers.push(streams);
  const poller = new StreamPoller({ streamsClient: streams, streamArn: table.streamArn, batchSize: 10_000 });
  const newStreamRecords = async (): Promise<DynamoDBRecord[]> => {
    await poller.fetch();
    const out: DynamoDBRecord[] = [];
    while (await poller.deliver(async (e) => void out.push(...e.Records))) {
      /* drain */
    }
    return out;
  };
  return { table, bus, calls, sleeps, metrics, relay, newStreamRecords, failNextCalls: (n) => (failing = n) };
}

beforeEach(async () => {
  rig = await makeRig();
});

/** Writes outbox rows exactly as a committed step would (built by the runtime's own outbox code). */
async function writeOutbox(
  table: Table,
  rows: { producer: string; type: string; payload: unknown; sagaId?: string }[],
): Promise<OutboxRow[]> {
  const out: OutboxRow[] = [];
  for (const r of rows) {
    const row = await buildOutboxRow({ def: shopSaga, producer: r.producer, sagaId: r.sagaId ?? testSagaId(), emission: { type: r.type, payload: r.payload }, eventId: testId('ev'), now: T0 });
    await table.client.send(new PutCommand({ TableName: table.tableName, Item: row as unknown as Record<string, unknown> }));
    out.push(row);
  }
  return out;
}

const placed = (i: number, pad = 0) => ({
  producer: 'initiator',
  type: 'OrderPlaced',
  payload: { ...shopPayloads.orderPlaced(`o-${i}`, 'sku-1'), note: 'x'.repeat(pad) },
});

/** Event ids published to the bus, in publish order. */
const publishedIds = (bus: LocalEventBus) => bus.archive.map((e) => (e.detail as { eventId: string }).eventId);
const failures = (r: { batchItemFailures: { itemIdentifier: string }[] }) => r.batchItemFailures.map((f) => f.itemIdentifier);

describe('relay: outbox rows to EventBridge', () => {
  it('publishes every outbox row exactly once, with the source derived from its key prefix', async () => {
    // GIVEN outbox rows of three producers and an ordinary business write, on the real stream
    const sagaId = testSagaId();
    const rows = await writeOutbox(rig.table, [
      { producer: 'initiator', type: 'OrderPlaced', payload: shopPayloads.orderPlaced('o-1', 'sku-1'), sagaId },
      { producer: 'stock', type: 'StockReserved', payload: shopPayloads.stockReserved('o-1', 'sku-1'), sagaId },
      { producer: 'billing', type: 'PaymentCaptured', payload: shopPayloads.paymentCaptured('o-1'), sagaId },
    ]);
    await rig.table.client.send(new PutCommand({ TableName: rig.table.tableName, Item: { ...itemKey('sku-1'), available: 3, reserved: 0 } }));
    const stockQueue = new LocalQueue('stock', new VirtualClock(T0), () => testId('q'));
    rig.bus.addRule('stock-OrderPlaced', subscriptionPattern(shopSaga, 'OrderPlaced'), stockQueue);
    const records = await rig.newStreamRecords();
    expect(records).toHaveLength(4);
    // WHEN
    const response = await rig.relay({ Records: records });
    // THEN one call, three events, each with its producer's source and its row's detail verbatim
    expect(failures(response)).toEqual([]);
    expect(rig.calls).toHaveLength(1);
    expect(publishedIds(rig.bus)).toEqual(rows.map((r) => r.eventId));
    expect(rig.bus.archive.map((e) => [e.source, e['detail-type']])).toEqual([
      ['saga.shop.initiator', 'OrderPlaced'],
      ['saga.shop.stock', 'StockReserved'],
      ['saga.shop.billing', 'PaymentCaptured'],
    ]);
    expect(rig.calls[0]!.map((e) => e.Detail)).toEqual(rows.map((r) => r.detail));
    expect(rig.calls[0]!.every((e) => e.EventBusName === 'shop-bus')).toBe(true);
    expect(rig.metrics.total(METRIC.eventsPublished)).toBe(3);
    // AND the subscribed queue received the start event, once
    expect(stockQueue.size).toBe(1);
  });

  it('ignores non-outbox INSERTs, MODIFYs and REMOVEs (real Lambda stream batch fixture)', async () => {
    // GIVEN the fixture: an outbox INSERT, a business INSERT, a MODIFY and a TTL REMOVE of outbox rows
    const fixture = loadFixture('stream-outbox-batch.json') as DynamoDBStreamEvent;
    // WHEN
    const response = await rig.relay(fixture);
    // THEN only the outbox INSERT is published
    expect(failures(response)).toEqual([]);
    expect(rig.bus.archive).toHaveLength(1);
    expect(rig.bus.archive[0]).toMatchObject({ source: 'saga.shop.stock', 'detail-type': 'StockReserved', detail: { eventId: '5d1e0f4a-3b7c-4c21-8e0d-6f9a2b1c7e11' } });
  });

  it('ignores MODIFY and REMOVE of outbox rows on the real stream', async () => {
    // GIVEN an outbox row already published, then modified and deleted (as TTL would)
    const [row] = await writeOutbox(rig.table, [placed(1)]);
    await rig.relay({ Records: await rig.newStreamRecords() });
    expect(rig.bus.archive).toHaveLength(1);
    const key = { pk: row!.pk, sk: row!.sk };
    await rig.table.client.send(new UpdateCommand({ TableName: rig.table.tableName, Key: key, UpdateExpression: 'SET note = :n', ExpressionAttributeValues: { ':n': 'touched' } }));
    await rig.table.client.send(new DeleteCommand({ TableName: rig.table.tableName, Key: key }));
    const records = await rig.newStreamRecords();
    expect(records.map((r) => r.eventName)).toEqual(['MODIFY', 'REMOVE']);
    // WHEN
    const response = await rig.relay({ Records: records });
    // THEN nothing new is published
    expect(failures(response)).toEqual([]);
    expect(rig.bus.archive).toHaveLength(1);
    expect(rig.calls).toHaveLength(1);
  });

  it('chunks 25 rows into PutEvents calls of at most 10 entries, in order', async () => {
    // GIVEN 25 outbox rows
    const rows = await writeOutbox(rig.table, Array.from({ length: 25 }, (_, i) => placed(i)));
    // WHEN
    const response = await rig.relay({ Records: await rig.newStreamRecords() });
    // THEN
    expect(failures(response)).toEqual([]);
    expect(rig.calls.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(publishedIds(rig.bus)).toEqual(rows.map((r) => r.eventId));
  });

  it('splits calls by size so no call exceeds the request limit', async () => {
    // GIVEN 12 rows of ~3 KB and a 10 KB request limit
    const maxRequestBytes = 10 * 1024;
    rig = await makeRig({ maxRequestBytes });
    const rows = await writeOutbox(rig.table, Array.from({ length: 12 }, (_, i) => placed(i, 3_000)));
    // WHEN
    const response = await rig.relay({ Records: await rig.newStreamRecords() });
    // THEN every call fits, more calls than the entry count alone needs, every row published once
    expect(failures(response)).toEqual([]);
    const sizes = rig.calls.map((c) => c.reduce((n, e) => n + entrySize(e), 0));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(maxRequestBytes);
    expect(rig.calls.length).toBe(4);
    expect(rig.calls.map((c) => c.length)).toEqual([3, 3, 3, 3]);
    expect(publishedIds(rig.bus)).toEqual(rows.map((r) => r.eventId));
  });

  it('retries InternalFailure and ThrottlingException entries with backoff until they succeed', async () => {
    // GIVEN entry failures: one row throttled twice, one row failing internally once
    const rows = await writeOutbox(rig.table, [placed(1), placed(2), placed(3)]);
    const faults = new Map<string, string[]>([
      [rows[0]!.detail, ['ThrottlingException', 'ThrottlingException']],
      [rows[2]!.detail, ['InternalFailure']],
    ]);
    rig.bus.entryFault = (entry) => faults.get(entry.Detail ?? '')?.shift();
    // WHEN
    const response = await rig.relay({ Records: await rig.newStreamRecords() });
    // THEN all three are published exactly once; only failed entries were re-sent
    expect(failures(response)).toEqual([]);
    expect([...publishedIds(rig.bus)].sort()).toEqual(rows.map((r) => r.eventId).sort());
    expect(rig.calls.map((c) => c.length)).toEqual([3, 2, 1]);
    expect(rig.sleeps).toEqual([50, 100]);
    expect(rig.metrics.total(METRIC.eventsPublished)).toBe(3);
    expect(rig.metrics.total(METRIC.publishFailures)).toBe(0);
  });

  it('retries a PutEvents call that failed as a whole', async () => {
    // GIVEN the first call fails at the HTTP level
    const rows = await writeOutbox(rig.table, [placed(1), placed(2)]);
    rig.failNextCalls(1);
    // WHEN
    const response = await rig.relay({ Records: await rig.newStreamRecords() });
    // THEN
    expect(failures(response)).toEqual([]);
    expect(rig.calls).toHaveLength(2);
    expect(publishedIds(rig.bus)).toEqual(rows.map((r) => r.eventId));
  });

  it('fails if an entry fails with a non-retryable code: reported by sequence number, not retried', async () => {
    // GIVEN the middle row is refused by EventBridge
    const rows = await writeOutbox(rig.table, [placed(1), placed(2), placed(3)]);
    let attemptsOnBad = 0;
    rig.bus.entryFault = (entry) => (entry.Detail === rows[1]!.detail ? (attemptsOnBad++, 'InvalidArgument') : undefined);
    const records = await rig.newStreamRecords();
    // WHEN
    const response = await rig.relay({ Records: records });
    // THEN the others are published; the refused row's sequence number comes back for Lambda to retry
    expect(failures(response)).toEqual([records[1]!.dynamodb!.SequenceNumber]);
    expect(attemptsOnBad).toBe(1);
    expect(publishedIds(rig.bus)).toEqual([rows[0]!.eventId, rows[2]!.eventId]);
    expect(rig.metrics.total(METRIC.publishFailures)).toBe(1);
  });

  it('fails if an entry fails non-retryably in a call where another entry is retried: both outcomes kept', async () => {
    // GIVEN one call in which the first row is throttled (retryable) and the second refused (non-retryable)
    // (found by `saga simulate`: the refused row used to be forgotten when the retry succeeded)
    const rows = await writeOutbox(rig.table, [placed(1), placed(2), placed(3)]);
    const faults = new Map<string, string[]>([
      [rows[0]!.detail, ['ThrottlingException']],
      [rows[1]!.detail, ['AccessDeniedException']],
    ]);
    rig.bus.entryFault = (entry) => faults.get(entry.Detail ?? '')?.shift();
    const records = await rig.newStreamRecords();
    // WHEN
    const response = await rig.relay({ Records: records });
    // THEN the throttled row is published on the retry, and the refused row is reported failed (not published)
    expect(failures(response)).toEqual([records[1]!.dynamodb!.SequenceNumber]);
    expect(rig.calls.map((c) => c.length)).toEqual([3, 1]);
    expect([...publishedIds(rig.bus)].sort()).toEqual([rows[0]!.eventId, rows[2]!.eventId].sort());
    expect(rig.metrics.total(METRIC.publishFailures)).toBe(1);
  });

  it('fails if retryable failures persist: reported after maxAttempts', async () => {
    // GIVEN a bus that throttles one row forever
    rig = await makeRig({ maxAttempts: 3 });
    const rows = await writeOutbox(rig.table, [placed(1), placed(2)]);
    rig.bus.entryFault = (entry) => (entry.Detail === rows[0]!.detail ? 'ThrottlingException' : undefined);
    const records = await rig.newStreamRecords();
    // WHEN
    const response = await rig.relay({ Records: records });
    // THEN three attempts, then the row is reported failed; the other row was published once
    expect(failures(response)).toEqual([records[0]!.dynamodb!.SequenceNumber]);
    expect(rig.calls.map((c) => c.length)).toEqual([2, 1, 1]);
    expect(publishedIds(rig.bus)).toEqual([rows[1]!.eventId]);
  });

  it('fails if a row names a producer that may not emit its event: rejected as forged-source, not published', async () => {
    // GIVEN billing's outbox holding StockReserved (only stock may emit it)
    const sagaId = testSagaId();
    const [genuine] = await writeOutbox(rig.table, [{ producer: 'stock', type: 'StockReserved', payload: shopPayloads.stockReserved('o-1', 'sku-1'), sagaId }]);
    const forgedKey = outboxKey('billing', sagaId, testId('forged'));
    const forgedDetail = JSON.parse(genuine!.detail) as Record<string, unknown>;
    await rig.table.client.send(
      new PutCommand({ TableName: rig.table.tableName, Item: { ...genuine!, ...forgedKey, detail: JSON.stringify({ ...forgedDetail, producer: 'billing' }) } }),
    );
    // AND a row in stock's outbox whose content claims another producer
    const claimKey = outboxKey('stock', sagaId, testId('claim'));
    await rig.table.client.send(
      new PutCommand({ TableName: rig.table.tableName, Item: { ...genuine!, ...claimKey, detail: JSON.stringify({ ...forgedDetail, producer: 'billing', type: 'PaymentCaptured' }) } }),
    );
    // AND a row that is not an envelope at all
    const junkKey = outboxKey('billing', sagaId, testId('junk'));
    await rig.table.client.send(new PutCommand({ TableName: rig.table.tableName, Item: { ...junkKey, kind: 'outbox', detail: '{"hello":' } }));
    // WHEN
    const response = await rig.relay({ Records: await rig.newStreamRecords() });
    // THEN only the genuine row is published; each bad row is kept with its reason and counted
    expect(failures(response)).toEqual([]);
    expect(publishedIds(rig.bus)).toEqual([genuine!.eventId]);
    const rejection = async (key: { pk: string; sk: string }) =>
      (await rig.table.client.send(new GetCommand({ TableName: rig.table.tableName, Key: rejectionKey('relay', `${key.pk}|${key.sk}`), ConsistentRead: true }))).Item;
    expect(await rejection(forgedKey)).toMatchObject({ reason: 'forged-source', consumer: 'relay' });
    expect(await rejection(claimKey)).toMatchObject({ reason: 'forged-source' });
    expect(await rejection(junkKey)).toMatchObject({ reason: 'invalid-outbox-row' });
    expect(rig.metrics.total(METRIC.rejections)).toBe(3);
  });
});

describe('relay: chunking rules', () => {
  const item = (bytes: number) => ({ bytes });

  it('never puts more than 10 entries in a chunk', () => {
    const chunks = chunkEntries(Array.from({ length: 31 }, () => item(1)));
    expect(chunks.map((c) => c.length)).toEqual([10, 10, 10, 1]);
    expect(PUT_EVENTS_MAX_ENTRIES).toBe(10);
  });

  it('starts a new chunk before the byte limit would be crossed, and keeps order', () => {
    const items = [400, 400, 300, 100, 900, 100].map(item);
    const chunks = chunkEntries(items, 1000);
    expect(chunks.map((c) => c.map((i) => i.bytes))).toEqual([[400, 400], [300, 100], [900, 100]]);
  });

  it('counts Source, DetailType, Detail, Resources and 14 bytes for Time, in UTF-8 bytes', () => {
    expect(entrySize({ Source: 'abc', DetailType: 'de', Detail: '{"k":"é"}', Resources: ['r1', 'r22'] })).toBe(3 + 2 + 10 + 2 + 3);
    expect(entrySize({ Source: 'abc', Time: new Date(T0) })).toBe(3 + 14);
  });
});
