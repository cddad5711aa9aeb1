import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../lib/local/cloud.js';
import { scheduleReconciler } from '../../lib/local/reconciler-schedule.js';
import { buildOutboxRow, outboxPut } from '../../lib/runtime/shared/outbox.js';
import { order, orderCloud, published, saga } from './reconciler/support.js';

let cloud: LocalCloud | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

/** Fails every PutEvents entry of `type` until the relay's stream source has given up `n` records. */
function failUntilGivenUp(c: LocalCloud, type: string, n = 1): void {
  const before = c.relayFailures.length;
  c.bus.entryFault = (entry) => (entry.DetailType === type && c.relayFailures.length < before + n ? 'AccessDeniedException' : undefined);
}

const detailType = (body: string): string => String((JSON.parse(body) as { 'detail-type'?: string })['detail-type']);

/**
 * The order participant gets PaymentCaptured only from `until` (virtual ms) on: earlier batches
 * holding it are left undelivered and hidden until then. `onRelease` runs when a batch with it
 * is let through.
 */
function holdPaymentCapturedUntil(c: LocalCloud, until: number, onRelease?: () => void): void {
  const queue = c.consumer('order').queue;
  c.beforeInvoke = (consumer, messages) => {
    if (consumer !== 'order') return true;
    const held = messages.filter((m) => detailType(m.body) === 'PaymentCaptured' && c.clock.now() < until);
    for (const m of held) queue.changeVisibility(m.receiptHandle!, Math.ceil((until - c.clock.now()) / 1000));
    if (held.length === 0 && messages.some((m) => detailType(m.body) === 'PaymentCaptured')) onRelease?.();
    return held.length === 0;
  };
}

describe('reconciler: publishes that fail late', () => {
  it('does not flag a quiet saga whose last step just committed while its event is still unpublished; it republishes it', async () => {
    // GIVEN the order participant only gets PaymentCaptured at t = 500 s — past the deadline (the
    // pivot ignores the timeout), quiet checks pile up from t = 420 s — and OrderCompleted then
    // cannot be published until the relay gives up: at the third quiet check its row is 40 s old
    cloud = await orderCloud();
    const c = cloud;
    holdPaymentCapturedUntil(c, c.clock.now() + 500_000, () => failUntilGivenUp(c, 'OrderCompleted'));
    const reconciler = scheduleReconciler(c, { everyMs: 60_000 });
    const { sagaId } = await c.startSaga(order('o-late-complete'));

    // WHEN the system runs until quiet
    await c.runUntilQuiet();

    // THEN the saga was never flagged: OrderCompleted was republished and the saga completed
    const actions = reconciler.runs.flatMap((r) => r.actions).filter((a) => a.sagaId === sagaId);
    expect(actions.map((a) => a.action)).not.toContain('flagged');
    expect(actions.some((a) => a.action === 'republished' && a.detail?.startsWith('OrderCompleted'))).toBe(true);
    expect((await saga(c, sagaId)).status).toBe('completed');
  });

  it('republishes a row the relay gave up on after its saga had ended', async () => {
    // GIVEN a saga that completed, then one more row of it (a late step) whose publish fails until the relay gives up
    cloud = await orderCloud();
    const c = cloud;
    const reconciler = scheduleReconciler(c, { everyMs: 60_000 });
    const { sagaId } = await c.startSaga(order('o-late-row'));
    await c.runUntilQuiet();
    expect((await saga(c, sagaId)).status).toBe('completed');
    failUntilGivenUp(c, 'StockReleased');
    const row = await buildOutboxRow({ def: c.definition, producer: 'inventory', sagaId, emission: { type: 'StockReleased', payload: { orderId: 'o-late-row', sku: '', quantity: 0 } }, eventId: 'late-row-0001', now: c.clock.now() });
    await c.client.send(new TransactWriteCommand({ TransactItems: [outboxPut(c.tableName, row)] as never }));

    // WHEN the relay gives it up and, a few minutes later, the reconciler runs
    await c.runUntilQuiet();
    c.clock.advance(180_000);
    await c.runUntilQuiet();

    // THEN the event reached the bus (once) and the ended saga's record holds it
    expect(c.relayFailures.length).toBeGreaterThan(0);
    expect(published(c, sagaId).filter((e) => e.eventId === 'late-row-0001')).toHaveLength(1);
    expect((await saga(c, sagaId)).timeline.some((t) => t.eventId === 'late-row-0001')).toBe(true);
    expect(reconciler.runs.flatMap((r) => r.actions).some((a) => a.sagaId === sagaId && a.action === 'republished')).toBe(true);
  });

  it('republishes a row the relay gave up on while its saga was open, once the saga has ended', async () => {
    // GIVEN a saga held open until t = 240 s (the order participant only gets PaymentCaptured then;
    // its deadline visit would come at 300 s), a row of it whose publish fails until the relay gives
    // up at once, and a second such row at t = 150 s — so the reconciler's runs see the first note
    // while the saga is open, and later notes follow it
    cloud = await orderCloud();
    const c = cloud;
    const t0 = c.clock.now();
    holdPaymentCapturedUntil(c, t0 + 240_000);
    const reconciler = scheduleReconciler(c, { everyMs: 60_000 });
    const { sagaId } = await c.startSaga(order('o-open-row'));
    failUntilGivenUp(c, 'StockReleased', 2);
    const lateRow = async (eventId: string): Promise<void> => {
      const row = await buildOutboxRow({ def: c.definition, producer: 'inventory', sagaId, emission: { type: 'StockReleased', payload: { orderId: 'o-open-row', sku: '', quantity: 0 } }, eventId, now: c.clock.now() });
      await c.client.send(new TransactWriteCommand({ TransactItems: [outboxPut(c.tableName, row)] as never }));
    };
    await lateRow('open-row-0001');
    let second = false;
    c.schedule('second late row', 150_000, async () => {
      if (!second) await lateRow('open-row-0002');
      second = true;
    });

    // WHEN the system runs until quiet, then a few more reconciler runs
    await c.runUntilQuiet({ maxVirtualMs: 600_000 });
    for (let i = 0; i < 3; i++) {
      c.clock.advance(60_000);
      await c.runUntilQuiet({ maxVirtualMs: 60_000 });
    }

    // THEN the saga completed after the reconciler had seen the first note, and both rows were republished after it ended
    const actions = reconciler.runs.flatMap((r) => r.actions).filter((a) => a.sagaId === sagaId);
    expect(c.relayFailures.length).toBe(2);
    // (The injected StockReleased rows, a failure terminal after OrderCompleted, make the timeline contradictory: the tracker flags it.)
    expect(await saga(c, sagaId)).toMatchObject({ status: 'failed-needs-attention', terminalEvent: 'OrderCompleted' });
    expect(reconciler.runs.filter((r) => Date.parse(r.startedAt) - t0 >= 120_000 && Date.parse(r.startedAt) - t0 < 240_000).length).toBeGreaterThan(0);
    for (const eventId of ['open-row-0001', 'open-row-0002']) {
      expect(actions.some((a) => a.action === 'republished' && a.detail?.includes(eventId))).toBe(true);
      expect(published(c, sagaId).filter((e) => e.eventId === eventId)).toHaveLength(1);
    }
  });

  it('says so (log and action) when a row of an ended saga is still unpublished after the last republish', async () => {
    // GIVEN a completed saga, a late row whose publish always fails, and a reconciler allowed one republish
    cloud = await orderCloud();
    const c = cloud;
    const logged: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
    const logger = { log: (level: string, message: string, fields?: Record<string, unknown>) => void logged.push({ level, message, ...(fields ? { fields } : {}) }) };
    const reconciler = scheduleReconciler(c, { everyMs: 60_000, maxRepublishes: 1, logger: logger as never });
    const { sagaId } = await c.startSaga(order('o-dead-row'));
    await c.runUntilQuiet();
    c.bus.entryFault = (entry) => (entry.DetailType === 'StockReleased' ? 'AccessDeniedException' : undefined);
    const row = await buildOutboxRow({ def: c.definition, producer: 'inventory', sagaId, emission: { type: 'StockReleased', payload: { orderId: 'o-dead-row', sku: '', quantity: 0 } }, eventId: 'dead-row-0001', now: c.clock.now() });
    await c.client.send(new TransactWriteCommand({ TransactItems: [outboxPut(c.tableName, row)] as never }));

    // WHEN the relay gives up on the row, the reconciler republishes it once, and the copy fails too
    for (let i = 0; i < 8; i++) {
      await c.runUntilQuiet();
      c.clock.advance(60_000);
    }
    await c.runUntilQuiet();

    // THEN the event never reached the bus, one copy was tried, and the give-up is logged as an error and an action
    const actions = reconciler.runs.flatMap((r) => r.actions).filter((a) => a.sagaId === sagaId);
    expect(published(c, sagaId).filter((e) => e.eventId === 'dead-row-0001')).toHaveLength(0);
    expect(actions.filter((a) => a.action === 'republished')).toHaveLength(1);
    expect(actions.filter((a) => a.action === 'republish-exhausted').length).toBeGreaterThan(0);
    expect(logged.find((l) => l.level === 'error' && l.fields?.eventId === 'dead-row-0001')?.message).toMatch(/still (unpublished|unseen) after the last republish/);
  });

  it('keeps a relay note due when the run’s republish budget is spent, and republishes its row at a later run', async () => {
    // GIVEN two completed sagas, audited and out of the index, then a late row of each whose
    // publish fails until the relay gives up (two notes), and a reconciler allowed one republish per run
    cloud = await orderCloud();
    const c = cloud;
    const reconciler = scheduleReconciler(c, { everyMs: 60_000, maxRepublishesPerRun: 1 });
    const ids: string[] = [];
    for (const orderId of ['o-note-1', 'o-note-2']) ids.push((await c.startSaga(order(orderId))).sagaId);
    await c.runUntilQuiet();
    for (let i = 0; i < 4; i++) {
      c.clock.advance(60_000);
      await c.runUntilQuiet({ maxVirtualMs: 60_000 });
    }
    for (const sagaId of ids) expect((await saga(c, sagaId)).auditedAt).toBeDefined();
    failUntilGivenUp(c, 'StockReleased', 2);
    for (const [i, sagaId] of ids.entries()) {
      const row = await buildOutboxRow({ def: c.definition, producer: 'inventory', sagaId, emission: { type: 'StockReleased', payload: { orderId: `o-note-${i + 1}`, sku: '', quantity: 0 } }, eventId: `note-row-0000${i + 1}`, now: c.clock.now() });
      await c.client.send(new TransactWriteCommand({ TransactItems: [outboxPut(c.tableName, row)] as never }));
    }
    await c.runUntilQuiet();
    expect(c.relayFailures.length).toBeGreaterThanOrEqual(2);

    // WHEN the reconciler keeps its schedule
    for (let i = 0; i < 6; i++) {
      c.clock.advance(60_000);
      await c.runUntilQuiet({ maxVirtualMs: 60_000 });
    }

    // THEN one run deferred a republish, and still both rows reached the bus once
    expect(reconciler.runs.some((r) => r.stats.republishesDeferred > 0)).toBe(true);
    for (const [i, sagaId] of ids.entries()) {
      const eventId = `note-row-0000${i + 1}`;
      expect(published(c, sagaId).filter((e) => e.eventId === eventId), eventId).toHaveLength(1);
    }
  });
});
