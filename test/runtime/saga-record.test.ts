import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../lib/core/envelope.js';
import { ATTENTION_SHARD, ENDED_SHARD, openShardOf, sagaKey } from '../../lib/core/keys.js';
import { applyEvent, statusImpliedBy, type SagaRecord } from '../../lib/runtime/shared/saga-record.js';
import { shopPayloads, shopSaga } from '../fixtures/shop-saga.js';
import { envelope, T0 } from '../support/events.js';

/** Folding events into the saga record: order- and duplicate-insensitive, monotonic, first terminal wins. */

const SAGA = 's-record-0001';
const NOW = T0 + 3_600_000;
const at = (ms: number) => new Date(T0 + ms).toISOString();

function ev(type: string, producer: string, payload: unknown, ms: number, eventId = `evt-${type}-${ms}`): Envelope {
  return envelope(shopSaga, { type, producer, sagaId: SAGA, payload, occurredAt: at(ms), eventId });
}

const placed = ev('OrderPlaced', 'initiator', shopPayloads.orderPlaced('o-1', 'sku-1'), 0);
const reserved = ev('StockReserved', 'stock', shopPayloads.stockReserved('o-1', 'sku-1'), 10);
const captured = ev('PaymentCaptured', 'billing', shopPayloads.paymentCaptured('o-1'), 20);
const declined = ev('PaymentDeclined', 'billing', shopPayloads.paymentDeclined('o-1'), 20);
const released = ev('StockReleased', 'stock', shopPayloads.stockReleased('o-1', 'sku-1'), 30);
const unavailable = ev('StockUnavailable', 'stock', shopPayloads.stockUnavailable('o-1', 'sku-1'), 10);

/** Folds envelopes in the given order, the way the tracker does (a duplicate writes nothing). */
function fold(events: readonly Envelope[], now = NOW): SagaRecord | undefined {
  let record: SagaRecord | undefined;
  for (const e of events) record = applyEvent(shopSaga, record, e, now) ?? record;
  return record;
}

/** Arbitrary delivery: every event at least once, in any order, some of them several times. */
const deliveries = (events: readonly Envelope[]) =>
  fc
    .tuple(fc.shuffledSubarray([...events], { minLength: events.length, maxLength: events.length }), fc.array(fc.tuple(fc.nat(events.length - 1), fc.nat(100)), { maxLength: 6 }))
    .map(([order, dups]) => {
      const out = [...order];
      for (const [which, where] of dups) out.splice(where % (out.length + 1), 0, events[which]!);
      return out;
    });

describe('saga record: applyEvent', () => {
  it.each([
    ['a completed saga', [placed, reserved, captured]],
    ['a compensated saga', [placed, reserved, declined, released]],
    ['a saga that failed at once', [placed, unavailable]],
    ['a saga still running (open)', [placed, reserved]],
    ['a saga compensating (open)', [placed, reserved, declined]],
  ])('out-of-order and duplicate deliveries of %s produce the same record', (_label, events) => {
    const inOrder = fold(events);
    fc.assert(
      fc.property(deliveries(events), (sequence) => {
        expect(fold(sequence)).toEqual(inOrder);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('orders the timeline by occurrence time, then event id, whatever the arrival order', () => {
    // GIVEN two events that occurred in the same millisecond
    const a = ev('StockReserved', 'stock', shopPayloads.stockReserved('o-1', 'sku-1'), 10, 'evt-aaaa-0001');
    const b = ev('PaymentDeclined', 'billing', shopPayloads.paymentDeclined('o-1'), 10, 'evt-bbbb-0002');
    // WHEN they arrive in either order
    const ab = fold([placed, a, b]);
    const ba = fold([placed, b, a]);
    // THEN the records are the same
    expect(ba).toEqual(ab);
    expect(ab?.timeline.map((t) => t.eventId)).toEqual([placed.eventId, 'evt-aaaa-0001', 'evt-bbbb-0002']);
  });

  it('a duplicate event id changes nothing (no write)', () => {
    const record = fold([placed, reserved]);
    expect(applyEvent(shopSaga, record, reserved, NOW + 1)).toBeUndefined();
    expect(applyEvent(shopSaga, record, { ...reserved, occurredAt: at(999) }, NOW + 1)).toBeUndefined();
  });

  it('counts the start and the deadline from the earliest event, even when it arrives last', () => {
    const record = fold([declined, reserved, placed]);
    expect(record).toMatchObject({ startedAt: at(0), deadline: at(shopSaga.deadlineSeconds * 1000), version: 3, status: 'compensating' });
    expect(record?.nextCheckAt).toBe(at(shopSaga.deadlineSeconds * 1000));
  });

  it('status only moves upward: a late forward event does not undo compensating', () => {
    const record = fold([placed, declined, reserved]);
    expect(record?.status).toBe('compensating');
    expect(fold([placed, reserved])?.status).toBe('running');
  });

  it('an operator flag is not lowered by a forward event, and a terminal event still ends the saga', () => {
    const flagged = { ...fold([placed])!, status: 'failed-needs-attention' as const, flaggedReason: 'stuck' };
    expect(applyEvent(shopSaga, flagged, reserved, NOW)?.status).toBe('failed-needs-attention');
    const ended = applyEvent(shopSaga, flagged, captured, NOW);
    expect(ended).toMatchObject({ status: 'completed', terminalEvent: 'PaymentCaptured', flaggedReason: 'stuck' });
  });

  it.each([
    [[captured, released], 'completed', 'PaymentCaptured'],
    [[released, captured], 'compensated', 'StockReleased'],
  ] as const)('the first terminal event stays the terminal event; a second of the other kind flags the saga (%#)', (events, _status, terminalEvent) => {
    const record = fold([placed, ...events, declined]);
    expect(record).toMatchObject({ status: 'failed-needs-attention', terminalEvent });
    expect(record?.flaggedReason).toContain('contradictory timeline');
    expect(record?.timeline).toHaveLength(4);
  });

  it('keeps the open-sagas index attributes while open, moves the saga to open#ended at the terminal, and out once audited', () => {
    // GIVEN an open saga
    const open = fold([placed, reserved]);
    expect(open).toMatchObject({ ...sagaKey(SAGA), kind: 'saga', openShard: openShardOf(SAGA), nextCheckAt: at(shopSaga.deadlineSeconds * 1000) });
    // WHEN its terminal event arrives
    const closed = applyEvent(shopSaga, open, released, NOW);
    // THEN it leaves the open shards for open#ended, due from its end (the reconciler audits its outbox once)
    expect(closed?.status).toBe('compensated');
    expect(closed).toMatchObject({ openShard: ENDED_SHARD, nextCheckAt: new Date(NOW).toISOString() });
    // AND once audited, a late event keeps it out of the index
    const late = applyEvent(shopSaga, { ...closed!, auditedAt: new Date(NOW).toISOString() }, declined, NOW + 1);
    expect(late && 'openShard' in late).toBe(false);
    expect(late && 'nextCheckAt' in late).toBe(false);
  });

  it('keeps a check time the reconciler moved, while following an earlier deadline otherwise', () => {
    const open = fold([reserved])!;
    const postponed = { ...open, nextCheckAt: at(10_000_000) };
    expect(applyEvent(shopSaga, postponed, placed, NOW)?.nextCheckAt).toBe(at(10_000_000));
    expect(applyEvent(shopSaga, open, placed, NOW)?.nextCheckAt).toBe(at(shopSaga.deadlineSeconds * 1000));
  });

  it('maps events to the status they imply', () => {
    expect(statusImpliedBy(shopSaga, 'OrderPlaced')).toBe('running');
    expect(statusImpliedBy(shopSaga, 'StockReserved')).toBe('running');
    expect(statusImpliedBy(shopSaga, 'PaymentDeclined')).toBe('compensating');
    expect(statusImpliedBy(shopSaga, 'SagaTimedOut')).toBe('compensating');
    expect(statusImpliedBy(shopSaga, 'PaymentCaptured')).toBe('completed');
    expect(statusImpliedBy(shopSaga, 'StockUnavailable')).toBe('compensated');
    expect(statusImpliedBy(shopSaga, 'StockReleased')).toBe('compensated');
  });
});

describe('saga record: a contradictory timeline is flagged', () => {
  it('flags a completed saga that then gets a failure terminal, with the reason, and keeps it flagged', () => {
    // GIVEN a completed saga
    const done = fold([placed, reserved, captured])!;
    expect(done.status).toBe('completed');
    // WHEN a failure terminal arrives after it
    const flagged = applyEvent(shopSaga, done, released, NOW + 1)!;
    // THEN it is flagged for a person, in the attention partition, with what contradicts what
    expect(flagged).toMatchObject({ status: 'failed-needs-attention', openShard: ATTENTION_SHARD });
    expect(flagged.flaggedReason).toContain('completed by PaymentCaptured, and the failure terminal StockReleased');
    expect(flagged.timeline.map((t) => t.type)).toContain('StockReleased');
    // AND nothing arriving later un-flags it
    const later = applyEvent(shopSaga, flagged, ev('StockReserved', 'stock', shopPayloads.stockReserved('o-1', 'sku-1'), 40, 'evt-late-2'), NOW + 2)!;
    expect(later.status).toBe('failed-needs-attention');
    expect(later.flaggedReason).toBe(flagged.flaggedReason);
  });

  it('flags a compensated saga that then gets an event only a forward step emits (an effect after the end)', () => {
    const compensated = fold([placed, reserved, declined, released])!;
    expect(compensated.status).toBe('compensated');
    const late = ev('StockReserved', 'stock', shopPayloads.stockReserved('o-1', 'sku-1'), 50, 'evt-late-reserve');
    const flagged = applyEvent(shopSaga, compensated, late, NOW + 1)!;
    expect(flagged.status).toBe('failed-needs-attention');
    expect(flagged.flaggedReason).toContain('a forward effect committed after the saga ended');
    // … while the same event that occurred before the end is only a late delivery
    expect(applyEvent(shopSaga, compensated, ev('StockReserved', 'stock', shopPayloads.stockReserved('o-1', 'sku-1'), 20, 'evt-early-reserve'), NOW + 1)?.status).toBe('compensated');
  });

  it('does not flag a late event consistent with the end (a failure event after compensated, a duplicate)', () => {
    const compensated = fold([placed, reserved, declined, released])!;
    expect(applyEvent(shopSaga, compensated, unavailable, NOW + 1)?.status).toBe('compensated');
    expect(applyEvent(shopSaga, compensated, released, NOW + 1)).toBeUndefined();
  });
});
