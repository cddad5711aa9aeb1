import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DETAIL_BYTES } from '../../lib/core/envelope.js';
import { outboxPartition, rejectionKey, sagaKey, stepKey } from '../../lib/core/keys.js';
import { createParticipantHandler, type RecordOutcome } from '../../lib/runtime/participant/handler.js';
import { InMemoryMetrics, METRIC, silentLogger } from '../../lib/runtime/shared/ports.js';
import type { CommitFaults } from '../../lib/runtime/participant/step-runner.js';
import type { StepImplementations } from '../../lib/runtime/participant/step-types.js';
import { billingSteps, chargeKey, itemKey, shopPayloads, shopSaga, stockSteps, type ShopSaga } from '../fixtures/shop-saga.js';
import { dynamoClient, freshTable } from '../support/dynamo.js';
import { eventBridgeEvent, envelope, loadFixture, sagaRecord, sqsEvent, sqsRecord, T0, testId, testSagaId } from '../support/events.js';

/**
 * The participant handler on DynamoDB Local: barrier + business writes + outbox in one
 * TransactWriteItems, effectively-once under duplicates, reordering, concurrency and crashes.
 */

type Participant = 'stock' | 'billing';
type Table = Awaited<ReturnType<typeof freshTable>>;

let table: Table;
const clients: DynamoDBClient[] = [];

beforeAll(async () => {
  table = await freshTable('participant');
});
afterAll(() => {
  for (const c of clients) c.destroy();
  table.raw.destroy();
});

interface Call {
  readonly command: string;
  readonly input: Record<string, unknown>;
}

interface Harness {
  readonly handle: (event: SQSEvent) => Promise<SQSBatchResponse>;
  readonly metrics: InMemoryMetrics;
  readonly outcomes: RecordOutcome[];
  /** Every DynamoDB command the handler sent, in order (counted by SDK middleware). */
  readonly calls: Call[];
}

/** A client whose middleware records each command (name + input) before it is sent. */
function countingClient(calls: Call[]): DynamoDBDocumentClient {
  const raw = dynamoClient();
  clients.push(raw);
  const doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } });
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push({ command: context.commandName ?? '?', input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return doc;
}

const implementations: { [P in Participant]: StepImplementations<ShopSaga, P> } = { stock: stockSteps, billing: billingSteps };

function harness<P extends Participant>(
  participant: P,
  options: { steps?: StepImplementations<ShopSaga, P>; faults?: CommitFaults; maxConflictReruns?: number; tableName?: string } = {},
): Harness {
  const metrics = new InMemoryMetrics();
  const outcomes: RecordOutcome[] = [];
  const calls: Call[] = [];
  const handle = createParticipantHandler(shopSaga, participant, options.steps ?? (implementations[participant] as StepImplementations<ShopSaga, P>), {
    client: countingClient(calls),
    tableName: options.tableName ?? table.tableName,
    clock: { now: () => T0 },
    ids: () => testId('gen'),
    logger: silentLogger,
    metrics,
    ...(options.maxConflictReruns !== undefined ? { maxConflictReruns: options.maxConflictReruns } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
    onOutcome: (o) => outcomes.push(o),
  });
  return { handle, metrics, outcomes, calls };
}

// ---- table helpers (an uncounted client) -------------------------------------------------------

let skuSeq = 0;
/** A fresh SKU with the given stock. */
async function seedSku(available: number, reserved = 0): Promise<string> {
  const sku = `sku-${process.pid}-${skuSeq++}`;
  await table.client.send(new PutCommand({ TableName: table.tableName, Item: { ...itemKey(sku), sku, available, reserved } }));
  return sku;
}

async function getItem(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
  return (await table.client.send(new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }))).Item;
}

async function stockOf(sku: string): Promise<{ available: unknown; reserved: unknown }> {
  const item = await getItem(itemKey(sku));
  return { available: item?.available, reserved: item?.reserved };
}

async function barrierState(participant: string, sagaId: string, step: string): Promise<unknown> {
  return (await getItem(stepKey(participant, sagaId, step)))?.state;
}

/** Outbox rows of one producer in one saga, as the relay would see them. */
async function outbox(producer: string, sagaId: string): Promise<{ type: string; payload: Record<string, unknown> }[]> {
  const out = await table.client.send(
    new QueryCommand({ TableName: table.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': outboxPartition(producer, sagaId) }, ConsistentRead: true }),
  );
  return (out.Items ?? []).map((i) => {
    const detail = JSON.parse(String(i.detail)) as { type: string; payload: Record<string, unknown> };
    return { type: detail.type, payload: detail.payload };
  });
}

// ---- event helpers -----------------------------------------------------------------------------

/** The start event: the stock step's forward trigger. */
function orderPlaced(sagaId: string, sku: string, quantity = 1, options: { messageId?: string; receiveCount?: number } = {}) {
  return sagaRecord(shopSaga, { type: 'OrderPlaced', producer: 'initiator', sagaId, payload: shopPayloads.orderPlaced(`o-${sagaId}`, sku, quantity) }, options);
}

/** The stock step's compensation trigger. */
function paymentDeclined(sagaId: string) {
  return sagaRecord(shopSaga, { type: 'PaymentDeclined', producer: 'billing', sagaId, payload: shopPayloads.paymentDeclined(`o-${sagaId}`) });
}

/**
 * Makes `parties` first attempts of a step wait for each other after staging, so their commits race
 * with the same (stale) reads — a real concurrent run, not one that merely happens to overlap.
 */
function racingReservations(parties: number): { steps: StepImplementations<ShopSaga, 'stock'>; firstAttemptResults: string[] } {
  let staged = 0;
  let release!: () => void;
  const allStaged = new Promise<void>((resolve) => (release = resolve));
  const firstAttemptResults: string[] = [];
  const forward: StepImplementations<ShopSaga, 'stock'>['reserve']['forward'] = async (ctx) => {
    const result = await stockSteps.reserve.forward(ctx);
    if (staged < parties) {
      firstAttemptResults.push(result.kind);
      if (++staged === parties) release();
      await allStaged;
    }
    return result;
  };
  return { steps: { reserve: { forward, compensate: stockSteps.reserve.compensate } }, firstAttemptResults };
}

const failures = (r: SQSBatchResponse) => r.batchItemFailures.map((f) => f.itemIdentifier);
const writeCommands = ['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand'];

describe('participant handler: a step commits once however often its event arrives', () => {
  it.each([
    ['the same SQS messageId (SQS redelivery)', true],
    ['a different SQS messageId (EventBridge or relay re-publish)', false],
  ])('a duplicate delivery with %s has no second effect', async (_label, sameMessage) => {
    // GIVEN 10 units in stock and an OrderPlaced for 2
    const sku = await seedSku(10);
    const sagaId = testSagaId();
    const h = harness('stock');
    const first = orderPlaced(sagaId, sku, 2);
    const second = sameMessage ? first.record : sqsRecord(eventBridgeEvent(shopSaga, first.envelope));
    // WHEN the same envelope is delivered twice
    const r1 = await h.handle(sqsEvent(first.record));
    const r2 = await h.handle(sqsEvent(second));
    // THEN both are acknowledged, the stock moved once, one event was staged, the duplicate was counted
    expect(failures(r1)).toEqual([]);
    expect(failures(r2)).toEqual([]);
    expect(await stockOf(sku)).toEqual({ available: 8, reserved: 2 });
    expect((await outbox('stock', sagaId)).map((r) => r.type)).toEqual(['StockReserved']);
    expect(await barrierState('stock', sagaId, 'reserve')).toBe('done');
    expect(h.metrics.total(METRIC.stepsCommitted)).toBe(1);
    expect(h.metrics.total(METRIC.duplicates)).toBe(1);
    expect(h.outcomes.map((o) => ('kind' in o ? o.kind : '?'))).toEqual(['committed', 'duplicate']);
  });

  it('a duplicate compensation has no second effect (stock released once)', async () => {
    // GIVEN a reservation of 3 that was committed
    const sku = await seedSku(5);
    const sagaId = testSagaId();
    const h = harness('stock');
    await h.handle(sqsEvent(orderPlaced(sagaId, sku, 3).record));
    expect(await stockOf(sku)).toEqual({ available: 2, reserved: 3 });
    // WHEN its compensation arrives twice
    const cancel = paymentDeclined(sagaId);
    const r1 = await h.handle(sqsEvent(cancel.record));
    const r2 = await h.handle(sqsEvent(sqsRecord(cancel.event)));
    // THEN the stock is restored exactly once and StockReleased is staged once
    expect([...failures(r1), ...failures(r2)]).toEqual([]);
    expect(await stockOf(sku)).toEqual({ available: 5, reserved: 0 });
    expect(await barrierState('stock', sagaId, 'reserve')).toBe('compensated');
    expect((await outbox('stock', sagaId)).map((r) => r.type).sort()).toEqual(['StockReleased', 'StockReserved']);
    expect(h.metrics.total(METRIC.compensations)).toBe(1);
    expect(h.metrics.total(METRIC.duplicates)).toBe(1);
  });

  it('handles the real SQS record shape AWS delivers (fixture)', async () => {
    // GIVEN the fixture's SKU in stock and a real SQS event from an EventBridge rule
    const fixture = loadFixture('sqs-order-placed.json') as SQSEvent;
    const sagaId = 's-fixture-0001';
    await table.client.send(new PutCommand({ TableName: table.tableName, Item: { ...itemKey('sku-fixture'), sku: 'sku-fixture', available: 10, reserved: 0 } }));
    // WHEN
    const response = await harness('stock').handle(fixture);
    // THEN the 2 units of the fixture are reserved
    expect(failures(response)).toEqual([]);
    expect(await stockOf('sku-fixture')).toEqual({ available: 8, reserved: 2 });
    expect(await outbox('stock', sagaId)).toEqual([{ type: 'StockReserved', payload: { orderId: 'order-fixture-1', sku: 'sku-fixture', quantity: 2, amountCents: 2400 } }]);
  });
});

describe('participant handler: replaying a seed', () => {
  it('two handlers drawing the same seeded ids on one endpoint both commit (transaction tokens are unique per table)', async () => {
    // GIVEN two tables on the same DynamoDB (two local-cloud runs of one seed) and two handlers with the same id sequence
    const other = await freshTable('replay');
    const seededIds = () => {
      let n = 0;
      return () => `00000000-0000-4000-a000-${String(++n).padStart(12, '0')}`;
    };
    const sku = `sku-replay-${process.pid}`;
    const { record } = orderPlaced(testSagaId('replay'), sku, 1);
    const responses: SQSBatchResponse[] = [];
    for (const t of [table, other]) {
      await t.client.send(new PutCommand({ TableName: t.tableName, Item: { ...itemKey(sku), available: 2, reserved: 0 } }));
      const handle = createParticipantHandler(shopSaga, 'stock', stockSteps, { client: t.client, tableName: t.tableName, clock: { now: () => T0 }, ids: seededIds(), logger: silentLogger, metrics: new InMemoryMetrics() });
      // WHEN each handles the same event
      responses.push(await handle(sqsEvent(record)));
    }
    // THEN both committed their own transaction
    expect(responses.flatMap(failures)).toEqual([]);
    for (const t of [table, other]) {
      const item = (await t.client.send(new GetCommand({ TableName: t.tableName, Key: itemKey(sku), ConsistentRead: true }))).Item;
      expect(item, t.tableName).toMatchObject({ available: 1, reserved: 1 });
    }
    other.raw.destroy();
  });
});

describe('participant handler: null compensation and anti-hanging', () => {
  it('a compensation arriving before its forward step is a null compensation', async () => {
    // GIVEN stock that no step of this saga has touched
    const sku = await seedSku(5);
    const sagaId = testSagaId();
    const h = harness('stock');
    // WHEN PaymentDeclined (its compensation trigger) arrives before OrderPlaced
    const response = await h.handle(sqsEvent(paymentDeclined(sagaId).record));
    // THEN a voided tombstone is recorded, no business write happened, the compensation event is still emitted
    expect(failures(response)).toEqual([]);
    expect(await barrierState('stock', sagaId, 'reserve')).toBe('voided');
    expect(await stockOf(sku)).toEqual({ available: 5, reserved: 0 });
    expect(await outbox('stock', sagaId)).toEqual([{ type: 'StockReleased', payload: { orderId: `o-${sagaId}`, sku: '', quantity: 0 } }]);
    expect(h.metrics.total(METRIC.nullCompensations)).toBe(1);
  });

  it('the late forward step after a null compensation is refused: no effect, no events, acknowledged', async () => {
    // GIVEN a null compensation already recorded
    const sku = await seedSku(5);
    const sagaId = testSagaId();
    const h = harness('stock');
    await h.handle(sqsEvent(paymentDeclined(sagaId).record));
    // WHEN the forward step's event arrives late
    const response = await h.handle(sqsEvent(orderPlaced(sagaId, sku, 2).record));
    // THEN it is acknowledged (no retry) but changes nothing and emits nothing
    expect(failures(response)).toEqual([]);
    expect(await stockOf(sku)).toEqual({ available: 5, reserved: 0 });
    expect((await outbox('stock', sagaId)).map((r) => r.type)).toEqual(['StockReleased']);
    expect(await barrierState('stock', sagaId, 'reserve')).toBe('voided');
    expect(h.outcomes.at(-1)).toMatchObject({ kind: 'hanging-refused', step: 'reserve', phase: 'forward' });
    expect(h.metrics.total(METRIC.refusedHanging)).toBe(1);
  });

  it('compensating a step that failed for business reasons is a null compensation too (no restock)', async () => {
    // GIVEN a reservation that failed with StockUnavailable
    const sku = await seedSku(1);
    const sagaId = testSagaId();
    const h = harness('stock');
    await h.handle(sqsEvent(orderPlaced(sagaId, sku, 3).record));
    expect(await barrierState('stock', sagaId, 'reserve')).toBe('failed');
    // WHEN its compensation arrives
    await h.handle(sqsEvent(paymentDeclined(sagaId).record));
    // THEN nothing is restocked (nothing was taken), the barrier is voided, StockReleased is empty
    expect(await stockOf(sku)).toEqual({ available: 1, reserved: 0 });
    expect(await barrierState('stock', sagaId, 'reserve')).toBe('voided');
    expect((await outbox('stock', sagaId)).map((r) => r.type).sort()).toEqual(['StockReleased', 'StockUnavailable']);
  });

  it('fails if a null compensation stages a business write: StepContractError, nothing committed', async () => {
    // GIVEN a compensation that restocks even when the forward step never ran
    const sku = await seedSku(5);
    const sagaId = testSagaId();
    const h = harness('stock', {
      steps: {
        reserve: {
          forward: stockSteps.reserve.forward,
          compensate(ctx) {
            ctx.db.update({ Key: itemKey(sku), UpdateExpression: 'SET available = available + :q', ExpressionAttributeValues: { ':q': 1 } });
            return ctx.done(ctx.emit('StockReleased', { orderId: '', sku, quantity: 1 }));
          },
        },
      },
    });
    const cancel = paymentDeclined(sagaId);
    // WHEN
    const response = await h.handle(sqsEvent(cancel.record));
    // THEN the record returns to the queue and nothing was written
    expect(failures(response)).toEqual([cancel.record.messageId]);
    expect(h.outcomes.at(-1)).toMatchObject({ kind: 'error', message: expect.stringContaining('StepContractError') as unknown });
    expect(await stockOf(sku)).toEqual({ available: 5, reserved: 0 });
    expect(await barrierState('stock', sagaId, 'reserve')).toBeUndefined();
    expect(await outbox('stock', sagaId)).toEqual([]);
  });
});

describe('participant handler: concurrency', () => {
  it('concurrent deliveries of the same event commit exactly once', async () => {
    // GIVEN one event delivered to 5 handler invocations at once (5 Lambda instances)
    const sku = await seedSku(10);
    const sagaId = testSagaId();
    const race = racingReservations(5);
    const h = harness('stock', { steps: race.steps });
    const { event } = orderPlaced(sagaId, sku, 1);
    // WHEN all five stage their writes before any commits
    const responses = await Promise.all(Array.from({ length: 5 }, () => h.handle(sqsEvent(sqsRecord(event)))));
    // THEN exactly one committed, the others saw the barrier; a re-run loser may ask for a retry, never commit
    expect(race.firstAttemptResults).toEqual(['done', 'done', 'done', 'done', 'done']);
    const kinds = h.outcomes.map((o) => ('kind' in o ? o.kind : '?'));
    expect(kinds.filter((k) => k === 'committed')).toHaveLength(1);
    expect(kinds.every((k) => k === 'committed' || k === 'duplicate' || k === 'retry')).toBe(true);
    expect(responses.flatMap(failures)).toHaveLength(kinds.filter((k) => k === 'retry').length);
    expect(await stockOf(sku)).toEqual({ available: 9, reserved: 1 });
    expect((await outbox('stock', sagaId)).map((r) => r.type)).toEqual(['StockReserved']);
    expect(h.metrics.total(METRIC.stepsCommitted)).toBe(1);
  });

  it('two orders for the last unit at once: exactly one reserves, the other ends StockUnavailable', async () => {
    // GIVEN one unit left, and two reservations that both read it before either commits
    const sku = await seedSku(1);
    const sagas = [testSagaId('a'), testSagaId('b')];
    const race = racingReservations(2);
    const h = harness('stock', { steps: race.steps });
    // WHEN both are handled concurrently
    const responses = await Promise.all(sagas.map((s) => h.handle(sqsEvent(orderPlaced(s, sku, 1).record))));
    // THEN both saw the unit, one won, the loser re-ran with fresh stock and failed for business reasons
    expect(race.firstAttemptResults).toEqual(['done', 'done']);
    expect(responses.flatMap(failures)).toEqual([]);
    expect(await stockOf(sku)).toEqual({ available: 0, reserved: 1 });
    const states = await Promise.all(sagas.map((s) => barrierState('stock', s, 'reserve')));
    expect([...states].sort()).toEqual(['done', 'failed']);
    const events = (await Promise.all(sagas.map((s) => outbox('stock', s)))).map((rows) => rows.map((r) => r.type));
    expect(events.flat().sort()).toEqual(['StockReserved', 'StockUnavailable']);
    expect(h.metrics.total(METRIC.conflicts)).toBeGreaterThanOrEqual(1);
  });

  it('persistent conflicts end in a retry (batchItemFailure), never a wrong commit', async () => {
    // GIVEN a step guarded by an optimistic revision that a concurrent writer bumps on every attempt
    const counterKey = { pk: `stock#counter#${testId('c')}`, sk: 'counter' };
    await table.client.send(new PutCommand({ TableName: table.tableName, Item: { ...counterKey, rev: 0 } }));
    let attempts = 0;
    const h = harness('stock', {
      maxConflictReruns: 2,
      steps: {
        reserve: {
          async forward(ctx) {
            attempts++;
            const current = await ctx.db.get(counterKey);
            ctx.db.update({ Key: counterKey, UpdateExpression: 'SET touchedBy = :s', ConditionExpression: 'rev = :rev', ExpressionAttributeValues: { ':s': ctx.sagaId, ':rev': current?.rev } });
            await table.client.send(new UpdateCommand({ TableName: table.tableName, Key: counterKey, UpdateExpression: 'SET rev = rev + :one', ExpressionAttributeValues: { ':one': 1 } }));
            const { orderId, sku, quantity, amountCents } = ctx.payload;
            return ctx.done(ctx.emit('StockReserved', { orderId, sku, quantity, amountCents }));
          },
          compensate: stockSteps.reserve.compensate,
        },
      },
    });
    const sagaId = testSagaId();
    const { record } = orderPlaced(sagaId, 'sku-none');
    // WHEN
    const response = await h.handle(sqsEvent(record));
    // THEN the step ran 1 + 2 re-runs, then returned the message for a later retry with nothing committed
    expect(attempts).toBe(3);
    expect(failures(response)).toEqual([record.messageId]);
    expect(h.outcomes.at(-1)).toMatchObject({ kind: 'retry' });
    expect(await getItem(counterKey)).toEqual({ ...counterKey, rev: 3 });
    expect(await barrierState('stock', sagaId, 'reserve')).toBeUndefined();
    expect(await outbox('stock', sagaId)).toEqual([]);
    expect(h.metrics.total(METRIC.conflicts)).toBe(3);
    expect(h.metrics.total(METRIC.retries)).toBe(1);
  });
});

describe('participant handler: crashes around the commit', () => {
  it('a crash between commit and acknowledgement returns the record, and the redelivery has no double effect', async () => {
    // GIVEN a process that dies right after its transaction committed, once
    const sku = await seedSku(4);
    const sagaId = testSagaId();
    let crashes = 0;
    const h = harness('stock', {
      faults: {
        afterCommit() {
          if (crashes++ === 0) throw new Error('simulated crash after commit');
        },
      },
    });
    const first = orderPlaced(sagaId, sku, 1);
    // WHEN the first delivery crashes after its commit
    const r1 = await h.handle(sqsEvent(first.record));
    // THEN the record is reported failed (not acknowledged) but its effects are committed
    expect(failures(r1)).toEqual([first.record.messageId]);
    expect(await stockOf(sku)).toEqual({ available: 3, reserved: 1 });
    // WHEN SQS redelivers it
    const r2 = await h.handle(sqsEvent(sqsRecord(first.event, { messageId: first.record.messageId, receiveCount: 2 })));
    // THEN it is acknowledged as a duplicate with no second effect
    expect(failures(r2)).toEqual([]);
    expect(await stockOf(sku)).toEqual({ available: 3, reserved: 1 });
    expect((await outbox('stock', sagaId)).map((r) => r.type)).toEqual(['StockReserved']);
    expect(h.metrics.total(METRIC.duplicates)).toBe(1);
  });

  it('a crash before the commit commits nothing, and the retry commits once', async () => {
    // GIVEN a process that dies just before its transaction, once
    const sku = await seedSku(4);
    const sagaId = testSagaId();
    let crashes = 0;
    const h = harness('stock', {
      faults: {
        beforeCommit() {
          if (crashes++ === 0) throw new Error('simulated crash before commit');
        },
      },
    });
    const first = orderPlaced(sagaId, sku, 2);
    // WHEN
    const r1 = await h.handle(sqsEvent(first.record));
    // THEN nothing at all was written
    expect(failures(r1)).toEqual([first.record.messageId]);
    expect(await stockOf(sku)).toEqual({ available: 4, reserved: 0 });
    expect(await barrierState('stock', sagaId, 'reserve')).toBeUndefined();
    expect(await outbox('stock', sagaId)).toEqual([]);
    // WHEN retried
    const r2 = await h.handle(sqsEvent(sqsRecord(first.event, { messageId: first.record.messageId, receiveCount: 2 })));
    // THEN it commits exactly once
    expect(failures(r2)).toEqual([]);
    expect(await stockOf(sku)).toEqual({ available: 2, reserved: 2 });
    expect((await outbox('stock', sagaId)).map((r) => r.type)).toEqual(['StockReserved']);
    expect(h.metrics.total(METRIC.stepsCommitted)).toBe(1);
  });
});

describe('participant handler: poison messages', () => {
  /** One good envelope, for mutating into poison. */
  function goodEnvelope(sagaId: string, sku: string) {
    return envelope(shopSaga, { type: 'OrderPlaced', producer: 'initiator', sagaId, payload: shopPayloads.orderPlaced(`o-${sagaId}`, sku, 1) });
  }

  it('rejects each poison record with its specific reason while the rest of the batch succeeds', async () => {
    // GIVEN a batch mixing two good events with one poison record of each kind
    const sku = await seedSku(10);
    const good = [testSagaId('good'), testSagaId('good')];
    const base = goodEnvelope(testSagaId('bad'), sku);
    const poison: [string, SQSRecord][] = [
      ['invalid-json', sqsRecord('{"version":"0","id":')],
      ['unknown-event-type', sqsRecord(eventBridgeEvent(shopSaga, { ...base, type: 'OrderTeleported' }, { 'detail-type': 'OrderTeleported' }))],
      ['invalid-payload', sqsRecord(eventBridgeEvent(shopSaga, { ...base, payload: { orderId: 'o-1', sku, quantity: -3 } }))],
      ['forged-source', sqsRecord(eventBridgeEvent(shopSaga, { ...base, producer: 'billing' }))],
      ['forged-source', sqsRecord(eventBridgeEvent(shopSaga, base, { source: 'saga.shop.billing' }))],
      ['invalid-saga-id', sqsRecord(eventBridgeEvent(shopSaga, { ...base, sagaId: 'bad id!' }))],
      ['oversize-event', sqsRecord(eventBridgeEvent(shopSaga, { ...base, payload: { ...(base.payload as object), note: 'x'.repeat(MAX_DETAIL_BYTES) } }))],
      ['not-an-eventbridge-event', sqsRecord({ hello: 'world' })],
      ['unknown-definition', sqsRecord(eventBridgeEvent(shopSaga, { ...base, definition: 'shipping' }))],
    ];
    const goodRecords = good.map((s) => orderPlaced(s, sku, 1).record);
    const records = [goodRecords[0]!, ...poison.map(([, r]) => r), goodRecords[1]!];
    const h = harness('stock');
    // WHEN
    const response = await h.handle(sqsEvent(...records));
    // THEN every record is acknowledged: the good ones committed, the poison ones kept with their reason
    expect(failures(response)).toEqual([]);
    expect(await stockOf(sku)).toEqual({ available: 8, reserved: 2 });
    for (const s of good) expect(await barrierState('stock', s, 'reserve')).toBe('done');
    expect(await outbox('stock', base.sagaId)).toEqual([]);
    for (const [reason, record] of poison) {
      const kept = await getItem(rejectionKey('stock', record.messageId));
      expect(kept, reason).toMatchObject({ kind: 'rejection', consumer: 'stock', reason, messageId: record.messageId });
      expect(String(kept?.message).length).toBeGreaterThan(10);
    }
    expect(h.metrics.total(METRIC.rejections)).toBe(poison.length);
    expect(h.metrics.counts.get('Rejections|Participant=stock|Reason=forged-source')).toBe(2);
    expect(h.metrics.counts.get('Rejections|Participant=stock|Reason=oversize-event')).toBe(1);
  });

  it('fails if a participant gets an event it does not react to: rejected as not-subscribed', async () => {
    // GIVEN billing receives OrderPlaced (a misrouted rule)
    const h = harness('billing');
    const { record } = orderPlaced(testSagaId(), 'sku-x');
    // WHEN
    const response = await h.handle(sqsEvent(record));
    // THEN
    expect(failures(response)).toEqual([]);
    expect(await getItem(rejectionKey('billing', record.messageId))).toMatchObject({ reason: 'not-subscribed' });
  });

  it('a step that rejects its event is acknowledged and kept as handler-rejected, nothing committed', async () => {
    // GIVEN a step that deems its input poison
    const sagaId = testSagaId();
    const h = harness('stock', {
      steps: { reserve: { forward: (ctx) => ctx.reject('sku is blocked'), compensate: stockSteps.reserve.compensate } },
    });
    const { record } = orderPlaced(sagaId, 'sku-blocked');
    // WHEN
    const response = await h.handle(sqsEvent(record));
    // THEN
    expect(failures(response)).toEqual([]);
    expect(await getItem(rejectionKey('stock', record.messageId))).toMatchObject({ reason: 'handler-rejected', message: 'sku is blocked', sagaId });
    expect(await barrierState('stock', sagaId, 'reserve')).toBeUndefined();
  });

  it('never throws: when even the rejection record cannot be written, the records come back as failures', async () => {
    // GIVEN a handler pointed at a table that does not exist
    const h = harness('stock', { tableName: 'no-such-table' });
    const records = [sqsRecord('not json'), orderPlaced(testSagaId(), 'sku-x').record];
    // WHEN
    const response = await h.handle(sqsEvent(...records));
    // THEN the batch resolves with both records returned to the queue
    expect(failures(response)).toEqual(records.map((r) => r.messageId));
  });
});

describe('participant handler: the step contract', () => {
  const sagaOf = () => testSagaId('contract');
  const cases: [string, (sku: string) => StepImplementations<ShopSaga, 'stock'>][] = [
    [
      'a step writes outside its key prefix',
      (sku) => ({
        reserve: {
          forward(ctx) {
            ctx.db.update({ Key: itemKey(sku), UpdateExpression: 'SET available = available - :q', ExpressionAttributeValues: { ':q': 1 } });
            ctx.db.put({ Item: { ...chargeKey('o-forged'), status: 'completed' } });
            return ctx.done();
          },
          compensate: stockSteps.reserve.compensate,
        },
      }),
    ],
    [
      'a step writes the framework’s own barrier rows',
      (sku) => ({
        reserve: {
          forward(ctx) {
            ctx.db.update({ Key: itemKey(sku), UpdateExpression: 'SET available = available - :q', ExpressionAttributeValues: { ':q': 1 } });
            ctx.db.put({ Item: { ...stepKey('stock', ctx.sagaId, 'reserve'), state: 'compensated' } });
            return ctx.done();
          },
          compensate: stockSteps.reserve.compensate,
        },
      }),
    ],
    [
      'a step emits an event its participant never emits',
      (sku) => ({
        reserve: {
          forward(ctx) {
            ctx.db.update({ Key: itemKey(sku), UpdateExpression: 'SET available = available - :q', ExpressionAttributeValues: { ':q': 1 } });
            return ctx.done(ctx.emit('PaymentCaptured' as 'StockReserved', { orderId: 'o', amountCents: 1 } as never));
          },
          compensate: stockSteps.reserve.compensate,
        },
      }),
    ],
    [
      'a step emits its failure event on success (declared in failsWith, not emits)',
      (sku) => ({
        reserve: {
          forward(ctx) {
            ctx.db.update({ Key: itemKey(sku), UpdateExpression: 'SET available = available - :q', ExpressionAttributeValues: { ':q': 1 } });
            return ctx.done(ctx.emit('StockUnavailable', { orderId: 'o', sku, requested: 1, available: 0 }) as never);
          },
          compensate: stockSteps.reserve.compensate,
        },
      }),
    ],
  ];

  it.each(cases)('fails if %s: StepContractError, record returned, nothing committed', async (_label, steps) => {
    // GIVEN
    const sku = await seedSku(3);
    const sagaId = sagaOf();
    const h = harness('stock', { steps: steps(sku) });
    const { record } = orderPlaced(sagaId, sku);
    // WHEN
    const response = await h.handle(sqsEvent(record));
    // THEN
    expect(failures(response)).toEqual([record.messageId]);
    expect(h.outcomes).toEqual([expect.objectContaining({ kind: 'error', message: expect.stringMatching(/^StepContractError: /) as unknown })]);
    expect(await stockOf(sku)).toEqual({ available: 3, reserved: 0 });
    expect(await getItem(chargeKey('o-forged'))).toBeUndefined();
    expect(await barrierState('stock', sagaId, 'reserve')).toBeUndefined();
    expect(await outbox('stock', sagaId)).toEqual([]);
    expect(h.calls.filter((c) => writeCommands.includes(c.command))).toEqual([]);
  });
});

describe('participant handler: DynamoDB calls per event (counted by SDK middleware)', () => {
  it('the happy path makes exactly one TransactWriteItems per handled event and no other write', async () => {
    // GIVEN both participants and one saga's events in causal order
    const sku = await seedSku(5);
    const sagaId = testSagaId();
    const orderId = `o-${sagaId}`;
    const steps: [Participant, ReturnType<typeof sagaRecord>, string[]][] = [
      ['stock', orderPlaced(sagaId, sku, 1), ['GetItemCommand', 'TransactWriteItemsCommand']],
      ['billing', sagaRecord(shopSaga, { type: 'StockReserved', producer: 'stock', sagaId, payload: shopPayloads.stockReserved(orderId, sku) }), ['TransactWriteItemsCommand']],
    ];
    for (const [participant, { record, envelope: env }, expected] of steps) {
      const h = harness(participant);
      // WHEN
      const response = await h.handle(sqsEvent(record));
      // THEN the only write is the single transaction (reads are the step's own GetItem)
      expect(failures(response), env.type).toEqual([]);
      expect(h.calls.map((c) => c.command), `${participant} on ${env.type}`).toEqual(expected);
      const transaction = h.calls.find((c) => c.command === 'TransactWriteItemsCommand');
      const items = (transaction?.input.TransactItems ?? []) as Record<string, { Item?: { pk?: string }; Key?: { pk?: string } }>[];
      // barrier first, then the business write, then the outbox row, and last the end marker (a check of the saga record)
      expect(items).toHaveLength(4);
      expect(items[0]?.Put?.Item?.pk).toBe(stepKey(participant, sagaId, '').pk);
      expect(items[1]?.Update?.Key?.pk ?? items[1]?.Put?.Item?.pk).toMatch(new RegExp(`^${participant}#(item|charge)#`));
      expect(items[2]?.Put?.Item?.pk).toBe(outboxPartition(participant, sagaId));
      expect(items[3]?.ConditionCheck?.Key?.pk).toBe(sagaKey(sagaId).pk);
    }
    expect(await stockOf(sku)).toEqual({ available: 4, reserved: 1 });
    expect((await getItem(chargeKey(orderId)))?.status).toBe('captured');
  });

  it('a compensation makes one GetItem of its step record and one TransactWriteItems', async () => {
    // GIVEN a committed reservation
    const sku = await seedSku(5);
    const sagaId = testSagaId();
    await harness('stock').handle(sqsEvent(orderPlaced(sagaId, sku, 2).record));
    const h = harness('stock');
    // WHEN its compensation runs
    const response = await h.handle(sqsEvent(paymentDeclined(sagaId).record));
    // THEN
    expect(failures(response)).toEqual([]);
    expect(h.calls.map((c) => c.command)).toEqual(['GetItemCommand', 'TransactWriteItemsCommand']);
    expect(h.calls[0]?.input).toMatchObject({ Key: stepKey('stock', sagaId, 'reserve'), ConsistentRead: true });
    expect(await stockOf(sku)).toEqual({ available: 5, reserved: 0 });
  });

  it('a duplicate forward delivery costs one failed transaction and one barrier read, no other write', async () => {
    // GIVEN a committed reservation
    const sku = await seedSku(5);
    const sagaId = testSagaId();
    const first = orderPlaced(sagaId, sku, 1);
    await harness('stock').handle(sqsEvent(first.record));
    const h = harness('stock');
    // WHEN the same event arrives again
    await h.handle(sqsEvent(sqsRecord(first.event)));
    // THEN the barrier condition refused the commit; nothing was written
    expect(h.calls.map((c) => c.command)).toEqual(['GetItemCommand', 'TransactWriteItemsCommand', 'GetItemCommand']);
    expect(await stockOf(sku)).toEqual({ available: 4, reserved: 1 });
  });
});

describe('participant handler: the saga-level end marker', () => {
  const endSaga = async (sagaId: string, fields: Record<string, unknown>) =>
    table.client.send(new PutCommand({ TableName: table.tableName, Item: { ...sagaKey(sagaId), kind: 'saga', sagaId, version: 1, timeline: [], ...fields } }));

  it.each([
    ['completed', { status: 'completed' }],
    ['compensated', { status: 'compensated' }],
    ['timed out (SagaTimedOut committed by the reconciler)', { status: 'running', timeoutPublishedAt: new Date(T0).toISOString() }],
  ])('refuses a forward step of a saga that has ended: %s — nothing commits, the message is acknowledged and counted', async (_label, fields) => {
    // GIVEN a saga whose record says it ended, and stock for the late step
    const sku = await seedSku(5);
    const sagaId = testSagaId();
    await endSaga(sagaId, fields);
    const h = harness('stock');
    // WHEN its forward event arrives late
    const response = await h.handle(sqsEvent(orderPlaced(sagaId, sku, 2).record));
    // THEN it is refused: no barrier, no stock reserved, no event, acknowledged, counted
    expect(failures(response)).toEqual([]);
    expect(h.outcomes.at(-1)).toMatchObject({ kind: 'ended-refused' });
    expect(await getItem(stepKey('stock', sagaId, 'reserve'))).toBeUndefined();
    expect(await stockOf(sku)).toEqual({ available: 5, reserved: 0 });
    expect(await outbox('stock', sagaId)).toEqual([]);
    expect(h.metrics.total(METRIC.refusedAfterEnd)).toBe(1);
    expect(h.metrics.total(METRIC.refusedHanging)).toBe(0);
  });

  it('lets a forward step of a running saga (or one the tracker has not seen yet) commit', async () => {
    const sku = await seedSku(5);
    const running = testSagaId();
    await endSaga(running, { status: 'running' });
    const unseen = testSagaId();
    const h = harness('stock');
    await h.handle(sqsEvent(orderPlaced(running, sku, 1).record, orderPlaced(unseen, sku, 1).record));
    expect(h.outcomes.map((o) => ('state' in o ? o.state : o.kind))).toEqual(['done', 'done']);
    expect(await stockOf(sku)).toEqual({ available: 3, reserved: 2 });
  });

  it('counts a redelivered forward event of a step that ran and was compensated as a duplicate, not an anti-hanging refusal', async () => {
    // GIVEN a reservation that was compensated
    const sku = await seedSku(5);
    const sagaId = testSagaId();
    const forward = orderPlaced(sagaId, sku, 2).record;
    await harness('stock').handle(sqsEvent(forward));
    const declined = sagaRecord(shopSaga, { type: 'PaymentDeclined', producer: 'billing', sagaId, payload: shopPayloads.paymentDeclined(`o-${sagaId}`) });
    await harness('stock').handle(sqsEvent(declined.record));
    // WHEN the forward event is delivered again
    const h = harness('stock');
    await h.handle(sqsEvent(forward));
    // THEN it is a duplicate
    expect(h.outcomes.at(-1)).toMatchObject({ kind: 'duplicate' });
    expect(h.metrics.total(METRIC.refusedHanging)).toBe(0);
    expect(await stockOf(sku)).toEqual({ available: 5, reserved: 0 });
  });
});

describe('participant handler: events of a newer definition version (a rolling upgrade)', () => {
  it('retries them and, on the last allowed receive, keeps a failure record with the reason — never acknowledges and loses them', async () => {
    // GIVEN an OrderPlaced published by version 2 of the saga, delivered to a version-1 participant
    const sku = await seedSku(5);
    const sagaId = testSagaId();
    const { record: first } = orderPlaced(sagaId, sku, 1, { messageId: `m-${sagaId}` });
    const body = JSON.parse(first.body) as { detail: { definitionVersion: number } };
    body.detail.definitionVersion = shopSaga.version + 1;
    const record = { ...first, body: JSON.stringify(body) };
    const outcomes: RecordOutcome[] = [];
    const handle = createParticipantHandler(shopSaga, 'stock', stockSteps, {
      client: table.client,
      tableName: table.tableName,
      clock: { now: () => T0 },
      ids: () => testId('gen'),
      logger: silentLogger,
      metrics: new InMemoryMetrics(),
      maxReceiveCount: 5,
      onOutcome: (o) => outcomes.push(o),
    });
    const h = { handle };
    // WHEN it is delivered (and again on its last allowed receive)
    const response = await h.handle(sqsEvent(record));
    const last = await h.handle(sqsEvent({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '5' } }));
    // THEN it is not acknowledged, nothing committed, no rejection record; the failure record says why
    expect(failures(response)).toEqual([record.messageId]);
    expect(failures(last)).toEqual([record.messageId]);
    expect(await getItem(rejectionKey('stock', record.messageId))).toBeUndefined();
    expect(await stockOf(sku)).toEqual({ available: 5, reserved: 0 });
    const failure = await getItem({ pk: 'stock#failed', sk: record.messageId });
    expect(String(failure?.error)).toContain('newer than this handler');
    expect(failure?.sagaId).toBe(sagaId);
  });
});
