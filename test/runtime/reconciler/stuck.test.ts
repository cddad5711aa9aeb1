import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { inventorySteps } from '../../../functions/order/index.js';
import { ATTENTION_SHARD, failureKey } from '../../../lib/core/keys.js';
import type { LocalCloud } from '../../../lib/local/cloud.js';
import { scheduleReconciler } from '../../../lib/local/reconciler-schedule.js';
import { METRIC } from '../../../lib/runtime/shared/ports.js';
import { loseDeliveries, order, orderCloud, saga } from './support.js';

let cloud: LocalCloud | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

const DECLINED = 90_000; // above the reference app's card limit: payment declines, compensation starts

describe('reconciler: stuck compensations', () => {
  it('flags a saga whose compensation always fails failed-needs-attention with the reason, and stops', async () => {
    // GIVEN inventory's compensation always throws
    let attempts = 0;
    cloud = await orderCloud({
      inventory: {
        reserveStock: {
          forward: inventorySteps.reserveStock.forward,
          compensate: () => {
            attempts++;
            throw new Error('warehouse API down');
          },
        },
      },
    });
    const reconciler = scheduleReconciler(cloud);
    const { sagaId } = await cloud.startSaga(order('o-stuck', DECLINED));

    // WHEN everything runs
    const run = await cloud.runUntilQuiet();

    // THEN after maxReceiveCount attempts the message is in the DLQ and the saga is flagged with the reason
    const record = await saga(cloud, sagaId);
    expect(run.quiet).toBe(true);
    expect(attempts).toBe(5);
    expect(cloud.consumer('inventory').dlq.size).toBe(1);
    expect(record.status).toBe('failed-needs-attention');
    expect(record.stuckStep).toBe('inventory.reserveStock (compensate)');
    expect(record.flaggedReason).toContain('inventory.reserveStock compensation failed on its last allowed attempt (5 of 5)');
    expect(record.flaggedReason).toContain('warehouse API down');
    expect(record.flaggedReason).toContain('in the inventory DLQ');
    expect(record.openShard).toBe(ATTENTION_SHARD);
    expect(record.failures?.[0]).toMatchObject({ participant: 'inventory', step: 'reserveStock', phase: 'compensate', receiveCount: 5 });
    expect(cloud.metrics.total(METRIC.sagasFlagged)).toBe(1);
    const failure = await cloud.client.send(new GetCommand({ TableName: cloud.tableName, Key: failureKey('inventory', cloud.consumer('inventory').dlq.peekAll()[0]!.messageId) }));
    expect(failure.Item).toMatchObject({ error: 'Error: warehouse API down', handledAt: expect.any(String) });
    expect(failure.Item?.openShard).toBeUndefined();

    // AND nothing loops: an hour later no attempt, no reconciler work, no second flag
    cloud.clock.advance(3_600_000);
    const later = await reconciler.runOnce();
    await cloud.runUntilQuiet();
    expect(attempts).toBe(5);
    expect(later.stats.sagasVisited + later.stats.failuresHandled).toBe(0);
    expect(cloud.metrics.total(METRIC.sagasFlagged)).toBe(1);
  });

  it('flags a compensating saga that makes no progress after the configured checks, naming the stuck step', async () => {
    // GIVEN OrderCancelled never reaches inventory (its delivery is lost; no failure record exists)
    cloud = await orderCloud();
    const lost = loseDeliveries(cloud, 'inventory', (type) => type === 'OrderCancelled');
    const reconciler = scheduleReconciler(cloud, { stalledChecks: 3 });
    const { sagaId } = await cloud.startSaga(order('o-silent', DECLINED));

    // WHEN
    await cloud.runUntilQuiet();

    // THEN the stall is explained from the definition and the step records
    const record = await saga(cloud, sagaId);
    expect(record.status).toBe('failed-needs-attention');
    expect(record.stuckStep).toBe('inventory.reserveStock (compensate)');
    expect(record.flaggedReason).toMatch(/after 3 checks: stuck at inventory\.reserveStock compensation: it has not run: the step is still 'done' although OrderCancelled arrived/);
    expect(lost.count).toBe(1);
    expect(reconciler.runs.filter((r) => r.actions.some((a) => a.action === 'flagged'))).toHaveLength(1);
    expect(cloud.metrics.total(METRIC.sagasFlagged)).toBe(1);
  });
});
