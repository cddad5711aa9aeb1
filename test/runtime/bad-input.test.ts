import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inventorySteps, orderSaga, stockKey } from '../../functions/order/index.js';
import type { RejectionReason } from '../../lib/core/errors.js';
import { createParticipantHandler } from '../../lib/runtime/participant/handler.js';
import { InMemoryMetrics, silentLogger } from '../../lib/runtime/shared/ports.js';
import { createTrackerHandler, TRACKER_CONSUMER } from '../../lib/runtime/tracker/tracker.js';
import { loadBadEvents, oversizeBody, type BadEvent } from '../support/bad-events.js';
import { freshTable } from '../support/dynamo.js';

/** What each corpus file must be rejected for, by a participant (inventory) — specific, never generic. */
const EXPECTED: Record<string, RejectionReason> = {
  'invalid-json': 'invalid-json',
  'empty-body': 'invalid-json',
  'not-an-eventbridge-event': 'not-an-eventbridge-event',
  'detail-not-an-object': 'invalid-envelope',
  'missing-envelope-fields': 'invalid-envelope',
  'wrong-payload-types': 'invalid-payload',
  'unknown-event-type': 'unknown-event-type',
  'forged-source': 'forged-source',
  'forged-source-mismatch': 'forged-source',
  'saga-id-wrong-shape': 'invalid-saga-id',
  'saga-id-too-short': 'invalid-saga-id',
  'unknown-definition': 'unknown-definition',
  'not-subscribed': 'not-subscribed',
  'oversize-detail': 'oversize-event',
};

const T0 = Date.parse('2026-03-02T09:15:28.000Z');
const SKU = 'sku-bad-input';

function record(body: string, messageId: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `${messageId}#1`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(T0), SenderId: 'TEST', ApproximateFirstReceiveTimestamp: String(T0) },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:order-inventory-queue',
    awsRegion: 'eu-west-1',
  };
}

/** A valid OrderRequested for saga `s-valid-000<n>` (what the initiator publishes). */
function validBody(n: number): string {
  const sagaId = `s-valid-${String(n).padStart(4, '0')}`;
  return JSON.stringify({
    version: '0',
    id: `eb-valid-${n}`,
    'detail-type': 'OrderRequested',
    source: 'saga.order.initiator',
    account: '123456789012',
    time: '2026-03-02T09:15:28Z',
    region: 'eu-west-1',
    resources: [],
    detail: {
      eventId: `e-valid-${String(n).padStart(4, '0')}`,
      sagaId,
      definition: 'order',
      definitionVersion: orderSaga.version,
      type: 'OrderRequested',
      producer: 'initiator',
      occurredAt: '2026-03-02T09:15:27.412Z',
      payload: { orderId: `order-valid-${n}`, customerId: 'c-1', sku: SKU, quantity: 1, amountCents: 1000 },
    },
  });
}

function corpus(): BadEvent[] {
  return [...loadBadEvents(), oversizeBody()];
}

/** valid, bad, valid, bad, …, valid — every bad message surrounded by good ones in one batch. */
function mixedBatch(bad: readonly BadEvent[]): { records: SQSRecord[]; badIds: Map<string, BadEvent>; validCount: number } {
  const records: SQSRecord[] = [record(validBody(0), 'm-valid-0')];
  const badIds = new Map<string, BadEvent>();
  bad.forEach((b, i) => {
    const id = `m-bad-${b.name}`;
    badIds.set(id, b);
    records.push(record(b.body, id), record(validBody(i + 1), `m-valid-${i + 1}`));
  });
  return { records, badIds, validCount: bad.length + 1 };
}

describe('bad-input corpus', () => {
  it('names an expected reason for every file in test/fixtures/bad-events', () => {
    expect(corpus().map((b) => b.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('rejects each bad message with its specific reason, keeps and counts it, and processes the rest of the batch', async () => {
    // GIVEN the real inventory participant on a fresh table with stock, and a batch where every bad message sits between valid ones
    const { client, tableName } = await freshTable('bad-input');
    await client.send(new PutCommand({ TableName: tableName, Item: { ...stockKey(SKU), sku: SKU, available: 100, reserved: 0 } }));
    const metrics = new InMemoryMetrics();
    const handler = createParticipantHandler(orderSaga, 'inventory', inventorySteps, { client, tableName, clock: { now: () => T0 }, logger: silentLogger, metrics });
    const { records, badIds, validCount } = mixedBatch(corpus());

    // WHEN the batch is handled in one invocation
    const response = await handler({ Records: records });

    // THEN nothing is retried: a rejected message is acknowledged, never redelivered forever
    expect(response.batchItemFailures).toEqual([]);
    // AND each bad message is kept in a rejection record with its specific reason and its body
    for (const [messageId, bad] of badIds) {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: { pk: 'inventory#rejected', sk: messageId }, ConsistentRead: true }));
      expect(out.Item, bad.name).toBeDefined();
      expect(out.Item!.reason, bad.name).toBe(EXPECTED[bad.name]);
      expect(out.Item!.message, bad.name).toEqual(expect.any(String));
      expect(out.Item!.bodyLength, bad.name).toBe(bad.body.length);
      expect(bad.body.startsWith(String(out.Item!.body)), bad.name).toBe(true);
      expect(out.Item!.bodyTruncated, bad.name).toBe(bad.body.length > 64 * 1024);
    }
    // AND counted, per reason
    const expectedCounts: Record<string, number> = {};
    for (const bad of badIds.values()) expectedCounts[EXPECTED[bad.name]!] = (expectedCounts[EXPECTED[bad.name]!] ?? 0) + 1;
    for (const [reason, n] of Object.entries(expectedCounts)) expect(metrics.counts.get(`Rejections|Participant=inventory|Reason=${reason}`), reason).toBe(n);
    // AND every valid message around them took effect: one reservation each
    const stock = await client.send(new GetCommand({ TableName: tableName, Key: stockKey(SKU), ConsistentRead: true }));
    expect(stock.Item).toMatchObject({ available: 100 - validCount, reserved: validCount });
    const rejected = await client.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'inventory#rejected' }, ConsistentRead: true }));
    expect(rejected.Items).toHaveLength(badIds.size);
  });

  it('the tracker rejects the same corpus with the same reasons (it subscribes to every event type)', async () => {
    // GIVEN the tracker on a fresh table
    const { client, tableName } = await freshTable('bad-input-tracker');
    const metrics = new InMemoryMetrics();
    const handler = createTrackerHandler(orderSaga, { client, tableName, clock: { now: () => T0 }, logger: silentLogger, metrics });
    // The tracker follows every event type, so "not-subscribed" is a valid event to it.
    const bad = corpus().filter((b) => b.name !== 'not-subscribed');
    const { records, badIds, validCount } = mixedBatch(bad);

    // WHEN
    const response = await handler({ Records: records });

    // THEN
    expect(response.batchItemFailures).toEqual([]);
    for (const [messageId, b] of badIds) {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: { pk: `${TRACKER_CONSUMER}#rejected`, sk: messageId }, ConsistentRead: true }));
      expect(out.Item?.reason, b.name).toBe(EXPECTED[b.name]);
    }
    for (let n = 0; n < validCount; n++) {
      const saga = await client.send(new GetCommand({ TableName: tableName, Key: { pk: `saga#s-valid-${String(n).padStart(4, '0')}`, sk: 'saga' }, ConsistentRead: true }));
      expect(saga.Item?.status, `saga ${n}`).toBe('running');
    }
  });
});
