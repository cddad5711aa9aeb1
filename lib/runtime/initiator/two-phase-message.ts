import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { INITIATOR, type AnySagaDefinition, type PayloadOf } from '../../core/definition.js';
import { SAGA_ID_PATTERN } from '../../core/envelope.js';
import { ITEM_KIND, KEY, outboxKey, pendingMessageKey, pendingShardOf, pendingShards, stepKey } from '../../core/keys.js';
import { SagaRuntimeError } from '../shared/errors.js';
import { buildOutboxRow, DAY_SECONDS, OUTBOX_TTL_DAYS, outboxPut, type OutboxRow } from '../shared/outbox.js';
import { METRIC, randomIds, systemClock, type Clock, type IdSource, type Metrics } from '../shared/ports.js';

/**
 * Two-phase (transactional) messages with check-back — RocketMQ's half message, for a local
 * transaction that does NOT run on DynamoDB (a PostgreSQL the user already has):
 *
 *   1. `prepareMessage`  writes a pending message row (kind `pending-message`, never `outbox`, so
 *      the relay ignores it) with a transaction id;
 *   2. the user's local transaction runs and — DTM's trick — inserts that transaction id into a
 *      unique-keyed table of its own, inside the same local transaction;
 *   3. `commitMessage`   turns the pending row into an outbox row in ONE TransactWriteItems
 *      (pending → committed, conditional on still pending; outbox row inserted), so it is
 *      published once; `discardMessage` drops it instead.
 *
 * If the process dies between 1 and 3, `resolvePendingMessages` (run by the reconciler) asks the
 * user's check-back whether the local transaction committed. With the unique insert, the
 * check-back needs no guessing timeout: it inserts the transaction id itself with a rollback
 * marker — if that succeeds, the local transaction has not committed and now never can (its own
 * insert would violate the unique key); if it conflicts with the transaction's row, it committed.
 * See {@link uniqueInsertCheckBack}.
 */

export interface TwoPhaseMessageDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** @default system clock */
  readonly clock?: Clock;
  /** @default random UUIDs */
  readonly ids?: IdSource;
  readonly metrics?: Metrics;
}

export type PendingMessageState = 'pending' | 'committed' | 'discarded';

/** The pending message row: `<producer>#pending#<txId>` / `message`. */
export interface PendingMessageRecord {
  readonly pk: string;
  readonly sk: string;
  readonly kind: 'pending-message';
  readonly txId: string;
  readonly producer: string;
  readonly sagaId: string;
  readonly eventId: string;
  readonly type: string;
  /** The complete, validated envelope, exactly as the outbox row will carry it. */
  readonly detail: string;
  readonly state: PendingMessageState;
  readonly preparedAt: string;
  /** Check-backs that answered "in progress". */
  readonly checks: number;
  readonly lastCheckedAt?: string;
  readonly committedAt?: string;
  readonly discardedAt?: string;
  readonly openShard?: string;
  readonly nextCheckAt?: string;
}

export interface PreparedMessage {
  readonly txId: string;
  readonly sagaId: string;
  readonly eventId: string;
  readonly type: string;
  readonly producer: string;
}

/** Errors of two-phase messages. */
export class TwoPhaseMessageError extends SagaRuntimeError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(message, context);
    this.name = 'TwoPhaseMessageError';
  }
}

const TX_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$/;

/**
 * Phase 1: records a pending message for event `type` of saga definition `def`. The payload is
 * validated now (a bad event fails here, before the user's transaction runs). Returns the
 * transaction id the local transaction must insert into its unique-keyed barrier table.
 *
 * @example
 * ```ts
 * const msg = await prepareMessage(orderSaga, 'OrderRequested', payload, deps);
 * await pg.tx(async (t) => {
 *   await t.none('INSERT INTO orders …');
 *   await t.none("INSERT INTO saga_barrier (tx_id, reason) VALUES ($1, 'committed')", [msg.txId]); // DTM's trick
 * });
 * await commitMessage(orderSaga, msg.txId, deps); // publish exactly once
 * ```
 */
export async function prepareMessage<D extends AnySagaDefinition, E extends string & (keyof D['events'] | D['start'])>(
  def: D,
  type: E,
  payload: PayloadOf<D, E>,
  deps: TwoPhaseMessageDeps,
  options: { readonly txId?: string; readonly sagaId?: string; readonly producer?: string } = {},
): Promise<PreparedMessage> {
  const ids = deps.ids ?? randomIds;
  const now = (deps.clock ?? systemClock).now();
  const producer = options.producer ?? INITIATOR;
  const txId = options.txId ?? `tx-${ids().replace(/[^A-Za-z0-9]/g, '').slice(0, 28)}`;
  const sagaId = options.sagaId ?? `s-${ids().replace(/[^A-Za-z0-9]/g, '').slice(0, 24)}`;
  if (!TX_ID.test(txId)) throw new TwoPhaseMessageError(`Transaction id ${JSON.stringify(txId)} has the wrong shape; expected ${TX_ID}.`, { txId });
  if (!SAGA_ID_PATTERN.test(sagaId)) throw new TwoPhaseMessageError(`Saga id ${JSON.stringify(sagaId)} has the wrong shape; expected ${SAGA_ID_PATTERN}.`, { sagaId });
  const row = await buildOutboxRow({ def, producer, sagaId, emission: { type, payload }, eventId: ids(), now });
  const record: PendingMessageRecord = {
    ...pendingMessageKey(producer, txId),
    kind: 'pending-message',
    txId,
    producer,
    sagaId,
    eventId: row.eventId,
    type: row.type,
    detail: row.detail,
    state: 'pending',
    preparedAt: new Date(now).toISOString(),
    checks: 0,
    // Sparse index entry while pending; the resolver reads `nextCheckAt <= now - olderThan`.
    openShard: pendingShardOf(txId),
    nextCheckAt: new Date(now).toISOString(),
  };
  try {
    await deps.client.send(new PutCommand({ TableName: deps.tableName, Item: { ...record, [KEY.ttl]: ttl(now) }, ConditionExpression: 'attribute_not_exists(pk)' }));
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') throw new TwoPhaseMessageError(`Transaction ${txId} was already prepared; use a new transaction id.`, { txId });
    throw error;
  }
  return { txId, sagaId, eventId: row.eventId, type: row.type, producer };
}

/** Reads a pending message row (strongly consistent). */
export async function readPendingMessage(deps: Pick<TwoPhaseMessageDeps, 'client' | 'tableName'>, txId: string, producer: string = INITIATOR): Promise<PendingMessageRecord | undefined> {
  const out = await deps.client.send(new GetCommand({ TableName: deps.tableName, Key: pendingMessageKey(producer, txId), ConsistentRead: true }));
  return out.Item as PendingMessageRecord | undefined;
}

/**
 * Phase 2 (commit): in one TransactWriteItems, the pending row becomes `committed` (conditional on
 * still being pending) and the outbox row is inserted — the relay publishes it once. A start
 * event also writes the saga's start barrier, as `startSaga` does. Idempotent: committing a
 * committed message returns `already-committed`; committing a discarded one throws.
 */
export async function commitMessage(def: AnySagaDefinition, txId: string, deps: TwoPhaseMessageDeps, producer: string = INITIATOR): Promise<'committed' | 'already-committed'> {
  const now = (deps.clock ?? systemClock).now();
  const pending = await readPendingMessage(deps, txId, producer);
  if (!pending) throw new TwoPhaseMessageError(`No prepared message for transaction ${txId} (producer "${producer}"); prepare it first.`, { txId });
  if (pending.state === 'committed') return 'already-committed';
  if (pending.state === 'discarded') throw new TwoPhaseMessageError(`Transaction ${txId}'s message was discarded (its local transaction rolled back); it cannot be committed.`, { txId });
  const row: OutboxRow = {
    ...outboxKey(producer, pending.sagaId, pending.eventId),
    kind: ITEM_KIND.outbox,
    eventId: pending.eventId,
    sagaId: pending.sagaId,
    type: pending.type,
    detail: pending.detail,
    createdAt: new Date(now).toISOString(),
    expiresAt: Math.floor(now / 1000) + OUTBOX_TTL_DAYS * DAY_SECONDS,
  };
  const isStart = producer === INITIATOR && pending.type === def.start;
  const items: unknown[] = [
    {
      Update: {
        TableName: deps.tableName,
        Key: pendingMessageKey(producer, txId),
        UpdateExpression: 'SET #state = :committed, committedAt = :at REMOVE #shard, #next',
        ConditionExpression: '#state = :pending',
        ExpressionAttributeNames: { '#state': 'state', '#shard': KEY.openPartition, '#next': KEY.openSort },
        ExpressionAttributeValues: { ':committed': 'committed', ':pending': 'pending', ':at': new Date(now).toISOString() },
      },
    },
    outboxPut(deps.tableName, row),
    ...(isStart
      ? [
          {
            Put: {
              TableName: deps.tableName,
              Item: { ...stepKey(INITIATOR, pending.sagaId, 'start'), kind: 'step', state: 'done', sagaId: pending.sagaId, forwardEventId: pending.eventId, txId, [KEY.ttl]: row.expiresAt },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ]
      : []),
  ];
  try {
    await deps.client.send(new TransactWriteCommand({ TransactItems: items as never }));
  } catch (error) {
    const reasons = error instanceof TransactionCanceledException || (error as { name?: string }).name === 'TransactionCanceledException' ? ((error as TransactionCanceledException).CancellationReasons ?? []) : undefined;
    if (!reasons) throw error;
    if (reasons[0]?.Code === 'ConditionalCheckFailed') {
      // Someone else (the resolver, a retry) finished first: read what happened.
      const now2 = await readPendingMessage(deps, txId, producer);
      if (now2?.state === 'committed') return 'already-committed';
      throw new TwoPhaseMessageError(`Transaction ${txId}'s message was discarded concurrently; it cannot be committed.`, { txId });
    }
    if (reasons[2]?.Code === 'ConditionalCheckFailed') {
      throw new TwoPhaseMessageError(`Saga ${pending.sagaId} was already started (its start barrier exists); transaction ${txId}'s start event stays pending. Discard it or use a new saga id.`, { txId, sagaId: pending.sagaId });
    }
    if (reasons.some((r) => r.Code === 'TransactionConflict')) return commitMessage(def, txId, deps, producer);
    throw error;
  }
  deps.metrics?.count(METRIC.messagesCommitted, 1, { Producer: producer });
  return 'committed';
}

/** Phase 2 (rollback): drops a pending message. Idempotent; discarding a committed message throws. */
export async function discardMessage(txId: string, deps: TwoPhaseMessageDeps, producer: string = INITIATOR): Promise<'discarded' | 'already-discarded'> {
  const now = (deps.clock ?? systemClock).now();
  try {
    await deps.client.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: pendingMessageKey(producer, txId),
        UpdateExpression: 'SET #state = :discarded, discardedAt = :at REMOVE #shard, #next',
        ConditionExpression: '#state = :pending',
        ExpressionAttributeNames: { '#state': 'state', '#shard': KEY.openPartition, '#next': KEY.openSort },
        ExpressionAttributeValues: { ':discarded': 'discarded', ':pending': 'pending', ':at': new Date(now).toISOString() },
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
    const current = await readPendingMessage(deps, txId, producer);
    if (current?.state === 'discarded') return 'already-discarded';
    if (current?.state === 'committed') throw new TwoPhaseMessageError(`Transaction ${txId}'s message was already committed (published); it cannot be discarded.`, { txId });
    throw new TwoPhaseMessageError(`No prepared message for transaction ${txId} (producer "${producer}").`, { txId });
  }
  deps.metrics?.count(METRIC.messagesDiscarded, 1, { Producer: producer });
  return 'discarded';
}

/** What the user's check-back says about a local transaction. */
export type LocalTransactionState = 'committed' | 'rolled-back' | 'in-progress';

/** Asks the user's store whether the local transaction of a pending message committed. */
export type CheckBack = (message: { readonly txId: string; readonly sagaId: string; readonly type: string; readonly preparedAt: string }) => Promise<LocalTransactionState>;

/**
 * What a check-back's own insert of the transaction id into the barrier table found: it inserted
 * it (with a rollback marker), or the row exists — written by the local transaction (`committed`)
 * or by an earlier check-back (`rollback`).
 */
export type BarrierInsertResult = { readonly inserted: true } | { readonly inserted: false; readonly existing: 'committed' | 'rollback' };

/**
 * DTM's check-back: try to insert the transaction id (with a rollback marker) into the same
 * unique-keyed table the local transaction inserts it into. Inserted → the local transaction has
 * not committed, and now never can: rolled back. Already there from the transaction → committed;
 * already there from an earlier check-back → rolled back. A transaction still running when the
 * check-back inserts fails at its own commit (unique violation), so "in progress" never needs a
 * guessing timeout. In PostgreSQL:
 *
 * ```sql
 * INSERT INTO saga_barrier (tx_id, reason) VALUES ($1, 'rollback') ON CONFLICT (tx_id) DO NOTHING RETURNING tx_id;
 * -- no row returned: SELECT reason FROM saga_barrier WHERE tx_id = $1
 * ```
 */
export function uniqueInsertCheckBack(insertRollbackMarker: (txId: string) => Promise<BarrierInsertResult>): CheckBack {
  return async ({ txId }) => {
    const result = await insertRollbackMarker(txId);
    if (result.inserted) return 'rolled-back';
    return result.existing === 'committed' ? 'committed' : 'rolled-back';
  };
}

export interface ResolveReport {
  readonly committed: readonly string[];
  readonly discarded: readonly string[];
  readonly inProgress: readonly string[];
  /** Check-backs or commits that threw; left pending for the next run. */
  readonly failed: readonly { readonly txId: string; readonly error: string }[];
}

/**
 * Resolves pending messages older than `olderThanMs` by asking `checkBack`: committed → commit
 * (published once), rolled back → discard, in progress → asked again after another `olderThanMs`.
 * Reads only the sparse `open#pending#<k>` index partitions: cost grows with pending messages.
 *
 * @example
 * ```ts
 * await resolvePendingMessages(orderSaga, deps, { olderThanMs: 60_000, checkBack: uniqueInsertCheckBack(insertIntoPgBarrier) });
 * ```
 */
export async function resolvePendingMessages(
  def: AnySagaDefinition,
  deps: TwoPhaseMessageDeps,
  options: { readonly olderThanMs: number; readonly checkBack: CheckBack; readonly limit?: number },
): Promise<ResolveReport> {
  const now = (deps.clock ?? systemClock).now();
  const limit = options.limit ?? 100;
  const due: PendingMessageRecord[] = [];
  for (const shard of pendingShards()) {
    const out = await deps.client.send(
      new QueryCommand({
        TableName: deps.tableName,
        IndexName: KEY.openIndex,
        KeyConditionExpression: '#s = :s AND #n <= :cutoff',
        ExpressionAttributeNames: { '#s': KEY.openPartition, '#n': KEY.openSort },
        ExpressionAttributeValues: { ':s': shard, ':cutoff': new Date(now - options.olderThanMs).toISOString() },
        Limit: limit,
      }),
    );
    due.push(...((out.Items ?? []) as PendingMessageRecord[]).filter((m) => m.kind === 'pending-message' && m.state === 'pending'));
  }
  const committed: string[] = [];
  const discarded: string[] = [];
  const inProgress: string[] = [];
  const failed: { txId: string; error: string }[] = [];
  for (const m of due.slice(0, limit)) {
    try {
      const state = await options.checkBack({ txId: m.txId, sagaId: m.sagaId, type: m.type, preparedAt: m.preparedAt });
      if (state === 'committed') {
        await commitMessage(def, m.txId, deps, m.producer);
        committed.push(m.txId);
      } else if (state === 'rolled-back') {
        await discardMessage(m.txId, deps, m.producer);
        discarded.push(m.txId);
      } else {
        await deps.client
          .send(
            new UpdateCommand({
              TableName: deps.tableName,
              Key: pendingMessageKey(m.producer, m.txId),
              UpdateExpression: 'SET checks = checks + :one, lastCheckedAt = :at, #next = :at',
              ConditionExpression: '#state = :pending',
              ExpressionAttributeNames: { '#state': 'state', '#next': KEY.openSort },
              ExpressionAttributeValues: { ':one': 1, ':at': new Date(now).toISOString(), ':pending': 'pending' },
            }),
          )
          .catch((error: unknown) => {
            if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error; // finished meanwhile
          });
        inProgress.push(m.txId);
      }
    } catch (error) {
      failed.push({ txId: m.txId, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
  }
  return { committed, discarded, inProgress, failed };
}

/**
 * The resolver as a reconciliation check (对账) for the reconciler's `registerCheck`.
 *
 * @example
 * ```ts
 * reconciler.registerCheck(pendingMessagesCheck({ olderThanMs: 60_000, checkBack: uniqueInsertCheckBack(insertIntoPgBarrier) }));
 * ```
 */
export function pendingMessagesCheck(options: { readonly olderThanMs: number; readonly checkBack: CheckBack; readonly everyMs?: number }) {
  return {
    name: 'two-phase-messages',
    everyMs: options.everyMs ?? 60_000,
    autoRepair: true,
    async run(ctx: { readonly def: AnySagaDefinition; readonly client: DynamoDBDocumentClient; readonly tableName: string; readonly now: Date }) {
      const report = await resolvePendingMessages(ctx.def, { client: ctx.client, tableName: ctx.tableName, clock: { now: () => ctx.now.getTime() } }, options);
      return [
        ...report.committed.map((txId) => ({ subject: `message ${txId}`, message: 'was pending after its local transaction committed; published' })),
        ...report.discarded.map((txId) => ({ subject: `message ${txId}`, message: 'was pending after its local transaction rolled back; discarded' })),
        ...report.failed.map((f) => ({ subject: `message ${f.txId}`, message: `check-back failed: ${f.error}; still pending` })),
      ];
    },
  };
}

const ttl = (now: number): number => Math.floor(now / 1000) + OUTBOX_TTL_DAYS * DAY_SECONDS;
