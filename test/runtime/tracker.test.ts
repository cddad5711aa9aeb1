import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../lib/core/envelope.js';
import { ENDED_SHARD, KEY, openShardOf, rejectionKey } from '../../lib/core/keys.js';
import { InMemoryMetrics, METRIC, silentLogger } from '../../lib/runtime/shared/ports.js';
import { readSagaRecord, type SagaRecord } from '../../lib/runtime/shared/saga-record.js';
import { createTrackerHandler, TRACKER_CONSUMER } from '../../lib/runtime/tracker/tracker.js';
import { SeededRandom } from '../../lib/local/random.js';
import { freshTable } from '../support/dynamo.js';
import { shopPayloads, shopSaga } from '../fixtures/shop-saga.js';
import { envelope, eventBridgeEvent, sqsEvent, sqsRecord, T0, testSagaId } from '../support/events.js';

/** The saga tracker on DynamoDB Local: one saga record per saga, whatever the delivery order. */

type Table = Awaited<ReturnType<typeof freshTable>>;
let table: Table;
const NOW = T0 + 60_000;
const metrics = new InMemoryMetrics();

beforeAll(async () => {
  table = await freshTable('tracker');
});
afterAll(() => table.raw.destroy());

const tracker = () => createTrackerHandler(shopSaga, { client: table.client, tableName: table.tableName, clock: { now: () => NOW }, logger: silentLogger, metrics });

/** The events of one saga (fixed event ids so two sagas can be compared field by field). */
function sagaEvents(sagaId: string, path: 'completed' | 'compensated'): Envelope[] {
  const e = (type: string, producer: string, payload: unknown, ms: number) =>
    envelope(shopSaga, { type, producer, sagaId, payload, eventId: `evt-${type}-${ms}`, occurredAt: new Date(T0 + ms).toISOString() });
  const head = [e('OrderPlaced', 'initiator', shopPayloads.orderPlaced('o-1', 'sku-1'), 0), e('StockReserved', 'stock', shopPayloads.stockReserved('o-1', 'sku-1'), 10)];
  return path === 'completed'
    ? [...head, e('PaymentCaptured', 'billing', shopPayloads.paymentCaptured('o-1'), 20)]
    : [...head, e('PaymentDeclined', 'billing', shopPayloads.paymentDeclined('o-1'), 20), e('StockReleased', 'stock', shopPayloads.stockReleased('o-1', 'sku-1'), 30)];
}

const toRecord = (env: Envelope): SQSRecord => sqsRecord(eventBridgeEvent(shopSaga, env), { queueName: 'tracker-queue' });

/** A record without its saga-specific fields, to compare two sagas fed the same events. */
function comparable(record: SagaRecord | undefined): Record<string, unknown> {
  const { pk: _pk, sagaId: _id, openShard: _shard, ...rest } = record ?? ({} as SagaRecord);
  return rest;
}

async function openIndexHas(sagaId: string): Promise<boolean> {
  const out = await table.client.send(
    new QueryCommand({
      TableName: table.tableName,
      IndexName: KEY.openIndex,
      KeyConditionExpression: '#s = :s',
      ExpressionAttributeNames: { '#s': KEY.openPartition },
      ExpressionAttributeValues: { ':s': openShardOf(sagaId) },
    }),
  );
  return (out.Items ?? []).some((i) => i.sagaId === sagaId);
}

describe('tracker: the saga record', () => {
  it.each(['completed', 'compensated'] as const)('out-of-order and duplicate deliveries of a %s saga produce the same record as in-order delivery', async (path) => {
    // GIVEN two sagas with the same events; one delivered in order, one shuffled with duplicates in mixed batches
    const [inOrder, shuffled] = [testSagaId('ordered'), testSagaId('shuffled')];
    const handle = tracker();
    for (const env of sagaEvents(inOrder, path)) expect((await handle(sqsEvent(toRecord(env)))).batchItemFailures).toEqual([]);
    const random = new SeededRandom(7);
    const events = sagaEvents(shuffled, path);
    const deliveries = random.shuffle([...events, ...events.filter(() => random.chance(0.5)), events[0]!]);
    // WHEN
    for (let i = 0; i < deliveries.length; i += 3) {
      const response = await handle(sqsEvent(...deliveries.slice(i, i + 3).map(toRecord)));
      expect(response.batchItemFailures).toEqual([]);
    }
    // THEN
    const expected = await readSagaRecord(table.client, table.tableName, inOrder);
    const actual = await readSagaRecord(table.client, table.tableName, shuffled);
    expect(deliveries.length).toBeGreaterThan(events.length);
    expect(comparable(actual)).toEqual(comparable(expected));
    expect(actual?.status).toBe(path);
    expect(actual?.timeline.map((t) => t.type)).toEqual(events.map((e) => e.type));
  });

  it('keeps the first terminal event, and flags the saga when a compensation path follows its completion', async () => {
    // GIVEN a completed saga
    const sagaId = testSagaId();
    const handle = tracker();
    const done = sagaEvents(sagaId, 'completed');
    await handle(sqsEvent(...done.map(toRecord)));
    // WHEN a compensation path's events arrive afterwards (e.g. a forged or mistaken chain)
    const late = sagaEvents(sagaId, 'compensated').slice(2);
    await handle(sqsEvent(...late.map(toRecord)));
    // THEN the terminal event stays, the late events are kept in the timeline, and the contradiction
    // (completed, then a failure terminal) is flagged for a person
    const record = await readSagaRecord(table.client, table.tableName, sagaId);
    expect(record).toMatchObject({ status: 'failed-needs-attention', terminalEvent: 'PaymentCaptured', version: done.length + late.length });
    expect(record?.flaggedReason).toContain('contradictory timeline: completed by PaymentCaptured, and the failure terminal');
  });

  it('keeps an open saga in the open-sagas index and moves it to open#ended (for the outbox audit) at the terminal event', async () => {
    // GIVEN a started saga
    const sagaId = testSagaId();
    const handle = tracker();
    const [placed, ...rest] = sagaEvents(sagaId, 'compensated');
    await handle(sqsEvent(toRecord(placed!)));
    // THEN it is open with a check time at its deadline
    expect(await openIndexHas(sagaId)).toBe(true);
    expect(await readSagaRecord(table.client, table.tableName, sagaId)).toMatchObject({
      status: 'running',
      nextCheckAt: new Date(T0 + shopSaga.deadlineSeconds * 1000).toISOString(),
    });
    // WHEN the rest arrives
    await handle(sqsEvent(...rest.map(toRecord)));
    // THEN it is closed: out of the open shards, waiting in open#ended (from its end) for the reconciler's one audit
    expect(await openIndexHas(sagaId)).toBe(false);
    const item = (await table.client.send(new GetCommand({ TableName: table.tableName, Key: { pk: `saga#${sagaId}`, sk: 'saga' }, ConsistentRead: true }))).Item;
    expect(item?.status).toBe('compensated');
    expect(item?.[KEY.openPartition]).toBe(ENDED_SHARD);
    expect(item?.[KEY.openSort]).toBe(item?.lastEventAt);
  });

  it('concurrent deliveries of one saga’s events all land in the record (optimistic locking)', async () => {
    // GIVEN one tracker invocation per event, all at once
    const sagaId = testSagaId();
    const handle = tracker();
    const events = sagaEvents(sagaId, 'compensated');
    // WHEN
    const responses = await Promise.all(events.map((env) => handle(sqsEvent(toRecord(env)))));
    // THEN none was lost (a loser re-reads and re-applies) and the record is the in-order one
    expect(responses.flatMap((r) => r.batchItemFailures)).toEqual([]);
    const record = await readSagaRecord(table.client, table.tableName, sagaId);
    expect(record?.timeline.map((t) => t.type)).toEqual(events.map((e) => e.type));
    expect(record).toMatchObject({ status: 'compensated', version: events.length });
  });

  it('fails if an event is poison: rejected under the tracker’s prefix with its reason, the rest of the batch applies', async () => {
    // GIVEN a batch with a forged event between two good ones
    const sagaId = testSagaId();
    const [placed, reserved] = sagaEvents(sagaId, 'completed');
    const forged = sqsRecord(eventBridgeEvent(shopSaga, { ...reserved!, eventId: 'evt-forged-0001', type: 'PaymentCaptured', producer: 'stock' }));
    const before = metrics.total(METRIC.rejections);
    // WHEN
    const response = await tracker()(sqsEvent(toRecord(placed!), forged, toRecord(reserved!)));
    // THEN
    expect(response.batchItemFailures).toEqual([]);
    const kept = await table.client.send(new GetCommand({ TableName: table.tableName, Key: rejectionKey(TRACKER_CONSUMER, forged.messageId), ConsistentRead: true }));
    expect(kept.Item).toMatchObject({ reason: 'forged-source' });
    const record = await readSagaRecord(table.client, table.tableName, sagaId);
    expect(record).toMatchObject({ status: 'running', version: 2 });
    expect(metrics.total(METRIC.rejections) - before).toBe(1);
  });
});
