import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSaga, INITIATOR, outboxPartition } from '../../lib/core/index.js';
import { LocalCloud } from '../../lib/local/cloud.js';
import {
  commitMessage,
  discardMessage,
  prepareMessage,
  readPendingMessage,
  resolvePendingMessages,
  TwoPhaseMessageError,
  uniqueInsertCheckBack,
  type BarrierInsertResult,
  type CheckBack,
} from '../../lib/runtime/initiator/two-phase-message.js';

/**
 * Two-phase messages with check-back, with the process killed (simulated) at every point between
 * prepare, the user's local commit and our commit. The "user's store" is an in-process database
 * with transactions and a unique key — standing in for the PostgreSQL a user already has — and the
 * message goes through the real relay and bus of the local cloud, so "published" means published.
 */

const orderPlaced = defineSaga({
  name: 'shop',
  version: 1,
  deadlineSeconds: 300,
  start: 'OrderPlaced',
  events: { OrderPlaced: z.object({ orderId: z.string() }), OrderShipped: z.object({ orderId: z.string() }) },
  participants: { shipper: { steps: { ship: { on: 'OrderPlaced', emits: ['OrderShipped'], mustSucceed: true } } } },
  terminal: { success: ['OrderShipped'], failure: [] },
});

/** Unique violation of the user's store. */
class UniqueViolation extends Error {
  override name = 'UniqueViolation';
}

/**
 * A tiny relational store: tables of rows keyed by a unique key; a transaction buffers its inserts
 * and applies them at commit, all or nothing, failing on a unique violation (like INSERT in
 * PostgreSQL once the competing transaction has committed).
 */
class UserStore {
  readonly tables = new Map<string, Map<string, Record<string, unknown>>>();
  table(name: string): Map<string, Record<string, unknown>> {
    let t = this.tables.get(name);
    if (!t) this.tables.set(name, (t = new Map()));
    return t;
  }
  begin(): { insert(table: string, key: string, row: Record<string, unknown>): void; commit(): void } {
    const staged: [string, string, Record<string, unknown>][] = [];
    return {
      insert: (table, key, row) => void staged.push([table, key, row]),
      commit: () => {
        for (const [table, key] of staged) if (this.table(table).has(key)) throw new UniqueViolation(`duplicate key ${key} in ${table}`);
        for (const [table, key, row] of staged) this.table(table).set(key, row);
      },
    };
  }
  /** The check-back's own insert (autocommit), DTM style. */
  insertRollbackMarker(txId: string): BarrierInsertResult {
    const barrier = this.table('saga_barrier');
    const existing = barrier.get(txId);
    if (existing) return { inserted: false, existing: existing.reason === 'committed' ? 'committed' : 'rollback' };
    barrier.set(txId, { reason: 'rollback' });
    return { inserted: true };
  }
}

/** Where the simulated process dies. */
type CrashPoint =
  | 'none'
  | 'after-prepare' // before the local transaction began
  | 'during-local-tx' // inserts staged, never committed (the database rolls it back)
  | 'after-local-rollback' // the local transaction failed on business grounds, discard never called
  | 'after-local-commit' // the local transaction committed, our commit never ran
  | 'after-our-commit'; // everything committed, the process dies before returning

class Crash extends Error {}

let cloud: LocalCloud<typeof orderPlaced>;
beforeAll(async () => {
  cloud = await LocalCloud.start({
    definition: orderPlaced,
    // A seed of its own: clouds sharing one DynamoDB Local must not draw the same request tokens.
    seed: ((process.pid % 100_000) * 1000 + 907) >>> 0,
    participants: { shipper: { ship: { forward: (ctx) => ctx.done(ctx.emit('OrderShipped', { orderId: ctx.payload.orderId })) } } },
  });
});
afterAll(async () => cloud.stop());

const deps = () => ({ client: cloud.client, tableName: cloud.tableName, clock: cloud.clock, ids: () => cloud.random.uuid() });

/** The application: prepare, local transaction (order row + barrier row), commit — dying at `crash`. */
async function placeOrder(store: UserStore, orderId: string, crash: CrashPoint, businessFails = false): Promise<{ txId: string; sagaId: string }> {
  const msg = await prepareMessage(orderPlaced, 'OrderPlaced', { orderId }, deps());
  const ids = { txId: msg.txId, sagaId: msg.sagaId };
  try {
    if (crash === 'after-prepare') throw new Crash();
    const tx = store.begin();
    tx.insert('orders', orderId, { orderId });
    tx.insert('saga_barrier', msg.txId, { reason: 'committed' }); // DTM: the tx id, in the same local transaction
    if (crash === 'during-local-tx') throw new Crash();
    if (businessFails) {
      if (crash === 'after-local-rollback') throw new Crash(); // rolled back; the process dies before discard
      await discardMessage(msg.txId, deps());
      return ids;
    }
    tx.commit();
    if (crash === 'after-local-commit') throw new Crash();
    await commitMessage(orderPlaced, msg.txId, deps());
    if (crash === 'after-our-commit') throw new Crash();
  } catch (error) {
    if (!(error instanceof Crash)) throw error;
  }
  return ids;
}

/** How many times the start event of a saga was published on the bus, after everything settled. */
async function published(sagaId: string): Promise<number> {
  await cloud.runUntilQuiet();
  return cloud.bus.archive.filter((e) => e['detail-type'] === 'OrderPlaced' && (e.detail as { sagaId?: string }).sagaId === sagaId).length;
}

async function outboxRows(sagaId: string): Promise<number> {
  const out = await cloud.client.send(new QueryCommand({ TableName: cloud.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': outboxPartition(INITIATOR, sagaId) }, ConsistentRead: true }));
  return out.Count ?? 0;
}

const later = () => cloud.clock.advance(120_000);

describe('two-phase message: the process dies at each point; check-back decides', () => {
  const cases: { crash: CrashPoint; businessFails?: boolean; expect: 'published' | 'discarded' }[] = [
    { crash: 'none', expect: 'published' },
    { crash: 'after-prepare', expect: 'discarded' },
    { crash: 'during-local-tx', expect: 'discarded' },
    { crash: 'after-local-rollback', businessFails: true, expect: 'discarded' },
    { crash: 'none', businessFails: true, expect: 'discarded' },
    { crash: 'after-local-commit', expect: 'published' },
    { crash: 'after-our-commit', expect: 'published' },
  ];

  it.each(cases)('crash $crash (business failure: $businessFails) → $expect, exactly once', async (c) => {
    // GIVEN the user's store and the application dying at the crash point
    const store = new UserStore();
    const orderId = `order-${c.crash}-${c.businessFails ? 'fail' : 'ok'}`;
    const { txId, sagaId } = await placeOrder(store, orderId, c.crash, c.businessFails);
    // WHEN the reconciler resolves pending messages later, asking the user's store (DTM check-back)
    later();
    const checkBack = uniqueInsertCheckBack(async (id) => store.insertRollbackMarker(id));
    const report = await resolvePendingMessages(orderPlaced, deps(), { olderThanMs: 60_000, checkBack });
    // THEN the message is published exactly once iff the local transaction committed
    const pending = await readPendingMessage(deps(), txId);
    const orderCommitted = store.table('orders').has(orderId);
    if (c.expect === 'published') {
      expect(orderCommitted).toBe(true);
      expect(pending?.state).toBe('committed');
      expect(await published(sagaId)).toBe(1);
      expect(await outboxRows(sagaId)).toBe(1);
      expect((await cloud.sagaRecord(sagaId))?.status).toBe('completed');
    } else {
      expect(orderCommitted).toBe(false);
      expect(pending?.state).toBe('discarded');
      expect(await published(sagaId)).toBe(0);
      expect(await outboxRows(sagaId)).toBe(0);
    }
    // the resolver acted exactly when the application did not finish the message itself
    const resolvedByCheckBack = ['after-prepare', 'during-local-tx', 'after-local-rollback', 'after-local-commit'].includes(c.crash);
    expect([...report.committed, ...report.discarded].includes(txId)).toBe(resolvedByCheckBack);
    // AND running the resolver again changes nothing
    later();
    const again = await resolvePendingMessages(orderPlaced, deps(), { olderThanMs: 60_000, checkBack });
    expect([...again.committed, ...again.discarded, ...again.inProgress]).not.toContain(txId);
    expect(await published(sagaId)).toBe(c.expect === 'published' ? 1 : 0);
  });

  it('a local transaction still running when the check-back comes loses: it cannot commit any more, the message is discarded', async () => {
    const store = new UserStore();
    const msg = await prepareMessage(orderPlaced, 'OrderPlaced', { orderId: 'order-slow' }, deps());
    const tx = store.begin();
    tx.insert('orders', 'order-slow', {});
    tx.insert('saga_barrier', msg.txId, { reason: 'committed' });
    // the resolver runs before the slow transaction commits
    later();
    const report = await resolvePendingMessages(orderPlaced, deps(), { olderThanMs: 60_000, checkBack: uniqueInsertCheckBack(async (id) => store.insertRollbackMarker(id)) });
    expect(report.discarded).toContain(msg.txId);
    // the slow transaction now fails on the unique key: no order without its event, no event without its order
    expect(() => tx.commit()).toThrow(UniqueViolation);
    expect(store.table('orders').has('order-slow')).toBe(false);
    await expect(commitMessage(orderPlaced, msg.txId, deps())).rejects.toThrow(/discarded/);
    expect(await published(msg.sagaId)).toBe(0);
  });

  it('a check-back that inserted its rollback marker and died before discarding is finished by the next run', async () => {
    const store = new UserStore();
    const msg = await prepareMessage(orderPlaced, 'OrderPlaced', { orderId: 'order-dying-resolver' }, deps());
    later();
    const dying: CheckBack = async ({ txId }) => {
      store.insertRollbackMarker(txId);
      throw new Crash('resolver died after its insert');
    };
    const first = await resolvePendingMessages(orderPlaced, deps(), { olderThanMs: 60_000, checkBack: dying });
    expect(first.failed.map((f) => f.txId)).toContain(msg.txId);
    later();
    const second = await resolvePendingMessages(orderPlaced, deps(), { olderThanMs: 60_000, checkBack: uniqueInsertCheckBack(async (id) => store.insertRollbackMarker(id)) });
    expect(second.discarded).toContain(msg.txId);
    expect(await published(msg.sagaId)).toBe(0);
  });

  it('the application and the resolver committing concurrently publish once', async () => {
    const store = new UserStore();
    const msg = await prepareMessage(orderPlaced, 'OrderPlaced', { orderId: 'order-race' }, deps());
    const tx = store.begin();
    tx.insert('saga_barrier', msg.txId, { reason: 'committed' });
    tx.commit();
    later();
    const [mine, resolved] = await Promise.all([
      commitMessage(orderPlaced, msg.txId, deps()),
      resolvePendingMessages(orderPlaced, deps(), { olderThanMs: 60_000, checkBack: uniqueInsertCheckBack(async (id) => store.insertRollbackMarker(id)) }),
    ]);
    expect(['committed', 'already-committed']).toContain(mine);
    expect(resolved.failed).toEqual([]);
    expect(await published(msg.sagaId)).toBe(1);
  });

  it('an "in progress" answer leaves the message pending and asks again later; young messages are not asked', async () => {
    const msg = await prepareMessage(orderPlaced, 'OrderPlaced', { orderId: 'order-in-progress' }, deps());
    const asked: string[] = [];
    const unsure: CheckBack = async ({ txId }) => {
      asked.push(txId);
      return 'in-progress';
    };
    expect((await resolvePendingMessages(orderPlaced, deps(), { olderThanMs: 60_000, checkBack: unsure })).inProgress).not.toContain(msg.txId);
    later();
    expect((await resolvePendingMessages(orderPlaced, deps(), { olderThanMs: 60_000, checkBack: unsure })).inProgress).toContain(msg.txId);
    expect((await resolvePendingMessages(orderPlaced, deps(), { olderThanMs: 60_000, checkBack: unsure })).inProgress).not.toContain(msg.txId); // not due again yet
    expect((await readPendingMessage(deps(), msg.txId))).toMatchObject({ state: 'pending', checks: 1 });
    expect(asked.filter((t) => t === msg.txId)).toHaveLength(1);
  });

  it('fails if a payload does not match the event schema (before the local transaction runs)', async () => {
    await expect(prepareMessage(orderPlaced, 'OrderPlaced', { orderId: 42 } as never, deps())).rejects.toThrow(/does not match its schema/);
  });

  it('fails if a committed message is discarded, or an unknown one committed', async () => {
    const msg = await prepareMessage(orderPlaced, 'OrderPlaced', { orderId: 'order-x' }, deps());
    expect(await commitMessage(orderPlaced, msg.txId, deps())).toBe('committed');
    expect(await commitMessage(orderPlaced, msg.txId, deps())).toBe('already-committed');
    await expect(discardMessage(msg.txId, deps())).rejects.toThrow(TwoPhaseMessageError);
    await expect(commitMessage(orderPlaced, 'tx-does-not-exist', deps())).rejects.toThrow(/No prepared message/);
    expect(await published(msg.sagaId)).toBe(1);
  });
});
