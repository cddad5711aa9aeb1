import { afterEach, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../../lib/local/cloud.js';
import { createLocalReconciler, scheduleReconciler } from '../../../lib/local/reconciler-schedule.js';
import { METRIC } from '../../../lib/runtime/shared/ports.js';
import { order, orderCloud, outboxRows, published, saga, stock } from './support.js';

let cloud: LocalCloud | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

/** Fails every PutEvents entry of `type` until the stream poller has given up on its record. */
function failPublishUntilRelayGivesUp(c: LocalCloud, type: string): void {
  c.bus.entryFault = (entry) => (entry.DetailType === type && c.relayFailures.length === 0 ? 'InternalFailure' : undefined);
}

const count = (c: LocalCloud, eventId: string): number => c.bus.archive.filter((e) => (e.detail as { eventId: string }).eventId === eventId).length;

describe('reconciler: lost publishes', () => {
  it('does not count a republish deferred by the run’s budget as a stall: nothing is flagged, every row goes out', async () => {
    // GIVEN two sagas stuck on a lost StockReserved (the relay gave both up), and a reconciler that
    // may republish one row per run and flags a saga at its first stalled check (a deferred
    // republish is a repair under way, not a stall)
    cloud = await orderCloud();
    const c = cloud;
    c.bus.entryFault = (entry) => (entry.DetailType === 'StockReserved' && c.relayFailures.length < 2 ? 'InternalFailure' : undefined);
    const reconciler = scheduleReconciler(c, { maxRepublishesPerRun: 1, stalledChecks: 1 });
    const ids = [(await c.startSaga(order('o-budget-a'))).sagaId, (await c.startSaga(order('o-budget-b'))).sagaId];

    // WHEN the system runs (the reconciler wakes up every minute), then a few quiet minutes more
    await c.runUntilQuiet();
    for (let i = 0; i < 4; i++) {
      c.clock.advance(60_000);
      await c.runUntilQuiet({ maxVirtualMs: 60_000 });
    }

    // THEN a run deferred a republish, no saga was flagged, and both events reached the bus once
    // (the deferred one by a later visit or, once its saga timed out and ended, by the audit)
    expect(c.relayFailures).toHaveLength(2);
    const runs = reconciler.runs;
    expect(runs.some((r) => r.stats.republishesDeferred > 0)).toBe(true);
    expect(runs.flatMap((r) => r.actions).filter((a) => a.action === 'flagged')).toEqual([]);
    for (const sagaId of ids) expect(published(c, sagaId).filter((e) => e.type === 'StockReserved'), sagaId).toHaveLength(1);
  });

  it('republishes an outbox row whose publish failed past the relay\'s retries exactly once', async () => {
    // GIVEN StockReserved cannot be published until the relay's stream source gives up on it
    cloud = await orderCloud();
    failPublishUntilRelayGivesUp(cloud, 'StockReserved');
    scheduleReconciler(cloud);
    const { sagaId } = await cloud.startSaga(order('o-lost'));

    // WHEN the system runs (the reconciler wakes up every minute)
    await cloud.runUntilQuiet();

    // THEN the relay gave up, the reconciler republished a copy, and the event reached the bus once
    expect(cloud.relayFailures).toHaveLength(1);
    const rows = await outboxRows(cloud, 'inventory', sagaId);
    const original = rows.find((r) => r.type === 'StockReserved' && !r.republishOf)!; // a compensated saga also has StockReleased
    const copies = rows.filter((r) => r.republishOf);
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({ eventId: original.eventId, detail: original.detail, republishOf: original.sk, sk: `${String(original.sk)}#r1` });
    expect(original.republishedAs).toBe(copies[0]!.sk);
    expect(count(cloud, String(original.eventId))).toBe(1);
    expect(cloud.metrics.total(METRIC.eventsRepublished)).toBe(1);
    // The saga then ended, and stock matches its ending.
    const record = await saga(cloud, sagaId);
    expect(['completed', 'compensated']).toContain(record.status);
    expect(await stock(cloud)).toEqual(record.status === 'completed' ? { available: 8, reserved: 2 } : { available: 10, reserved: 0 });
    expect(published(cloud, sagaId).filter((e) => e.type === 'StockReserved')).toHaveLength(1);
  });

  it('runs concurrently with itself without a duplicate timeout or republish', async () => {
    // GIVEN a saga stuck on a lost StockReserved, past its deadline
    cloud = await orderCloud();
    failPublishUntilRelayGivesUp(cloud, 'StockReserved');
    const { sagaId } = await cloud.startSaga(order('o-race'));
    await cloud.runUntilQuiet();
    expect((await saga(cloud, sagaId)).status).toBe('running');
    cloud.clock.advance(301_000);

    // WHEN two reconciler runs overlap
    const [a, b] = await Promise.all([createLocalReconciler(cloud).runOnce(), createLocalReconciler(cloud).runOnce()]);

    // THEN one timeout row and one republished copy exist between them
    expect(a.stats.timeoutsPublished + b.stats.timeoutsPublished).toBe(1);
    expect(a.stats.republished + b.stats.republished).toBe(1);
    expect(await outboxRows(cloud, 'reconciler', sagaId)).toHaveLength(1);
    expect((await outboxRows(cloud, 'inventory', sagaId)).filter((r) => r.republishOf)).toHaveLength(1);
    await cloud.runUntilQuiet();
    const events = published(cloud, sagaId);
    expect(events.filter((e) => e.type === 'SagaTimedOut')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'StockReserved')).toHaveLength(1);
    expect(['completed', 'compensated']).toContain((await saga(cloud, sagaId)).status);
  });
});
