import { afterEach, describe, expect, it } from 'vitest';
import { inventorySteps } from '../../functions/order/index.js';
import { ATTENTION_SHARD } from '../../lib/core/keys.js';
import { bufferIO } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/main.js';
import { createOperatorCommands } from '../../lib/cli/operator/commands.js';
import { localOperatorContext } from '../../lib/cli/operator/local.js';
import type { LocalCloud } from '../../lib/local/cloud.js';
import { scheduleReconciler, type LocalReconciler } from '../../lib/local/reconciler-schedule.js';
import { inOrder, loseDeliveries, order, orderCloud, published, saga, stock } from '../runtime/reconciler/support.js';

let cloud: LocalCloud | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

const DECLINED = 90_000;

/** Runs `saga <argv>` with the operator commands wired to the local cloud. */
async function saga_(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO();
  const code = await main(argv, io, createOperatorCommands(async () => localOperatorContext(cloud!)));
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

/** A cloud whose inventory compensation fails while `broken.now` is true, and a scheduled reconciler. */
async function brokenCompensationCloud(): Promise<{ broken: { now: boolean }; reconciler: LocalReconciler }> {
  const broken = { now: true };
  cloud = await orderCloud({
    inventory: {
      reserveStock: {
        forward: inventorySteps.reserveStock.forward,
        compensate: (ctx) => {
          if (broken.now) throw new Error('warehouse API down');
          return inventorySteps.reserveStock.compensate(ctx);
        },
      },
    },
  });
  return { broken, reconciler: scheduleReconciler(cloud) };
}

describe('saga operator commands on the local cloud', () => {
  it('dlq list shows why a message is dead, inspect names the stuck step, redrive finishes the saga', async () => {
    // GIVEN a saga whose compensation failed until its message went to the inventory DLQ
    const { broken } = await brokenCompensationCloud();
    const { sagaId } = await cloud!.startSaga(order('o-cli-1', DECLINED));
    await cloud!.runUntilQuiet();
    expect((await saga(cloud!, sagaId)).status).toBe('failed-needs-attention');

    // WHEN the operator lists the DLQs
    const dlq = await saga_(['dlq', 'list']);
    // THEN the inventory message is shown with its saga, event and reason
    expect(dlq.code).toBe(0);
    expect(dlq.out).toContain('inventory: 1 message(s) in its DLQ');
    expect(dlq.out).toContain(`saga ${sagaId}  OrderCancelled  receives 5`);
    expect(dlq.out).toContain('reason: Error: warehouse API down');
    expect(dlq.out).toContain('payment: 0 message(s) in its DLQ');
    const json = JSON.parse((await saga_(['dlq', 'list', 'inventory', '--json'])).out) as { deadLetters: { sagaId: string; reason: string }[] };
    expect(json.deadLetters).toEqual([expect.objectContaining({ sagaId, reason: 'Error: warehouse API down', participant: 'inventory', type: 'OrderCancelled' })]);

    // WHEN the operator inspects the saga
    const inspect = await saga_(['inspect', sagaId]);
    // THEN the output names the stuck step and the reason
    expect(inspect.code).toBe(0);
    expect(inspect.out).toContain('status: FAILED-NEEDS-ATTENTION');
    expect(inspect.out).toContain('at inventory.reserveStock (compensate): inventory.reserveStock compensation failed on its last allowed attempt (5 of 5)');
    expect(inspect.out).toContain('why: stuck at inventory.reserveStock compensation: it has not run: the step is still \'done\' although OrderCancelled arrived');
    expect(inspect.out).toContain('warehouse API down');
    expect(inspect.out).toMatch(/order\.createOrder\s+compensated/);
    expect(inspect.out).toMatch(/inventory\.reserveStock\s+done/);

    // WHEN the cause is fixed and the DLQ redriven
    broken.now = false;
    const redriven = await saga_(['redrive', 'inventory']);
    await cloud!.runUntilQuiet();
    // THEN the compensation ran, the saga ended compensated and the stock is back
    expect(redriven.out).toBe('Moved 1 message(s) from the inventory DLQ back to its queue.');
    expect(cloud!.consumer('inventory').dlq.size).toBe(0);
    expect((await saga(cloud!, sagaId)).status).toBe('compensated');
    expect(await stock(cloud!)).toEqual({ available: 10, reserved: 0 });
    expect((await saga_(['inspect', sagaId])).out).toContain('status: COMPENSATED');
  });

  it('retry re-delivers the trigger of the pending step to the participant', async () => {
    // GIVEN inventory lost its OrderCancelled delivery; the stall got the saga flagged
    cloud = await orderCloud();
    const lost = loseDeliveries(cloud, 'inventory', (type) => type === 'OrderCancelled');
    scheduleReconciler(cloud);
    const { sagaId } = await cloud.startSaga(order('o-cli-2', DECLINED));
    await cloud.runUntilQuiet();
    expect(lost.count).toBe(1);
    expect((await saga(cloud, sagaId)).status).toBe('failed-needs-attention');
    cloud.beforeInvoke = () => true;

    // WHEN
    const retry = await saga_(['retry', sagaId, 'inventory']);
    await cloud.runUntilQuiet();

    // THEN the OrderCancelled event (same event id) reached inventory and the saga finished
    expect(retry.code).toBe(0);
    const cancelled = published(cloud, sagaId).find((e) => e.type === 'OrderCancelled')!;
    expect(retry.out).toMatch(new RegExp(`^Re-delivered OrderCancelled ${cancelled.eventId} to inventory \\(message .+\\)\\.$`));
    const record = await saga(cloud, sagaId);
    expect(record.status).toBe('compensated');
    expect(record.notes?.map((n) => n.action)).toEqual(['retry']);
    expect(await stock(cloud)).toEqual({ available: 10, reserved: 0 });
  });

  it('compensate forces backward recovery of a running saga through the reconciler outbox', async () => {
    // GIVEN a saga waiting on payment, well before its deadline
    cloud = await orderCloud();
    loseDeliveries(cloud, 'payment', (type) => type !== 'SagaTimedOut');
    const { sagaId } = await cloud.startSaga(order('o-cli-3'));
    await cloud.runUntilQuiet();
    expect((await saga(cloud, sagaId)).status).toBe('running');
    const before = cloud.clock.now();

    // WHEN
    const forced = await saga_(['compensate', sagaId, '--note', 'customer cancelled by phone']);
    await cloud.runUntilQuiet();

    // THEN the timeout event carried the operator's reason and compensation ran newest first
    expect(forced.code).toBe(0);
    const types = published(cloud, sagaId).map((e) => e.type);
    expect(inOrder(types, ['SagaTimedOut', 'PaymentVoided', 'OrderCancelled', 'StockReleased']), types.join(' → ')).toBe(true);
    const timeout = cloud.bus.archive.find((e) => (e.detail as { type: string; sagaId: string }).type === 'SagaTimedOut' && (e.detail as { sagaId: string }).sagaId === sagaId)!;
    expect((timeout.detail as { payload: { reason: string } }).payload.reason).toBe('operator: customer cancelled by phone');
    expect(timeout.source).toBe('saga.order.reconciler');
    const record = await saga(cloud, sagaId);
    expect(record.status).toBe('compensated');
    expect(Date.parse(record.timeoutPublishedAt!)).toBeLessThan(Date.parse(record.deadline));
    expect(Date.parse(record.timeoutPublishedAt!)).toBeGreaterThanOrEqual(before);
    expect(record.notes?.[0]).toMatchObject({ action: 'compensate', note: expect.stringContaining('customer cancelled by phone') });
    expect(await stock(cloud)).toEqual({ available: 10, reserved: 0 });
  });

  it('resolve keeps the note and takes the saga out of the reconciler\'s view', async () => {
    // GIVEN a flagged saga
    const { reconciler } = await brokenCompensationCloud();
    const { sagaId } = await cloud!.startSaga(order('o-cli-4', DECLINED));
    await cloud!.runUntilQuiet();
    expect((await saga(cloud!, sagaId)).openShard).toBe(ATTENTION_SHARD);

    // WHEN
    const resolved = await saga_(['resolve', sagaId, '--note', 'restocked by hand, ticket OPS-42']);

    // THEN
    expect(resolved.code).toBe(0);
    const record = await saga(cloud!, sagaId);
    expect(record.resolvedAt).toBeDefined();
    expect(record.openShard).toBeUndefined();
    expect(record.nextCheckAt).toBeUndefined();
    expect(record.notes).toEqual([expect.objectContaining({ action: 'resolve', note: 'restocked by hand, ticket OPS-42' })]);
    cloud!.clock.advance(3_600_000);
    expect((await reconciler.runOnce()).stats.sagasVisited).toBe(0);
    expect((await saga_(['inspect', sagaId])).out).toContain('resolve: restocked by hand, ticket OPS-42');
  });

  it('fails if the saga does not exist, a note is missing or a participant is unknown', async () => {
    cloud = await orderCloud();
    const missing = await saga_(['inspect', 'no-such-saga-1']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('No saga record for "no-such-saga-1"');
    const noNote = await saga_(['resolve', 'no-such-saga-1']);
    expect(noNote.code).toBe(2);
    expect(noNote.err).toContain('--note is required');
    const unknown = await saga_(['redrive', 'shipping']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('has no participant "shipping"');
    const { sagaId } = await cloud.startSaga(order('o-cli-5'));
    await cloud.runUntilQuiet();
    const nothing = await saga_(['retry', sagaId, 'inventory']);
    expect(nothing.code).toBe(1);
    expect(nothing.err).toContain('has no pending step');
    const done = await saga_(['compensate', sagaId]);
    expect(done.code).toBe(1);
    expect(done.err).toContain('is already completed');
  });
});
