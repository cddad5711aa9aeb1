import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../lib/local/cloud.js';
import { scheduleReconciler } from '../../lib/local/reconciler-schedule.js';
import { ENDED_SHARD } from '../../lib/core/keys.js';
import { buildOutboxRow, outboxPut } from '../../lib/runtime/shared/outbox.js';
import { order, orderCloud, published, saga } from './reconciler/support.js';

let cloud: LocalCloud | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

/** Commits one more outbox row of a saga (a late step), as a participant's transaction would. */
async function lateRow(c: LocalCloud, sagaId: string, eventId: string): Promise<void> {
  // A second OrderCompleted: consistent with the completed saga (its only reaction, the points confirm, is a duplicate).
  const row = await buildOutboxRow({ def: c.definition, producer: 'order', sagaId, emission: { type: 'OrderCompleted', payload: { orderId: 'o-x' } }, eventId, now: c.clock.now() });
  await c.client.send(new TransactWriteCommand({ TransactItems: [outboxPut(c.tableName, row)] as never }));
}

describe('reconciler: the audit of an ended saga’s outbox', () => {
  it('republishes an event whose stream record was dropped after the saga ended (no relay note), then takes the saga out of the index', async () => {
    // GIVEN a completed saga, then a late row of it whose stream record the stream skips
    cloud = await orderCloud();
    const c = cloud;
    const reconciler = scheduleReconciler(c, { everyMs: 60_000 });
    const { sagaId } = await c.startSaga(order('o-dropped'));
    await c.runUntilQuiet();
    expect((await saga(c, sagaId)).status).toBe('completed');
    let dropped = 0;
    c.streamRecordFilter = (records) => {
      dropped += records.length;
      return [];
    };
    await lateRow(c, sagaId, 'dropped-row-0001');
    await c.runUntilQuiet();
    c.streamRecordFilter = (records) => records;
    expect(dropped).toBe(1);
    expect(c.relayFailures).toEqual([]); // the relay never saw it: nothing noted

    // WHEN the reconciler keeps its schedule for a few minutes
    for (let i = 0; i < 4; i++) {
      c.clock.advance(60_000);
      await c.runUntilQuiet({ maxVirtualMs: 60_000 });
    }

    // THEN the audit republished it once, the record holds it, and the saga left the index audited
    expect(published(c, sagaId).filter((e) => e.eventId === 'dropped-row-0001')).toHaveLength(1);
    const record = await saga(c, sagaId);
    expect(record.timeline.some((t) => t.eventId === 'dropped-row-0001')).toBe(true);
    expect(reconciler.runs.flatMap((r) => r.actions).filter((a) => a.sagaId === sagaId && a.action === 'republished')).toHaveLength(1);
    expect(record.openShard).toBeUndefined();
    expect(record.auditedAt).toBeDefined();
  });

  it('audits an ended saga once: it waits a quiet period in open#ended, then costs nothing', async () => {
    // GIVEN a saga that just completed
    cloud = await orderCloud();
    const c = cloud;
    const reconciler = scheduleReconciler(c, { everyMs: 60_000 });
    const { sagaId } = await c.startSaga(order('o-audited'));
    await c.runUntilQuiet();

    // THEN it is in open#ended until a quiet period has passed …
    expect((await saga(c, sagaId)).openShard).toBe(ENDED_SHARD);
    for (let i = 0; i < 3; i++) {
      c.clock.advance(60_000);
      await c.runUntilQuiet({ maxVirtualMs: 60_000 });
    }
    // … and then audited and out of the index: later passes read nothing of it
    const record = await saga(c, sagaId);
    expect(record.openShard).toBeUndefined();
    expect(record.auditedAt).toBeDefined();
    expect(reconciler.runs.reduce((n, r) => n + r.stats.endedAudited, 0)).toBe(1);
    const last = reconciler.runs.at(-1)!;
    expect(last.stats.endedAudited).toBe(0);
    expect(last.actions).toEqual([]);
  });

  it('keeps an ended saga due when the run’s republish budget is spent, and republishes its row at a later run', async () => {
    // GIVEN two completed sagas, each with a late row whose stream record the stream skips, and a
    // reconciler allowed one republish per run
    cloud = await orderCloud();
    const c = cloud;
    const reconciler = scheduleReconciler(c, { everyMs: 60_000, maxRepublishesPerRun: 1 });
    const ids: string[] = [];
    for (const orderId of ['o-budget-1', 'o-budget-2']) ids.push((await c.startSaga(order(orderId))).sagaId);
    await c.runUntilQuiet();
    c.streamRecordFilter = () => [];
    await lateRow(c, ids[0]!, 'budget-row-00001');
    await lateRow(c, ids[1]!, 'budget-row-00002');
    await c.runUntilQuiet();
    c.streamRecordFilter = (records) => records;

    // WHEN the reconciler keeps its schedule
    for (let i = 0; i < 6; i++) {
      c.clock.advance(60_000);
      await c.runUntilQuiet({ maxVirtualMs: 60_000 });
    }

    // THEN one run deferred a republish, and still both rows were published once and both sagas audited
    expect(reconciler.runs.some((r) => r.stats.republishesDeferred > 0)).toBe(true);
    for (const [i, sagaId] of ids.entries()) {
      const eventId = `budget-row-0000${i + 1}`;
      expect(published(c, sagaId).filter((e) => e.eventId === eventId), eventId).toHaveLength(1);
      const record = await saga(c, sagaId);
      expect(record.timeline.some((t) => t.eventId === eventId)).toBe(true);
      expect(record.auditedAt).toBeDefined();
    }
  });
});
