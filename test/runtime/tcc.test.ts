import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderSaga } from '../../functions/order/definition.js';
import { pointsAccountKey, pointsSteps } from '../../functions/order/points.js';
import { inventorySteps } from '../../functions/order/inventory.js';
import { KEY, outboxPartition, rejectionKey, RECONCILER, RESERVATION_EXPIRED_EVENT, sagaKey, sourceFor, stepKey, type Envelope } from '../../lib/core/index.js';
import { createParticipantHandler, type RecordOutcome } from '../../lib/runtime/participant/handler.js';
import { createTccParticipantHandler } from '../../lib/runtime/participant/tcc-handler.js';
import { InMemoryMetrics, METRIC, silentLogger } from '../../lib/runtime/shared/ports.js';
import { decisionFor, findExpiredReservations, requestExpiredReservations, reservationExpiryCheck, tccVerdict } from '../../lib/runtime/participant/tcc.js';
import { freshTable } from '../support/dynamo.js';

/**
 * The TCC barrier of the reference points participant on DynamoDB Local: try (OrderCreated),
 * confirm (OrderCompleted), cancel (StockReleased), in every order, with duplicates.
 */

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
let table: Awaited<ReturnType<typeof freshTable>>;
let now = T0;
const clock = { now: () => now };
const metrics = new InMemoryMetrics();
const outcomes: RecordOutcome[] = [];
let handler: ReturnType<typeof createTccParticipantHandler>;

beforeAll(async () => {
  table = await freshTable('tcc');
  handler = createTccParticipantHandler(orderSaga, 'points', pointsSteps, {
    client: table.client,
    tableName: table.tableName,
    clock,
    ids: () => randomUUID(),
    logger: silentLogger,
    metrics,
    onOutcome: (o) => outcomes.push(o),
  });
});
afterAll(() => table.raw.destroy());

type Phase = 'T' | 'C' | 'X';
const TRIGGER: Record<Phase, { type: string; producer: string }> = {
  T: { type: 'OrderCreated', producer: 'order' },
  C: { type: 'OrderCompleted', producer: 'order' },
  X: { type: 'StockReleased', producer: 'inventory' },
};

function record(sagaId: string, type: string, producer: string, payload: unknown): SQSRecord {
  const envelope: Envelope = { eventId: randomUUID(), sagaId, definition: orderSaga.name, definitionVersion: orderSaga.version, type, producer, occurredAt: new Date(now).toISOString(), payload };
  const body = JSON.stringify({ version: '0', id: randomUUID(), 'detail-type': type, source: sourceFor(orderSaga, producer), account: '000000000000', time: envelope.occurredAt, region: 'local', resources: [], detail: envelope });
  const messageId = randomUUID();
  return {
    messageId,
    receiptHandle: messageId,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(now), SenderId: 'test', ApproximateFirstReceiveTimestamp: String(now) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:points',
    awsRegion: 'local',
  };
}

interface Saga {
  readonly sagaId: string;
  readonly orderId: string;
  readonly customerId: string;
}

function newSaga(): Saga {
  const id = randomUUID().replace(/-/g, '').slice(0, 16);
  return { sagaId: `s-${id}`, orderId: `o-${id}`, customerId: `c-${id}` };
}

function payloadFor(phase: Phase, s: Saga, points: number): unknown {
  if (phase === 'T') return { orderId: s.orderId, amountCents: 5_000, customerId: s.customerId, pointsToRedeem: points };
  if (phase === 'C') return { orderId: s.orderId };
  return { orderId: s.orderId, sku: 'sku-1', quantity: 1 };
}

/** Delivers one phase's trigger; returns the runtime's outcome for it and whether the message was acknowledged. */
async function deliver(s: Saga, phase: Phase, points: number): Promise<{ kind: string; acked: boolean }> {
  const { type, producer } = TRIGGER[phase];
  const message = record(s.sagaId, type, producer, payloadFor(phase, s, points));
  const response = await handler({ Records: [message] });
  // Deliveries may run concurrently: pick this message's own outcome (the run's, not the rejection record's).
  const mine = outcomes.filter((o) => o.messageId === message.messageId);
  const outcome = mine.find((o) => o.kind !== 'rejected') ?? mine[0];
  const kind = outcome?.kind === 'committed' ? `committed:${(outcome as { state: string }).state}` : String(outcome?.kind);
  return { kind, acked: response.batchItemFailures.length === 0 };
}

async function seedAccount(customerId: string, available: number): Promise<void> {
  await table.client.send(new PutCommand({ TableName: table.tableName, Item: { ...pointsAccountKey(customerId), available, frozen: 0, spent: 0 } }));
}

async function account(customerId: string): Promise<{ available: number; frozen: number; spent: number }> {
  const out = await table.client.send(new GetCommand({ TableName: table.tableName, Key: pointsAccountKey(customerId), ConsistentRead: true }));
  return { available: Number(out.Item?.available), frozen: Number(out.Item?.frozen), spent: Number(out.Item?.spent) };
}

async function barrier(s: Saga): Promise<Record<string, unknown> | undefined> {
  const out = await table.client.send(new GetCommand({ TableName: table.tableName, Key: stepKey('points', s.sagaId, 'freezePoints'), ConsistentRead: true }));
  return out.Item;
}

// ---------------------------------------------------------------------------------------------
// The oracle: what the barrier must do for each phase in each state (docs/patterns.md, TCC).
// ---------------------------------------------------------------------------------------------

type State = 'absent' | 'done' | 'confirmed' | 'compensated' | 'voided';
interface Expect {
  readonly next: State;
  readonly outcome: string;
  readonly acked: boolean;
}
function oracle(state: State, phase: Phase): Expect {
  if (phase === 'T') {
    if (state === 'absent') return { next: 'done', outcome: 'committed:done', acked: true };
    // A try redelivered after it ran (and was cancelled since) is a duplicate; only a try after a null cancel hangs.
    if (state === 'done' || state === 'confirmed' || state === 'compensated') return { next: state, outcome: 'duplicate', acked: true };
    return { next: state, outcome: 'hanging-refused', acked: true }; // anti-hanging: a try after its (null) cancel
  }
  if (phase === 'C') {
    if (state === 'absent') return { next: state, outcome: 'retry', acked: false }; // the decision was commit: the try must exist
    if (state === 'done') return { next: 'confirmed', outcome: 'committed:confirmed', acked: true };
    if (state === 'confirmed') return { next: state, outcome: 'duplicate', acked: true };
    return { next: state, outcome: 'conflict', acked: true }; // confirm after cancel: refused, flagged
  }
  if (state === 'absent') return { next: 'voided', outcome: 'committed:voided', acked: true }; // null cancel
  if (state === 'done') return { next: 'compensated', outcome: 'committed:compensated', acked: true };
  if (state === 'confirmed') return { next: state, outcome: 'conflict', acked: true }; // cancel after confirm: refused, flagged
  return { next: state, outcome: 'duplicate', acked: true };
}

function sequences(maxLength: number): Phase[][] {
  const out: Phase[][] = [];
  const grow = (prefix: Phase[]): void => {
    if (prefix.length > 0) out.push(prefix);
    if (prefix.length === maxLength) return;
    for (const p of ['T', 'C', 'X'] as const) grow([...prefix, p]);
  };
  grow([]);
  return out;
}

describe('TCC barrier: every ordering of try / confirm / cancel, with duplicates (DynamoDB Local)', () => {
  const all = sequences(4); // 3 + 9 + 27 + 81 = 120 orderings

  it('covers 120 orderings', () => expect(all).toHaveLength(120));

  it.each(all.map((seq) => [seq.join(' → '), seq] as const))('%s', async (_label, seq) => {
    // GIVEN a customer with 500 points, an order redeeming 120 of them
    const s = newSaga();
    await seedAccount(s.customerId, 500);
    let state: State = 'absent';
    for (const phase of seq) {
      // WHEN the phase's trigger arrives
      const got = await deliver(s, phase, 120);
      // THEN the barrier does what the oracle says …
      const want = oracle(state, phase);
      expect({ phase, ...got }).toEqual({ phase, kind: want.outcome, acked: want.acked });
      state = want.next;
      if (want.outcome === 'conflict') {
        const rejected = outcomes.filter((o) => o.kind === 'rejected' && o.sagaId === s.sagaId);
        expect(rejected.at(-1)).toMatchObject({ reason: 'phase-conflict' });
      }
      // … and the points are conserved: never spent twice, never lost
      const a = await account(s.customerId);
      expect(a.available + a.frozen + a.spent).toBe(500);
      expect(a).toEqual({ available: state === 'done' || state === 'confirmed' ? 380 : 500, frozen: state === 'done' ? 120 : 0, spent: state === 'confirmed' ? 120 : 0 });
      expect((await barrier(s))?.state ?? 'absent').toBe(state);
    }
    // and the reservation is indexed exactly while it is open (reserved, undecided)
    const b = await barrier(s);
    expect(b?.[KEY.openPartition] !== undefined).toBe(state === 'done');
  });
});

describe('TCC barrier: more cases', () => {
  it('a try that cannot reserve fails the step; its cancel is a null cancel and a confirm is refused and flagged', async () => {
    const s = newSaga();
    await seedAccount(s.customerId, 50);
    expect(await deliver(s, 'T', 120)).toEqual({ kind: 'committed:failed', acked: true });
    expect(await deliver(s, 'C', 120)).toEqual({ kind: 'conflict', acked: true });
    const rejection = await table.client.send(new QueryCommand({ TableName: table.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': rejectionKey('points', 'x').pk } }));
    expect(rejection.Items?.some((i) => i.sagaId === s.sagaId && i.reason === 'phase-conflict')).toBe(true);
    expect(await deliver(s, 'X', 120)).toEqual({ kind: 'committed:voided', acked: true });
    expect(await account(s.customerId)).toEqual({ available: 50, frozen: 0, spent: 0 });
  });

  it('a confirm and a cancel racing for one reservation: exactly one commits, the points are conserved', async () => {
    for (let round = 0; round < 8; round++) {
      const s = newSaga();
      await seedAccount(s.customerId, 300);
      await deliver(s, 'T', 100);
      const [c, x] = await Promise.all([deliver(s, 'C', 100), deliver(s, 'X', 100)]);
      const committed = [c.kind, x.kind].filter((k) => k.startsWith('committed'));
      expect(committed, `round ${round}: ${c.kind} / ${x.kind}`).toHaveLength(1);
      const loser = committed[0] === 'committed:confirmed' ? x : c;
      expect(loser.kind).toBe('conflict');
      const a = await account(s.customerId);
      expect(a.available + a.frozen + a.spent).toBe(300);
      expect(a.frozen).toBe(0);
      expect(a.spent).toBe(committed[0] === 'committed:confirmed' ? 100 : 0);
    }
  });

  it('concurrent tries of one customer never freeze more points than the account holds (isolation)', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await seedAccount(customerId, 250);
    const sagas = Array.from({ length: 6 }, () => ({ ...newSaga(), customerId }));
    const results = await Promise.all(sagas.map((s) => deliver(s, 'T', 100)));
    // Conflicting commits re-run, then retry; deliver the retried ones again as SQS would
    for (let i = 0; i < sagas.length; i++) while (results[i]!.kind === 'retry') results[i] = await deliver(sagas[i]!, 'T', 100);
    const frozen = results.filter((r) => r.kind === 'committed:done').length;
    expect(frozen).toBe(2);
    expect(results.filter((r) => r.kind === 'committed:failed')).toHaveLength(4);
    expect(await account(customerId)).toEqual({ available: 50, frozen: 200, spent: 0 });
  });

  it('a try with nothing to redeem still votes yes and is confirmed without business writes', async () => {
    const s = newSaga();
    await seedAccount(s.customerId, 10);
    expect(await deliver(s, 'T', 0)).toEqual({ kind: 'committed:done', acked: true });
    expect(await deliver(s, 'C', 0)).toEqual({ kind: 'committed:confirmed', acked: true });
    expect(await account(s.customerId)).toEqual({ available: 10, frozen: 0, spent: 0 });
  });

  it('a TCC participant needs the TCC factory: createParticipantHandler refuses it at once and names the one to use', () => {
    // The TCC phase code lives behind createTccParticipantHandler so other participants' bundles leave it out.
    expect(() => createParticipantHandler(orderSaga, 'points', pointsSteps, { client: table.client, tableName: table.tableName })).toThrow(
      /step "freezePoints" is a TCC step .*createTccParticipantHandler/,
    );
    // Participants without TCC steps take either factory.
    expect(typeof createTccParticipantHandler(orderSaga, 'inventory', inventorySteps, { client: table.client, tableName: table.tableName })).toBe('function');
  });

  it('the verdict table is total', () => {
    const states = [undefined, 'done', 'failed', 'confirmed', 'compensated', 'voided'] as const;
    expect(states.map((s) => tccVerdict('confirm', s))).toEqual(['retry', 'run', 'conflict', 'duplicate', 'conflict', 'conflict']);
    expect(states.map((s) => tccVerdict('cancel', s))).toEqual(['run', 'run', 'run', 'conflict', 'duplicate', 'duplicate']);
  });
});

describe('TCC reservation expiry (the reconciler asks the saga for its decision)', () => {
  const reservationMs = 2 * orderSaga.deadlineSeconds * 1000;

  async function writeSagaRecord(sagaId: string, status: string): Promise<void> {
    await table.client.send(new PutCommand({ TableName: table.tableName, Item: { ...sagaKey(sagaId), kind: 'saga', sagaId, status, timeline: [], version: 1 } }));
  }

  async function reservedSaga(): Promise<Saga> {
    const s = newSaga();
    await seedAccount(s.customerId, 100);
    await deliver(s, 'T', 40);
    return s;
  }

  async function expiryRows(sagaId: string): Promise<Envelope[]> {
    const out = await table.client.send(new QueryCommand({ TableName: table.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': outboxPartition(RECONCILER, sagaId) }, ConsistentRead: true }));
    return (out.Items ?? []).map((i) => JSON.parse(String(i.detail)) as Envelope);
  }

  it('decides from the saga record: completed → confirm, compensated or gone → cancel, otherwise undecided', () => {
    expect(decisionFor('completed')).toBe('confirm');
    expect(decisionFor('compensated')).toBe('cancel');
    expect(decisionFor(undefined)).toBe('cancel');
    for (const open of ['running', 'compensating', 'failed-needs-attention']) expect(decisionFor(open)).toBeUndefined();
  });

  it('requests the decided phase once per reservation, and the participant finishes it through the barrier', async () => {
    // GIVEN four reservations: saga completed, compensated, gone, still running
    const completed = await reservedSaga();
    const compensated = await reservedSaga();
    const gone = await reservedSaga();
    const running = await reservedSaga();
    await writeSagaRecord(completed.sagaId, 'completed');
    await writeSagaRecord(compensated.sagaId, 'compensated');
    await writeSagaRecord(running.sagaId, 'running');
    const mine = (ids: string[]) => (r: { sagaId: string }) => ids.includes(r.sagaId);
    const ids = [completed, compensated, gone, running].map((s) => s.sagaId);

    // WHEN nothing has expired yet THEN nothing is found
    expect((await findExpiredReservations(table, now, 1000)).filter(mine(ids))).toEqual([]);

    // WHEN the reservations expire and the reconciler runs
    now += reservationMs + 1;
    const report = await requestExpiredReservations(orderSaga, table, { now, limit: 1000 });
    expect(report.requested.filter(mine(ids)).map((r) => [r.sagaId, r.decision, r.sagaStatus]).sort()).toEqual(
      [
        [completed.sagaId, 'confirm', 'completed'],
        [compensated.sagaId, 'cancel', 'compensated'],
        [gone.sagaId, 'cancel', 'absent'],
      ].sort(),
    );
    expect(report.undecided.filter(mine(ids)).map((r) => r.sagaId)).toEqual([running.sagaId]);

    // THEN each decided saga got one ReservationExpired event in the reconciler's outbox
    const [event] = await expiryRows(completed.sagaId);
    expect(event).toMatchObject({ type: RESERVATION_EXPIRED_EVENT, producer: RECONCILER, payload: { participant: 'points', step: 'freezePoints', decision: 'confirm' } });

    // AND a second run requests nothing again (deterministic event id), it reports them unresolved
    const again = await requestExpiredReservations(orderSaga, table, { now, limit: 1000 });
    expect(again.requested.filter(mine(ids))).toEqual([]);
    expect(again.stillUnresolved.filter(mine(ids))).toHaveLength(3);

    // WHEN the relay delivers the events to the points participant
    for (const s of [completed, compensated, gone]) {
      const [env] = await expiryRows(s.sagaId);
      const response = await handler({ Records: [record(s.sagaId, RESERVATION_EXPIRED_EVENT, RECONCILER, env!.payload)] });
      expect(response.batchItemFailures).toEqual([]);
    }
    // THEN completed spent its points, compensated and gone got them back, running still holds them
    expect(await account(completed.customerId)).toEqual({ available: 60, frozen: 0, spent: 40 });
    expect(await account(compensated.customerId)).toEqual({ available: 100, frozen: 0, spent: 0 });
    expect(await account(gone.customerId)).toEqual({ available: 100, frozen: 0, spent: 0 });
    expect(await account(running.customerId)).toEqual({ available: 60, frozen: 40, spent: 0 });
    // and the finished reservations left the index
    expect((await findExpiredReservations(table, now, 1000)).filter(mine(ids)).map((r) => r.sagaId)).toEqual([running.sagaId]);
    expect(metrics.total(METRIC.confirmations)).toBeGreaterThan(0);
  });

  it('an expiry addressed to another participant is acknowledged without effect', async () => {
    const s = await reservedSaga();
    const payload = { participant: 'inventory', step: 'reserveStock', decision: 'cancel', sagaStatus: 'compensated', expiredAt: new Date(now).toISOString() };
    const response = await handler({ Records: [record(s.sagaId, RESERVATION_EXPIRED_EVENT, RECONCILER, payload)] });
    expect(response.batchItemFailures).toEqual([]);
    expect((await barrier(s))?.state).toBe('done');
  });

  it('plugs into the reconciler as a check whose repairs request the decided phases', async () => {
    const s = await reservedSaga();
    await writeSagaRecord(s.sagaId, 'compensated');
    now += reservationMs + 1;
    const check = reservationExpiryCheck({ limit: 1000 });
    const found = (await check.run({ def: orderSaga, client: table.client, tableName: table.tableName, now: new Date(now) })).filter((d) => d.subject.includes(s.sagaId));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ expected: 'cancelled' });
    expect(await found[0]!.repair!()).toMatch(/^cancel requested/);
    expect(await found[0]!.repair!()).toMatch(/already requested/);
    expect(await expiryRows(s.sagaId)).toHaveLength(1);
  });
});
