import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { TRACKER, type LocalCloud } from '../../lib/local/cloud.js';
import { createLocalReconciler, scheduleReconciler } from '../../lib/local/reconciler-schedule.js';
import { STARTS_CURSOR_KEY } from '../../lib/runtime/reconciler/starts.js';
import { order, orderCloud, outboxRows, published, saga } from './reconciler/support.js';

let cloud: LocalCloud | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

describe('reconciler: a start event that never reached the bus', () => {
  it('gives the saga a record, republishes its start event once, and the saga ends', async () => {
    // GIVEN OrderRequested cannot be published until the relay's stream source gives up on it:
    // no event of the saga ever reaches the tracker, so there is no saga record to find
    cloud = await orderCloud();
    const c = cloud;
    c.bus.entryFault = (entry) => (entry.DetailType === 'OrderRequested' && c.relayFailures.length === 0 ? 'AccessDeniedException' : undefined);
    const reconciler = scheduleReconciler(cloud);
    const { sagaId } = await cloud.startSaga(order('o-lost-start'));

    // WHEN the system runs with the reconciler every minute (the local cloud sees nothing open: no
    // saga record exists, so it goes quiet at once; a minute later the reconciler runs)
    await cloud.runUntilQuiet();
    cloud.clock.advance(120_000);
    await cloud.runUntilQuiet();

    // THEN the start was recovered and republished exactly once, and the saga completed
    expect(cloud.relayFailures).toHaveLength(1);
    const actions = reconciler.runs.flatMap((r) => r.actions).filter((a) => a.sagaId === sagaId).map((a) => a.action);
    expect(actions).toContain('start-recovered');
    const rows = await outboxRows(cloud, 'initiator', sagaId);
    expect(rows.filter((r) => r.republishOf)).toHaveLength(1);
    expect(published(cloud, sagaId).filter((e) => e.type === 'OrderRequested')).toHaveLength(1);
    expect((await saga(cloud, sagaId)).status).toBe('completed');
  });

  it('leaves sagas the tracker knows alone, and keeps a cursor', async () => {
    // GIVEN two sagas that ran normally
    cloud = await orderCloud();
    const startedAt = new Date(cloud.clock.now()).toISOString();
    const a = await cloud.startSaga(order('o-normal-1'));
    const b = await cloud.startSaga(order('o-normal-2'));
    await cloud.runUntilQuiet();
    cloud.clock.advance(120_000);

    // WHEN the reconciler runs twice
    const first = await createLocalReconciler(cloud).runOnce();
    const second = await createLocalReconciler(cloud).runOnce();

    // THEN nothing is recovered and the cursor moved to the starts
    for (const run of [first, second]) expect(run.actions.filter((x) => x.action === 'start-recovered')).toEqual([]);
    for (const id of [a.sagaId, b.sagaId]) expect((await saga(cloud, id)).status).toBe('completed');
    const cursor = await cloud.client.send(new GetCommand({ TableName: cloud.tableName, Key: STARTS_CURSOR_KEY, ConsistentRead: true }));
    expect(cursor.Item?.cursor).toBe(startedAt);
  });
  it('reads a start again only one configured quiet period behind its cursor, however much the tracker lag lengthens the quiet period', async () => {
    // GIVEN a saga started at t0 and another 10 minutes later, both examined by a pass without lag
    cloud = await orderCloud();
    await cloud.startSaga(order('o-early'));
    await cloud.runUntilQuiet();
    cloud.clock.advance(10 * 60_000);
    await cloud.startSaga(order('o-late'));
    await cloud.runUntilQuiet();
    cloud.clock.advance(2 * 60_000);
    const reconciler = createLocalReconciler(cloud);
    const first = await reconciler.runOnce();
    expect(first.stats.gets).toBe(3); // the cursor and both saga records

    // WHEN an event then waits 10 minutes in the tracker's queue (the quiet period grows to 21 minutes)
    cloud.consumer(TRACKER).queue.send('{}', { delaySeconds: 3600 });
    cloud.clock.advance(10 * 60_000);
    const second = await reconciler.runOnce();

    // THEN the lagged pass reads no start again: the early start lies more than one configured
    // quiet period behind the cursor (the late one)
    expect(second.stats.quietMsUsed).toBeGreaterThan(20 * 60_000);
    expect(second.stats.itemsRead).toBe(0);
    expect(second.stats.gets).toBe(0); // a warm reconciler remembers its cursor
    expect(second.actions).toEqual([]);
  });
  it('stops reading the same starts on every run once traffic stops: a warm reconciler reads a quiet period behind what it examined, not behind the newest start', async () => {
    // GIVEN two sagas started at once, then no more traffic
    cloud = await orderCloud();
    await cloud.startSaga(order('o-quiet-1'));
    await cloud.startSaga(order('o-quiet-2'));
    await cloud.runUntilQuiet();
    cloud.clock.advance(2 * 60_000);
    const reconciler = createLocalReconciler(cloud);

    // WHEN it runs four times a minute apart, and then a cold one (a new instance) runs
    const gets: number[] = [];
    const items: number[] = [];
    for (let run = 0; run < 4; run++) {
      const r = await reconciler.runOnce();
      gets.push(r.stats.gets);
      items.push(r.stats.itemsRead);
      cloud.clock.advance(60_000);
    }
    const cold = await createLocalReconciler(cloud).runOnce();

    // THEN the start entries and saga records are read by the first run only (the later ones read
    // nothing of them: the starts lie more than a quiet period behind what the first examined, and
    // the warm instance remembers its cursor); the cold instance, knowing no horizon, reads the
    // cursor and a quiet period behind it again
    expect(items.slice(1)).toEqual([0, 0, 0]);
    expect(gets).toEqual([3, 0, 0, 0]);
    expect(cold.stats.gets).toBe(3);
  });
});
