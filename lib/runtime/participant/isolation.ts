import type { UpdateParams } from '../shared/step-db.js';

/**
 * Isolation countermeasures for sagas (the seeds' list: sagas have no isolation — another saga
 * sees a step's effect before its saga has decided). Three helpers for step implementations:
 *
 * - **Semantic lock**: a forward step marks a business item as held by its saga
 *   ({@link withSemanticLock}); the step that ends the saga's use of it (a TCC confirm or cancel, a
 *   compensation, a final forward step) releases it ({@link releasingSemanticLock}). Another saga
 *   that reads the item sees the marker ({@link lockedByOther}) and chooses: *wait*
 *   (`ctx.retryLater`), *fail* (its business failure event), or *read around* it (use the
 *   committed value, knowing it may still be undone).
 * - **Commutative updates** ({@link commutativeAdd}): `ADD`-style increments that give the same
 *   result in any order, so two sagas on one counter never overwrite each other and a
 *   compensation undoes exactly its own delta.
 * - **Reread before a compensating write**: compensations read the item again (`ctx.db.get` is a
 *   consistent read) and write relative to what is there now, never a snapshot taken forward.
 *
 * All three are plain DynamoDB expressions staged in the step's one transaction, so a lock is set
 * or released atomically with the step's other writes and its barrier.
 */

/** Attributes of a semantic lock on a business item. */
export const SEMANTIC_LOCK = { holder: 'sagaLock', since: 'sagaLockedAt' } as const;

/** What a step does when another saga holds the item it needs. */
export type LockConflictPolicy = 'wait' | 'fail' | 'read-around';

/** The saga holding an item's semantic lock, or `undefined` when it is free. */
export function lockHolder(item: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const holder = item?.[SEMANTIC_LOCK.holder];
  return typeof holder === 'string' && holder !== '' ? holder : undefined;
}

/**
 * True when another saga than `sagaId` holds the item's semantic lock.
 *
 * @example
 * ```ts
 * const seat = await ctx.db.get(seatKey(seatId));
 * if (lockedByOther(seat, ctx.sagaId)) return ctx.retryLater(`seat ${seatId} is held by another booking`, { delaySeconds: 5 });
 * ```
 */
export function lockedByOther(item: Readonly<Record<string, unknown>> | undefined, sagaId: string): boolean {
  const holder = lockHolder(item);
  return holder !== undefined && holder !== sagaId;
}

const LOCK_SAGA = ':sagaLockHolder';
const LOCK_AT = ':sagaLockAt';
const LOCK_NAMES = { '#sagaLock': SEMANTIC_LOCK.holder, '#sagaLockedAt': SEMANTIC_LOCK.since };

/** Adds `assignments` to the SET clause of an update expression (or starts one). */
function addToClause(expression: string, clause: 'SET' | 'REMOVE', part: string): string {
  const match = new RegExp(`\\b${clause}\\b`, 'i').exec(expression);
  if (!match) return `${expression.trim()} ${clause} ${part}`.trim();
  const at = match.index + match[0].length;
  return `${expression.slice(0, at)} ${part},${expression.slice(at)}`;
}

const andCondition = (existing: string | undefined, condition: string): string => (existing ? `(${existing}) AND (${condition})` : condition);

function checkUnclaimed(update: UpdateParams): void {
  const used = [...Object.keys(update.ExpressionAttributeNames ?? {}), ...Object.keys(update.ExpressionAttributeValues ?? {})];
  const clash = used.find((k) => k in LOCK_NAMES || k === LOCK_SAGA || k === LOCK_AT);
  if (clash) throw new Error(`The update already uses ${clash}, which the semantic lock helpers reserve; rename your placeholder.`);
}

/**
 * The step's own update of an item, extended to take the item's semantic lock for `sagaId`: the
 * lock is set in the same write, and the write fails (the step re-runs, then sees the holder) if
 * another saga holds it. Taking a lock the saga already holds is a no-op.
 *
 * @example
 * ```ts
 * ctx.db.update(withSemanticLock({ Key: seatKey(seatId), UpdateExpression: 'SET #state = :held', ExpressionAttributeNames: { '#state': 'state' }, ExpressionAttributeValues: { ':held': 'held' } }, ctx.sagaId, ctx.now));
 * ```
 */
export function withSemanticLock(update: UpdateParams, sagaId: string, now: Date): UpdateParams {
  checkUnclaimed(update);
  return {
    ...update,
    UpdateExpression: addToClause(update.UpdateExpression, 'SET', `#sagaLock = ${LOCK_SAGA}, #sagaLockedAt = ${LOCK_AT}`),
    ConditionExpression: andCondition(update.ConditionExpression, `attribute_not_exists(#sagaLock) OR #sagaLock = ${LOCK_SAGA}`),
    ExpressionAttributeNames: { ...(update.ExpressionAttributeNames ?? {}), ...LOCK_NAMES },
    ExpressionAttributeValues: { ...(update.ExpressionAttributeValues ?? {}), [LOCK_SAGA]: sagaId, [LOCK_AT]: now.toISOString() },
  };
}

/**
 * The step's own update of an item, extended to release `sagaId`'s semantic lock on it. The write
 * fails if another saga holds the lock (a mistake: a saga releases only its own); an item with no
 * lock is released as is (a redelivery after the release, a compensation of a step that never
 * locked it).
 *
 * @example
 * ```ts
 * ctx.db.update(releasingSemanticLock({ Key: seatKey(seatId), UpdateExpression: 'SET #state = :sold', ExpressionAttributeNames: { '#state': 'state' }, ExpressionAttributeValues: { ':sold': 'sold' } }, ctx.sagaId));
 * ```
 */
export function releasingSemanticLock(update: UpdateParams, sagaId: string): UpdateParams {
  checkUnclaimed(update);
  return {
    ...update,
    UpdateExpression: addToClause(update.UpdateExpression, 'REMOVE', '#sagaLock, #sagaLockedAt'),
    ConditionExpression: andCondition(update.ConditionExpression, `attribute_not_exists(#sagaLock) OR #sagaLock = ${LOCK_SAGA}`),
    ExpressionAttributeNames: { ...(update.ExpressionAttributeNames ?? {}), ...LOCK_NAMES },
    ExpressionAttributeValues: { ...(update.ExpressionAttributeValues ?? {}), [LOCK_SAGA]: sagaId },
  };
}

/**
 * A commutative update: adds `delta` (negative to take) to a numeric attribute, starting from 0,
 * optionally refusing to go below `min` (the write fails, the step re-runs and sees the value).
 * Two sagas' increments commute, and a compensation adds `-delta` back whatever ran in between.
 *
 * @example
 * ```ts
 * ctx.db.update(commutativeAdd(stockKey(sku), 'available', -quantity, { min: 0 }));
 * ```
 */
export function commutativeAdd(key: Readonly<Record<string, unknown>>, attribute: string, delta: number, options: { readonly min?: number } = {}): UpdateParams {
  if (!Number.isFinite(delta)) throw new Error(`commutativeAdd: delta must be a finite number, got ${delta}.`);
  const update: UpdateParams = {
    Key: { ...key },
    UpdateExpression: 'SET #counter = if_not_exists(#counter, :zero) + :delta',
    ExpressionAttributeNames: { '#counter': attribute },
    ExpressionAttributeValues: { ':zero': 0, ':delta': delta },
  };
  if (options.min === undefined) return update;
  // Conditions cannot add: "value + delta >= min" is "value >= min - delta" (and a missing value is 0).
  const needed = options.min - delta;
  return {
    ...update,
    ConditionExpression: needed <= 0 ? 'attribute_not_exists(#counter) OR #counter >= :needed' : '#counter >= :needed',
    ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':needed': needed },
  };
}
