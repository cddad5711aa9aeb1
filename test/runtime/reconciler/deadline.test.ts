import { afterEach, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../../lib/local/cloud.js';
import { scheduleReconciler } from '../../../lib/local/reconciler-schedule.js';
import { METRIC } from '../../../lib/runtime/shared/ports.js';
import { inOrder, loseDeliveries, order, orderCloud, published, saga, stock } from './support.js';

let cloud: LocalCloud | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

describe('reconciler: deadlines', () => {
  it('compensates a saga whose payment never answers once its deadline passes', async () => {
    // GIVEN payment never sees its trigger (the delivery is lost) and a reconciler every minute
    cloud = await orderCloud();
    const lost = loseDeliveries(cloud, 'payment', (type) => type !== 'SagaTimedOut');
    const reconciler = scheduleReconciler(cloud, { everyMs: 60_000 });
    const { sagaId } = await cloud.startSaga(order('o-timeout'));
    const startedAt = cloud.clock.now();

    // WHEN time runs until nothing is left to do
    const run = await cloud.runUntilQuiet();

    // THEN the timeout drove backward recovery, newest first, and the stock is back
    const record = await saga(cloud, sagaId);
    expect(run.quiet).toBe(true);
    expect(lost.count).toBe(1);
    expect(record.status).toBe('compensated');
    expect(record.timeoutPublishedAt).toBeDefined();
    expect(Date.parse(record.timeoutPublishedAt!) - startedAt).toBeGreaterThanOrEqual(300_000);
    const types = published(cloud, sagaId).map((e) => e.type);
    expect(inOrder(types, ['OrderRequested', 'StockReserved', 'OrderCreated', 'SagaTimedOut', 'PaymentVoided', 'OrderCancelled', 'StockReleased']), types.join(' → ')).toBe(true);
    expect(types).not.toContain('PaymentCaptured');
    expect(await stock(cloud)).toEqual({ available: 10, reserved: 0 });
    expect(record.openShard === undefined || record.openShard === 'open#ended').toBe(true); // out of the open shards; audited later
    expect(cloud.metrics.total(METRIC.sagasTimedOut)).toBe(1);
    expect(reconciler.runs.reduce((n, r) => n + r.stats.timeoutsPublished, 0)).toBe(1);
  });

  it('does not time out a saga that completes before its deadline', async () => {
    cloud = await orderCloud();
    const reconciler = scheduleReconciler(cloud);
    const { sagaId } = await cloud.startSaga(order('o-fast'));
    await cloud.runUntilQuiet();
    // Run the reconciler long after the deadline: the finished saga is not in the index any more.
    cloud.clock.advance(3_600_000);
    const result = await reconciler.runOnce();
    expect((await saga(cloud, sagaId)).status).toBe('completed');
    expect(result.stats.sagasVisited).toBe(0);
    expect(published(cloud, sagaId).map((e) => e.type)).not.toContain('SagaTimedOut');
  });
});
