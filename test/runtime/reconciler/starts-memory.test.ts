import { afterEach, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../../lib/local/cloud.js';
import { createLocalReconciler } from '../../../lib/local/reconciler-schedule.js';
import { order, orderCloud } from './support.js';

let cloud: LocalCloud | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

const acted = (actions: readonly { sagaId: string; action: string }[], action: string): string[] =>
  actions
    .filter((a) => a.action === action)
    .map((a) => a.sagaId)
    .sort();

describe('reconciler: what a warm reconciler remembers of the start entries', () => {
  it('reads less on a warm pass than on a cold one, still recovers a lost start, and still times out the sagas that became overdue', async () => {
    // GIVEN three sagas stalled at payment (its queue is never served), and a reconciler that has
    // examined their starts once (a warm container)
    cloud = await orderCloud();
    const c = cloud;
    c.beforeInvoke = (consumer) => consumer !== 'payment';
    const stalled: string[] = [];
    for (let i = 0; i < 3; i++) stalled.push((await c.startSaga(order(`o-warm-${i}`))).sagaId);
    await c.runUntilQuiet({ maxSteps: 2_000, maxVirtualMs: 30_000 });
    const stalledAt = c.clock.now();
    c.clock.advance(90_000);
    const warm = createLocalReconciler(c);
    const first = await warm.runOnce();
    expect(first.actions).toEqual([]);

    // WHEN a warm and a cold reconciler (a fresh container) run at the same moment, nothing due
    const warmPass = await warm.runOnce();
    const coldPass = await createLocalReconciler(c).runOnce();

    // THEN both read the same start entries, but only the cold one reads the cursor and the three saga records again
    expect(coldPass.stats.gets).toBe(4);
    expect(warmPass.stats.gets).toBe(0);
    expect(warmPass.stats.itemsRead).toBe(coldPass.stats.itemsRead - 4);
    expect([warmPass.actions, coldPass.actions]).toEqual([[], []]);

    // WHEN a new saga's start event never reaches the bus (no event of it reaches the tracker)
    c.bus.entryFault = (entry) => (entry.DetailType === 'OrderRequested' && c.relayFailures.length === 0 ? 'AccessDeniedException' : undefined);
    const lostStart = (await c.startSaga(order('o-warm-lost'))).sagaId;
    await c.runUntilQuiet({ maxSteps: 2_000, maxVirtualMs: 30_000 });
    expect(c.relayFailures).toHaveLength(1);
    c.clock.advance(90_000);
    const recovery = await warm.runOnce();

    // THEN the warm reconciler, which remembers the other starts, still gives it a record
    expect(acted(recovery.actions, 'start-recovered')).toEqual([lostStart]);

    // WHEN the three stalled sagas pass their deadline
    c.clock.advanceTo(stalledAt + c.definition.deadlineSeconds * 1000 + 60_000);
    const overdue = await warm.runOnce();

    // THEN the warm pass finds and times out each of them
    expect(acted(overdue.actions, 'timed-out').filter((id) => stalled.includes(id))).toEqual([...stalled].sort());
  });
});
