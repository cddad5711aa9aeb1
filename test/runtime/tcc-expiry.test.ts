import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderSaga, type OrderSaga } from '../../functions/order/index.js';
import { customerOf, readPoints, readPointsStep, referenceParticipants, seedPoints, seedStock } from '../../lib/cli/reference-app.js';
import { RESERVATION_EXPIRED_EVENT } from '../../lib/core/index.js';
import { LocalCloud } from '../../lib/local/cloud.js';
import { createLocalReconciler } from '../../lib/local/reconciler-schedule.js';
import { reservationExpiryCheck } from '../../lib/runtime/participant/tcc.js';

/**
 * End to end on the local cloud: the confirm trigger of a TCC reservation is lost; the reservation
 * expires; the reconciler (with the expiry check registered, as functions/reconciler.ts does) reads
 * the saga's decision and publishes ReservationExpired through its outbox; the relay, the bus rule
 * and the points participant's barrier finish the confirm. Nothing is frozen forever.
 */

let cloud: LocalCloud<OrderSaga>;
beforeAll(async () => {
  cloud = await LocalCloud.start({ definition: orderSaga, participants: referenceParticipants, seed: ((process.pid % 100_000) * 1000 + 913) >>> 0 });
  await seedStock(cloud, { 'sku-espresso': 10 });
});
afterAll(async () => cloud.stop());

describe('TCC reservation expiry through the reconciler', () => {
  it('a completed saga whose confirm was lost gets its points spent after the reservation expires', async () => {
    // GIVEN a customer with 300 points and an order redeeming 120 of them
    const order = { orderId: 'order-lost-confirm', sku: 'sku-espresso', quantity: 1, amountCents: 2_000, pointsToRedeem: 120 };
    const customerId = customerOf(order);
    await seedPoints(cloud, { [customerId]: 300 });
    // AND the OrderCompleted delivery to the points service is lost
    let dropped = 0;
    cloud.beforeInvoke = (consumer, messages) => {
      if (consumer !== 'points') return true;
      const lost = messages.filter((m) => (JSON.parse(m.body) as { 'detail-type': string })['detail-type'] === 'OrderCompleted');
      for (const m of lost) if (m.receiptHandle) cloud.consumer('points').queue.delete(m.receiptHandle);
      dropped += lost.length;
      return lost.length === 0;
    };
    const { sagaId } = await cloud.startSaga({ ...order, customerId });
    await cloud.runUntilQuiet();
    cloud.beforeInvoke = () => true;

    // THEN the saga completed, but the points are still frozen
    expect(dropped).toBe(1);
    expect((await cloud.sagaRecord(sagaId))?.status).toBe('completed');
    expect(await readPointsStep(cloud, sagaId)).toEqual({ state: 'done', points: 120 });
    expect(await readPoints(cloud, customerId)).toEqual({ available: 180, frozen: 120, spent: 0 });

    // WHEN the reconciler runs before the expiry: nothing to do
    const reconciler = createLocalReconciler(cloud, { checks: [reservationExpiryCheck()] });
    const early = await reconciler.runOnce();
    expect(early.checks.find((c) => c.name === 'tcc-reservations')?.discrepancies ?? []).toEqual([]);

    // WHEN the reservation expired (2 × the deadline after the try) and the reconciler runs
    cloud.clock.advance(2 * orderSaga.deadlineSeconds * 1000 + 1_000);
    const run = await reconciler.runOnce();
    const found = run.checks.find((c) => c.name === 'tcc-reservations')?.discrepancies ?? [];
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ expected: 'confirmed', repaired: expect.stringMatching(/^confirm requested/) });
    await cloud.runUntilQuiet();

    // THEN the points participant confirmed through its barrier: the points are spent
    expect(await readPointsStep(cloud, sagaId)).toEqual({ state: 'confirmed', points: 120 });
    expect(await readPoints(cloud, customerId)).toEqual({ available: 180, frozen: 0, spent: 120 });
    const record = await cloud.sagaRecord(sagaId);
    expect(record?.status).toBe('completed');
    expect(record?.timeline.map((t) => t.type)).toContain(RESERVATION_EXPIRED_EVENT);

    // AND the next run finds nothing any more
    const after = await reconciler.runOnce();
    expect(after.checks.find((c) => c.name === 'tcc-reservations')?.discrepancies ?? []).toEqual([]);
  });
});
