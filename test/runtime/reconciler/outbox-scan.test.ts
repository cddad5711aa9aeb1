import type { DynamoDBRecord } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { TRACKER, type LocalCloud } from '../../../lib/local/cloud.js';
import { scheduleReconciler, type LocalReconciler } from '../../../lib/local/reconciler-schedule.js';
import { order, orderCloud, published, saga, stock } from './support.js';

let cloud: LocalCloud | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

/**
 * Drops the stream record of the first original outbox row of `type` before the relay sees it —
 * the relay leaves no note, so only the reconciler's read of that producer's partition can find it.
 */
function dropFirstStreamRecord(c: LocalCloud, type: string): { dropped: number } {
  const state = { dropped: 0 };
  const isTarget = (r: DynamoDBRecord) => r.dynamodb?.NewImage?.type?.S === type && r.dynamodb.NewImage.republishOf === undefined;
  c.streamRecordFilter = (records) =>
    records.filter((r) => {
      if (state.dropped > 0 || !isTarget(r)) return true;
      state.dropped++;
      return false;
    });
  return state;
}

/** The tracker loses its first delivery of `type` (deleted unprocessed): the saga record never hears of that event. */
function trackerLosesFirst(c: LocalCloud, type: string): { lost: number } {
  const state = { lost: 0 };
  const queue = c.consumer(TRACKER).queue;
  c.beforeInvoke = (consumer, messages) => {
    if (consumer !== TRACKER || state.lost > 0) return true;
    const gone = messages.filter((m) => (JSON.parse(m.body) as { 'detail-type'?: string })['detail-type'] === type);
    for (const m of gone.slice(0, 1)) queue.delete(m.receiptHandle!);
    state.lost += Math.min(1, gone.length);
    return gone.length === 0;
  };
  return state;
}

/** Republishes done by visits of the open saga (not by the audit once it ended), with the run's skipped reads. */
function visitRepublishes(reconciler: LocalReconciler, sagaId: string): { type: string; run: number; skipped: number }[] {
  return reconciler.runs.flatMap((run, i) =>
    run.actions
      .filter((a) => a.sagaId === sagaId && a.action === 'republished' && !a.detail?.includes('audit'))
      .map((a) => ({ type: String(a.detail).split(' ')[0]!, run: i, skipped: run.stats.outboxReadsSkipped })),
  );
}

describe('reconciler: the visit reads only the partitions where a lost row can be', () => {
  it('still republishes a lost PaymentCaptured while it skips the partitions whose replies are all tracked, and the saga completes', async () => {
    // GIVEN payment captured, but PaymentCaptured's stream record is dropped (no relay note): the
    // saga waits at payment with every earlier reply tracked
    cloud = await orderCloud();
    const drop = dropFirstStreamRecord(cloud, 'PaymentCaptured');
    const reconciler = scheduleReconciler(cloud);
    const { sagaId } = await cloud.startSaga(order('o-scan-1'));

    // WHEN the system runs through the deadline with the reconciler every minute
    await cloud.runUntilQuiet();

    // THEN a visit found and republished it (reading payment's partition, not inventory's, order's
    // or points') and the saga completed forward: the pivot had passed
    expect(drop.dropped).toBe(1);
    const repairs = visitRepublishes(reconciler, sagaId);
    expect(repairs.map((r) => r.type)).toEqual(['PaymentCaptured']);
    expect(repairs[0]!.skipped).toBeGreaterThanOrEqual(3);
    expect(published(cloud, sagaId).filter((e) => e.type === 'PaymentCaptured')).toHaveLength(1);
    expect((await saga(cloud, sagaId)).status).toBe('completed');
    expect(await stock(cloud)).toEqual({ available: 8, reserved: 2 });
  });

  it('follows the chain back: the tracker lost PointsFrozen and PaymentCaptured was never published — both are republished, earliest first', async () => {
    // GIVEN the tracker never records PointsFrozen (payment did get it and captured), and
    // PaymentCaptured's stream record is dropped: payment's trigger is not in the timeline, so no
    // rule would read payment's partition until PointsFrozen is tracked
    cloud = await orderCloud();
    const lost = trackerLosesFirst(cloud, 'PointsFrozen');
    const drop = dropFirstStreamRecord(cloud, 'PaymentCaptured');
    const reconciler = scheduleReconciler(cloud);
    const { sagaId } = await cloud.startSaga(order('o-scan-2'));

    // WHEN the system runs through the deadline with the reconciler every minute
    await cloud.runUntilQuiet();

    // THEN a visit republished PointsFrozen (order's reply tracked, points' missing), and once that
    // copy reached the tracker a later visit read payment's partition and republished PaymentCaptured
    expect([lost.lost, drop.dropped]).toEqual([1, 1]);
    const repairs = visitRepublishes(reconciler, sagaId);
    expect(repairs.map((r) => r.type)).toEqual(['PointsFrozen', 'PaymentCaptured']);
    expect(repairs[0]!.run).toBeLessThan(repairs[1]!.run);
    const record = await saga(cloud, sagaId);
    expect(record.status).toBe('completed');
    expect(record.timeline.map((t) => t.type)).toEqual(expect.arrayContaining(['PointsFrozen', 'PaymentCaptured', 'OrderCompleted']));
    expect(await stock(cloud)).toEqual({ available: 8, reserved: 2 });
  });
});
