import { createHash } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RECONCILER, RESERVATION_EXPIRED_EVENT, type AnySagaDefinition, type ReservationExpiredPayload } from '../../core/definition.js';
import type { ValidatedEvent } from '../../core/envelope.js';
import { KEY, reservationShards, stepKey } from '../../core/keys.js';
import { hasTccSteps, type Reaction } from '../../core/model.js';
import { compensationBarrierWrite, type BarrierRecord, type BarrierState } from './barrier.js';
import { StepContractError } from '../shared/errors.js';
import { buildOutboxRow, outboxPut } from '../shared/outbox.js';
import { METRIC, requestToken } from '../shared/ports.js';
import { readSagaRecord } from '../shared/saga-record.js';
import type { AnyStepImplementation } from './step-context.js';
import { createStepContext } from './step-context.js';
import type { StepRunnerDeps, StepRunOutcome } from './runner-types.js';
import { MAX_TRANSACTION_ITEMS, readBarrier } from './step-runner.js';
import type { Emission, ForwardState, StepResult } from './step-types.js';

/**
 * TCC (try / confirm / cancel) on the subtransaction barrier.
 *
 * A TCC step is a step with a `compensation` (its cancel) and a `confirmation` (its confirm); its
 * forward step is the try, committed by the ordinary step runner with one extra: the barrier
 * record carries the reservation's expiry and sits in the sparse `open#reservations#<k>` index
 * until the confirm or the cancel removes it. This module runs the second phase:
 *
 *   state seen   confirm                          cancel
 *   (absent)     retry later (the try must exist)  voided tombstone (null cancel)
 *   done         → confirmed                       → compensated
 *   failed       refused, flagged                  → voided
 *   confirmed    duplicate                         refused, flagged
 *   compensated  refused, flagged                  duplicate
 *   voided       refused, flagged                  duplicate
 *
 * A try arriving after its cancel finds `voided`/`compensated` and is refused (anti-hanging), a
 * try arriving after its confirm finds `confirmed` and is a duplicate. Confirm and cancel must
 * eventually succeed: they never `fail`, a `reject()` is treated as a retry, so a phase that
 * cannot complete ends in the participant's DLQ (alarmed) instead of being dropped.
 */


type Verdict = 'run' | 'duplicate' | 'retry' | 'conflict';

/** What a confirm or a cancel does given the barrier state it reads (the table above). */
export function tccVerdict(phase: 'confirm' | 'cancel', seen: BarrierState | undefined): Verdict {
  if (phase === 'confirm') {
    if (seen === 'done') return 'run';
    if (seen === 'confirmed') return 'duplicate';
    if (seen === undefined) return 'retry';
    return 'conflict';
  }
  if (seen === undefined || seen === 'done' || seen === 'failed') return 'run';
  if (seen === 'compensated' || seen === 'voided') return 'duplicate';
  return 'conflict';
}

/** Runs the confirm or the cancel of a TCC step: barrier + business writes + outbox in one transaction. */
export async function runTccSecondPhase(
  def: AnySagaDefinition,
  reaction: Reaction,
  validated: ValidatedEvent,
  impl: AnyStepImplementation,
  deps: StepRunnerDeps,
): Promise<StepRunOutcome> {
  const { envelope } = validated;
  const phase = reaction.phase === 'confirm' ? 'confirm' : 'cancel';
  const info = { participant: reaction.participant, step: reaction.step, eventId: envelope.eventId, phase };
  const label = `${reaction.participant}.${reaction.step} (${phase})`;
  for (let attempt = 0; attempt <= deps.maxConflictReruns; attempt++) {
    const record = await readBarrier(deps, reaction, envelope.sagaId);
    const seen = record?.state;
    const verdict = tccVerdict(phase, seen);
    if (verdict === 'duplicate') {
      deps.metrics.count(METRIC.duplicates, 1, { Participant: reaction.participant });
      return { kind: 'duplicate' };
    }
    if (verdict === 'retry') {
      // The saga decided to commit, which it only does after this try voted yes: its record is
      // in flight (or the trigger is wrong). Retrying keeps the confirm; the DLQ catches the rest.
      return { kind: 'retry', reason: `${label}: the try has no barrier record yet; a confirm needs the try it commits` };
    }
    if (verdict === 'conflict') {
      const reason =
        phase === 'confirm'
          ? `${label} refused: the try is ${seen}, so there is nothing to confirm (a cancel or a failed try came first)`
          : `${label} refused: the reservation was already confirmed; a cancel after a confirm would undo a committed transaction`;
      // Saga dimension only, so one alarm watches every participant (the rejection record names it).
      deps.metrics.count(METRIC.tccConflicts);
      deps.logger.log('error', 'TCC phase conflict: refused and flagged for an operator', { ...info, sagaId: envelope.sagaId, state: seen });
      return { kind: 'conflict', reason };
    }
    const forward: ForwardState = seen === 'done' ? { status: 'done', data: record?.data ?? {} } : { status: seen === 'failed' ? 'failed' : 'absent' };
    const now = deps.clock.now();
    const ctx = createStepContext({ def, reaction, validated, client: deps.client, tableName: deps.tableName, now, forward });
    const handler = phase === 'confirm' ? impl.confirm : impl.compensate;
    if (!handler) throw new StepContractError(`${label} has no ${phase === 'confirm' ? 'confirm' : 'compensate'} function in its implementation.`, info);
    const result: StepResult = phase === 'confirm' ? await impl.confirm!(ctx.confirmView) : await impl.compensate!(ctx.compensateView);
    if (result.kind === 'retry') return result.delaySeconds === undefined ? { kind: 'retry', reason: result.reason } : { kind: 'retry', reason: result.reason, delaySeconds: result.delaySeconds };
    if (result.kind === 'reject') {
      deps.logger.log('warn', 'a TCC confirm/cancel must succeed: reject() is retried instead (and ends in the DLQ)', { ...info, reason: result.reason });
      return { kind: 'retry', reason: `${label} must eventually succeed; reject() is retried: ${result.reason}` };
    }
    if (result.kind !== 'done') {
      throw new StepContractError(`${label} returned ${result.kind}; a TCC ${phase} commits what the try reserved and can only be done(...) or retryLater(...).`, info);
    }
    checkEmits(reaction, result.events);
    const rows = await Promise.all(
      result.events.map((emission) => buildOutboxRow({ def, producer: reaction.participant, sagaId: envelope.sagaId, emission, eventId: deps.ids(), causationId: envelope.eventId, now, definitionVersion: envelope.definitionVersion })),
    );
    const emitted = rows.map((r) => r.eventId);
    const args = { tableName: deps.tableName, participant: reaction.participant, step: reaction.step, sagaId: envelope.sagaId, eventId: envelope.eventId, now, emitted };
    const barrier = seen === 'done' ? closeReservation({ ...args, phase }) : compensationBarrierWrite({ ...args, seen });
    const items = [barrier, ...ctx.db.writes, ...rows.map((row) => outboxPut(deps.tableName, row))];
    if (items.length > MAX_TRANSACTION_ITEMS) throw new StepContractError(`${label} staged ${items.length} items; one step commits at most ${MAX_TRANSACTION_ITEMS}.`, info);
    deps.faults?.beforeCommit?.(info);
    try {
      await deps.client.send(new TransactWriteCommand({ TransactItems: items as never, ClientRequestToken: requestToken(deps.tableName, deps.ids()) }));
    } catch (error) {
      if (isRerunnable(error, ctx.db.writes.length)) {
        deps.metrics.count(METRIC.conflicts);
        continue; // the barrier moved (a concurrent confirm/cancel/try) or a business condition broke: re-read and decide again
      }
      throw error;
    }
    const state: BarrierState = phase === 'confirm' ? 'confirmed' : seen === 'done' ? 'compensated' : 'voided';
    deps.metrics.count(METRIC.stepsCommitted, 1, { Participant: reaction.participant });
    if (state === 'confirmed') deps.metrics.count(METRIC.confirmations, 1, { Participant: reaction.participant });
    if (state === 'compensated') deps.metrics.count(METRIC.compensations, 1, { Participant: reaction.participant });
    if (state === 'voided') deps.metrics.count(METRIC.nullCompensations, 1, { Participant: reaction.participant });
    deps.faults?.afterCommit?.(info);
    return { kind: 'committed', state, events: rows.map((r) => r.type) };
  }
  return { kind: 'retry', reason: `transaction conflicts persisted after ${deps.maxConflictReruns} re-runs` };
}

/**
 * Moves a reserved try (`done`) to `confirmed` or `compensated` and takes it out of the
 * reservations index — conditional on the state the phase read, so a concurrent confirm and
 * cancel cannot both commit.
 */
export function closeReservation(a: { tableName: string; participant: string; step: string; sagaId: string; eventId: string; now: number; emitted: string[]; phase: 'confirm' | 'cancel' }) {
  const at = new Date(a.now).toISOString();
  const fields =
    a.phase === 'confirm'
      ? 'confirmEventId = :eid, confirmedAt = :at, confirmationEmitted = :emitted'
      : 'compensateEventId = :eid, compensatedAt = :at, compensationEmitted = :emitted';
  return {
    Update: {
      TableName: a.tableName,
      Key: stepKey(a.participant, a.sagaId, a.step),
      UpdateExpression: `SET #state = :next, ${fields} REMOVE #shard, #check`,
      ConditionExpression: '#state = :seen',
      ExpressionAttributeNames: { '#state': 'state', '#shard': KEY.openPartition, '#check': KEY.openSort },
      ExpressionAttributeValues: { ':next': a.phase === 'confirm' ? 'confirmed' : 'compensated', ':eid': a.eventId, ':at': at, ':emitted': a.emitted, ':seen': 'done' },
    },
  };
}

function checkEmits(reaction: Reaction, events: readonly Emission[]): void {
  for (const e of events) {
    if (!reaction.mayEmit.includes(e.type)) {
      throw new StepContractError(
        `${reaction.participant}.${reaction.step} (${reaction.phase}) emitted ${JSON.stringify(e.type)}, which is not in its ${reaction.phase === 'confirm' ? 'confirmation' : 'compensation'}.emits: [${reaction.mayEmit.join(', ')}].`,
        { participant: reaction.participant, step: reaction.step, type: e.type },
      );
    }
  }
}

/** Conflicts worth re-reading the barrier for: the barrier condition [0], a business condition, a concurrent transaction. */
function isRerunnable(error: unknown, businessWrites: number): boolean {
  const name = (error as { name?: string }).name;
  if (name === 'TransactionInProgressException') return true;
  if (!(error instanceof TransactionCanceledException) && name !== 'TransactionCanceledException') return false;
  const codes = ((error as TransactionCanceledException).CancellationReasons ?? []).map((r) => r.Code ?? 'None');
  if (codes.includes('TransactionConflict')) return true;
  return codes.slice(0, 1 + businessWrites).includes('ConditionalCheckFailed');
}

// ---------------------------------------------------------------------------------------------
// Reservation expiry: the reconciler's safety net.
// ---------------------------------------------------------------------------------------------

/** A TCC reservation (a try in state `done`) past its expiry. */
export interface ExpiredReservation {
  readonly participant: string;
  readonly step: string;
  readonly sagaId: string;
  readonly expiresAt: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** What {@link requestExpiredReservations} did with each expired reservation. */
export interface ReservationExpiryReport {
  /** A `ReservationExpired` event was written to the reconciler's outbox (published by the relay). */
  readonly requested: readonly (ExpiredReservation & { readonly decision: 'confirm' | 'cancel'; readonly sagaStatus: string })[];
  /** Requested by an earlier run and still unresolved: its confirm/cancel is failing (see the participant's DLQ). */
  readonly stillUnresolved: readonly (ExpiredReservation & { readonly decision: 'confirm' | 'cancel' })[];
  /** The saga has not decided (running, compensating, flagged): nothing is guessed; the deadline machinery decides. */
  readonly undecided: readonly (ExpiredReservation & { readonly sagaStatus: string })[];
}

export interface ReservationExpiryDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** Reads expired reservations from the `open#reservations#<k>` index partitions (cost grows with open reservations only). */
export async function findExpiredReservations(deps: ReservationExpiryDeps, now: number, limit = 100): Promise<ExpiredReservation[]> {
  const out: ExpiredReservation[] = [];
  for (const shard of reservationShards()) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await deps.client.send(
        new QueryCommand({
          TableName: deps.tableName,
          IndexName: KEY.openIndex,
          KeyConditionExpression: '#s = :s AND #n <= :now',
          ExpressionAttributeNames: { '#s': KEY.openPartition, '#n': KEY.openSort },
          ExpressionAttributeValues: { ':s': shard, ':now': new Date(now).toISOString() },
          Limit: limit,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of (page.Items ?? []) as BarrierRecord[]) {
        if (item.state !== 'done' || !item.reservationExpiresAt) continue; // the index lags a just-closed reservation
        out.push({ participant: item.participant, step: item.step, sagaId: item.sagaId, expiresAt: item.reservationExpiresAt, ...(item.data ? { data: item.data } : {}) });
        if (out.length >= limit) return out;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
  return out;
}

/**
 * The saga's decision for an expired reservation, read from the saga record (the decision log of
 * this application-level 2PC): completed → confirm; compensated, or no record at all (the saga is
 * gone) → cancel; anything else → undecided. We never guess on a timeout — unlike 3PC's
 * "commit after a timeout" — because a saga past its pivot may still complete.
 */
export function decisionFor(sagaStatus: string | undefined): 'confirm' | 'cancel' | undefined {
  if (sagaStatus === 'completed') return 'confirm';
  if (sagaStatus === 'compensated' || sagaStatus === undefined) return 'cancel';
  return undefined;
}

/** The expiry request goes to the participants of the version the saga runs on. */
const pinnedTo = (saga: { readonly definitionVersion?: number } | undefined): { definitionVersion?: number } =>
  saga?.definitionVersion !== undefined ? { definitionVersion: saga.definitionVersion } : {};

/** Deterministic event id of the expiry request for one reservation, so one reservation is requested once. */
export function expiryEventId(r: Pick<ExpiredReservation, 'sagaId' | 'participant' | 'step' | 'expiresAt'>): string {
  const h = createHash('sha256').update(`${r.sagaId}|${r.participant}|${r.step}|${r.expiresAt}`).digest('hex');
  return `rx-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Finds expired TCC reservations and asks each participant to finish them according to the saga's
 * decision, by writing a `ReservationExpired` event to the reconciler's own outbox (the relay
 * publishes it; the participant's queue, barrier, retries and DLQ do the rest). Idempotent: the
 * event id is derived from the reservation, so one reservation is requested once however often
 * this runs. Needs what the reconciler already may do: query `open#*` index partitions, read saga
 * records, write `reconciler#outbox#…` rows.
 *
 * @example
 * ```ts
 * const report = await requestExpiredReservations(orderSaga, { client, tableName }, { now: Date.now() });
 * for (const r of report.undecided) logger.log('warn', 'reservation expired, saga undecided', r);
 * ```
 */
export async function requestExpiredReservations(
  def: AnySagaDefinition,
  deps: ReservationExpiryDeps,
  options: { readonly now: number; readonly limit?: number },
): Promise<ReservationExpiryReport> {
  const requested: (ExpiredReservation & { decision: 'confirm' | 'cancel'; sagaStatus: string })[] = [];
  const stillUnresolved: (ExpiredReservation & { decision: 'confirm' | 'cancel' })[] = [];
  const undecided: (ExpiredReservation & { sagaStatus: string })[] = [];
  for (const r of await findExpiredReservations(deps, options.now, options.limit ?? 100)) {
    const saga = await readSagaRecord(deps.client, deps.tableName, r.sagaId);
    const sagaStatus = saga?.status ?? 'absent';
    const decision = decisionFor(saga?.status);
    if (!decision) {
      undecided.push({ ...r, sagaStatus });
      continue;
    }
    const payload: ReservationExpiredPayload = { participant: r.participant, step: r.step, decision, sagaStatus, expiredAt: r.expiresAt };
    const row = await buildOutboxRow({ def, producer: RECONCILER, sagaId: r.sagaId, emission: { type: RESERVATION_EXPIRED_EVENT, payload }, eventId: expiryEventId(r), now: options.now, ...pinnedTo(saga) });
    try {
      await deps.client.send(new PutCommand(outboxPut(deps.tableName, row).Put));
      requested.push({ ...r, decision, sagaStatus });
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      stillUnresolved.push({ ...r, decision });
    }
  }
  return { requested, stillUnresolved, undecided };
}

/** A discrepancy as the reconciler's pluggable checks report them (structurally compatible). */
export interface ExpiryDiscrepancy {
  readonly subject: string;
  readonly message: string;
  readonly expected?: unknown;
  readonly actual?: unknown;
  readonly repair?: () => Promise<string | void>;
}

/**
 * The reservation expiry as a reconciliation check (对账) for the reconciler's `registerCheck`:
 * each expired reservation is a discrepancy; decided ones are repaired by requesting their confirm
 * or cancel (the check repairs on its own: `autoRepair: true`).
 *
 * @example
 * ```ts
 * reconciler.registerCheck(reservationExpiryCheck());
 * ```
 */
export function reservationExpiryCheck(options: { readonly everyMs?: number; readonly limit?: number } = {}) {
  return {
    name: 'tcc-reservations',
    everyMs: options.everyMs ?? 60_000,
    autoRepair: true,
    async run(ctx: { readonly def: AnySagaDefinition; readonly client: DynamoDBDocumentClient; readonly tableName: string; readonly now: Date }): Promise<ExpiryDiscrepancy[]> {
      const deps = { client: ctx.client, tableName: ctx.tableName };
      const out: ExpiryDiscrepancy[] = [];
      for (const r of await findExpiredReservations(deps, ctx.now.getTime(), options.limit ?? 100)) {
        const saga = await readSagaRecord(ctx.client, ctx.tableName, r.sagaId);
        const decision = decisionFor(saga?.status);
        const subject = `reservation ${r.participant}.${r.step} of saga ${r.sagaId}`;
        const actual = `reserved, expired at ${r.expiresAt}`;
        if (!decision) {
          out.push({ subject, message: `expired while the saga is ${saga?.status}; waiting for its decision (deadline, operator)`, expected: 'confirmed or cancelled', actual });
          continue;
        }
        out.push({
          subject,
          message: `expired; the saga is ${saga?.status ?? 'gone'}, so it must be ${decision === 'confirm' ? 'confirmed' : 'cancelled'}`,
          expected: decision === 'confirm' ? 'confirmed' : 'cancelled',
          actual,
          repair: async () => {
            const payload: ReservationExpiredPayload = { participant: r.participant, step: r.step, decision, sagaStatus: saga?.status ?? 'absent', expiredAt: r.expiresAt };
            const row = await buildOutboxRow({ def: ctx.def, producer: RECONCILER, sagaId: r.sagaId, emission: { type: RESERVATION_EXPIRED_EVENT, payload }, eventId: expiryEventId(r), now: ctx.now.getTime(), ...pinnedTo(saga) });
            try {
              await ctx.client.send(new PutCommand(outboxPut(ctx.tableName, row).Put));
              return `${decision} requested (${RESERVATION_EXPIRED_EVENT} ${row.eventId})`;
            } catch (error) {
              if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
              return `${decision} was already requested; still unresolved — see ${r.participant}'s DLQ`;
            }
          },
        });
      }
      return out;
    },
  };
}

/**
 * The reconciliation checks every saga using a feature needs, registered by default (the
 * generated reconciler entry of the constructs, `reconcilerHandlerFor`, the local cloud's
 * reconciler): the TCC reservation expiry when the definition has TCC steps. Opt out by passing
 * your own list (`[]` for none). Two-phase messages need your `checkBack` and are registered by
 * you: `pendingMessagesCheck({ olderThanMs, checkBack })`.
 *
 * @example
 * ```ts
 * export const handler = reconcilerHandlerFor(bookingSaga, [...defaultReconciliationChecks(bookingSaga), myStockCheck()]);
 * ```
 */
export function defaultReconciliationChecks(def: AnySagaDefinition): ReturnType<typeof reservationExpiryCheck>[] {
  return hasTccSteps(def) ? [reservationExpiryCheck()] : [];
}
