import * as z from 'zod/mini';
import { describe, expect, it } from 'vitest';
import { orderSaga } from '../../functions/order/index.js';
import { defineSaga, INITIATOR, RECONCILER, TIMEOUT_EVENT } from '../../lib/core/index.js';
import { allProducersToAudit, producersToScan } from '../../lib/runtime/reconciler/scan.js';
import { transferSaga } from '../fixtures/apps/transfer/saga.js';

type Entry = { eventId: string; type: string; producer: string; at: string; causationId?: string };

/** A timeline from `[type, producer, causing event's type?]` triples; event ids are `e-<type>`. */
function timeline(...events: [type: string, producer: string, causedBy?: string][]): Entry[] {
  return events.map(([type, producer, causedBy], i) => ({
    eventId: `e-${type}`,
    type,
    producer,
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    ...(causedBy ? { causationId: `e-${causedBy}` } : {}),
  }));
}

/** The reference saga stalled at payment: everything up to PointsFrozen happened and was tracked. */
const stalledAtPayment = timeline(
  ['OrderRequested', INITIATOR],
  ['StockReserved', 'inventory', 'OrderRequested'],
  ['OrderCreated', 'order', 'StockReserved'],
  ['PointsFrozen', 'points', 'OrderCreated'],
);

/** A step that replies with two events at once: a reaction is settled only when both are seen. */
const fanOutSaga = defineSaga({
  name: 'fanout',
  version: 1,
  deadlineSeconds: 60,
  start: 'Requested',
  events: { Requested: z.object({}), Shipped: z.object({}), Billed: z.object({}), Refused: z.object({}), Closed: z.object({}) },
  participants: {
    warehouse: { steps: { ship: { on: 'Requested', emits: ['Shipped', 'Billed'], failsWith: ['Refused'] } } },
    accounts: { steps: { close: { on: 'Billed', emits: ['Closed'] } } },
  },
  terminal: { success: ['Closed'], failure: ['Refused'] },
});

describe('reconciler: which outbox partitions a visit reads', () => {
  it('reads only the partition of the participant whose reply is missing (and the reconciler’s, for a TCC saga)', () => {
    // GIVEN the reference saga stalled at payment: every earlier reaction's reply is in the timeline
    // WHEN / THEN
    expect(producersToScan(orderSaga, { timeline: stalledAtPayment })).toEqual([RECONCILER, 'payment']);
    // … where the audit of an ended saga reads every producer but the initiator
    expect(allProducersToAudit(orderSaga, { timeline: stalledAtPayment })).toEqual([RECONCILER, 'inventory', 'order', 'points', 'payment']);
  });

  it('fails if a participant whose reply is missing is skipped', () => {
    // GIVEN OrderCreated never reached the tracker (its row may be lost): order's reaction to StockReserved is unsettled
    const lostReply = stalledAtPayment.filter((t) => t.type !== 'OrderCreated' && t.type !== 'PointsFrozen');
    // WHEN / THEN order is read; points, whose trigger never arrived, is not
    expect(producersToScan(orderSaga, { timeline: lostReply })).toEqual([RECONCILER, 'order']);
  });

  it('reads the initiator’s partition while the start event is unseen, and nothing else of an empty timeline', () => {
    expect(producersToScan(transferSaga, { timeline: [] })).toEqual([INITIATOR]);
    expect(producersToScan(orderSaga, { timeline: [] })).toEqual([INITIATOR, RECONCILER]);
  });

  it('reads the reconciler’s partition of a saga without TCC steps only once a timeout was published', () => {
    // GIVEN a transfer that debited and waits for the credit
    const waiting = timeline(['TransferRequested', INITIATOR], ['Debited', 'wallet', 'TransferRequested']);
    // THEN before the timeout the ledger (reply missing) is read, the reconciler's partition is not
    expect(producersToScan(transferSaga, { timeline: waiting })).toEqual(['ledger']);
    // … and once the record says a timeout was published, it is (the timeout's row may be lost)
    expect(producersToScan(transferSaga, { timeline: waiting, timeoutPublishedAt: '2026-01-01T00:05:00.000Z' })).toEqual([RECONCILER, 'ledger']);
    // … and once the timeout is tracked, the ledger's compensation must reply too (CreditVoided)
    const timedOut = [...waiting, ...timeline([TIMEOUT_EVENT, RECONCILER])];
    const credited = [...timedOut, ...timeline(['Credited', 'ledger', 'Debited'])];
    expect(producersToScan(transferSaga, { timeline: credited, timeoutPublishedAt: '2026-01-01T00:05:00.000Z' })).toEqual([RECONCILER, 'ledger']);
  });

  it('fails if a reaction that replies with two events is settled by one of them', () => {
    // GIVEN the warehouse shipped: Shipped is tracked, Billed (same reaction, same transaction) is not
    const oneOfTwo = timeline(['Requested', INITIATOR], ['Shipped', 'warehouse', 'Requested']);
    expect(producersToScan(fanOutSaga, { timeline: oneOfTwo })).toEqual(['warehouse']);
    // WHEN both replies are tracked THEN the warehouse is settled, and the accounts' reply to Billed is awaited
    const both = [...oneOfTwo, ...timeline(['Billed', 'warehouse', 'Requested'])];
    expect(producersToScan(fanOutSaga, { timeline: both })).toEqual(['accounts']);
    // … and a failure reply (its own list, one event) settles the reaction on its own
    const refused = timeline(['Requested', INITIATOR], ['Refused', 'warehouse', 'Requested']);
    expect(producersToScan(fanOutSaga, { timeline: refused })).toEqual([]);
  });

  it('skips reactions that cannot emit, and reads a partition whose replies carry no causation (older trackers)', () => {
    // GIVEN a compensated reference saga: the points cancel (on StockReleased) emits nothing
    const compensated = timeline(
      ['OrderRequested', INITIATOR],
      ['StockReserved', 'inventory', 'OrderRequested'],
      ['OrderCreated', 'order', 'StockReserved'],
      ['PointsUnavailable', 'points', 'OrderCreated'],
      ['OrderCancelled', 'order', 'PointsUnavailable'],
      ['StockReleased', 'inventory', 'OrderCancelled'],
    );
    expect(producersToScan(orderSaga, { timeline: compensated })).toEqual([RECONCILER]);
    // WHEN the replies were tracked without causation ids THEN nothing can be called settled
    const noCausation = compensated.map(({ causationId: _c, ...rest }) => rest);
    expect(producersToScan(orderSaga, { timeline: noCausation })).toEqual([RECONCILER, 'inventory', 'order', 'points']);
  });
});
