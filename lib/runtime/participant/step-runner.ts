import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { AnySagaDefinition } from '../../core/definition.js';
import type { ValidatedEvent } from '../../core/envelope.js';
import { stepKey } from '../../core/keys.js';
import { isTccSecondPhase, postPivotSteps, reservationSecondsOf, type Reaction } from '../../core/model.js';
import { classifyExisting, compensationBarrierWrite, forwardBarrierPut, type BarrierRecord, type BarrierState } from './barrier.js';
import { checksEndMarker, endMarkerCheck } from './end-marker.js';
import { StepContractError } from '../shared/errors.js';
import { buildOutboxRow, outboxPut } from '../shared/outbox.js';
import { METRIC, requestToken } from '../shared/ports.js';
import { createStepContext, type AnyStepImplementation } from './step-context.js';
import type { Emission, ForwardState, StepResult } from './step-types.js';

/** Post-pivot steps per definition, computed once (definitions are frozen). */
const postPivotCache = new WeakMap<AnySagaDefinition, Set<string>>();
function postPivotOf(def: AnySagaDefinition): Set<string> {
  let steps = postPivotCache.get(def);
  if (!steps) postPivotCache.set(def, (steps = postPivotSteps(def)));
  return steps;
}

/** DynamoDB's limit on items in one TransactWriteItems. */
export const MAX_TRANSACTION_ITEMS = 100;

export type { CommitFaults, StepRunnerDeps, StepRunOutcome, TccPhaseRunner } from './runner-types.js';
import type { StepRunnerDeps, StepRunOutcome, TccPhaseRunner } from './runner-types.js';

/**
 * Runs one reaction of a participant to one validated event and commits barrier + business writes
 * + step record + outbox rows in one TransactWriteItems. Conflicts (a concurrent transaction, a
 * business condition broken by a concurrent write, a barrier that moved) re-run the step a bounded
 * number of times; the happy path makes no call besides the handler's own reads and the commit.
 * `tcc` runs the confirm and the cancel of TCC steps.
 */
export async function runReaction(
  def: AnySagaDefinition,
  reaction: Reaction,
  validated: ValidatedEvent,
  impl: AnyStepImplementation,
  deps: StepRunnerDeps,
  tcc?: TccPhaseRunner,
): Promise<StepRunOutcome> {
  // The confirm and the cancel of a TCC step have their own barrier rules (lib/runtime/participant/tcc.ts),
  // passed in by createTccParticipantHandler (the handler refuses a TCC participant without them).
  if (isTccSecondPhase(reaction)) {
    if (!tcc) throw new StepContractError(`${reaction.participant}.${reaction.step} is a TCC step; its ${reaction.phase} needs the TCC phase runner (createTccParticipantHandler).`, { participant: reaction.participant, step: reaction.step });
    return tcc(def, reaction, validated, impl, deps);
  }
  const { envelope } = validated;
  const info = { participant: reaction.participant, step: reaction.step, eventId: envelope.eventId };
  for (let attempt = 0; attempt <= deps.maxConflictReruns; attempt++) {
    let seen: BarrierState | undefined;
    let forward: ForwardState | undefined;
    if (reaction.phase === 'compensate') {
      const record = await readBarrier(deps, reaction, envelope.sagaId);
      seen = record?.state;
      if (classifyExisting('compensate', record) === 'duplicate') return duplicate(deps, reaction);
      forward = seen === 'done' ? { status: 'done', data: record?.data ?? {} } : { status: seen === 'failed' ? 'failed' : 'absent' };
    }
    const now = deps.clock.now();
    const ctx = createStepContext({ def, reaction, validated, client: deps.client, tableName: deps.tableName, now, forward });
    const result: StepResult = reaction.phase === 'forward' ? await impl.forward(ctx.forwardView) : await impl.compensate!(ctx.compensateView);
    if (result.kind === 'retry' || result.kind === 'reject') {
      // A forward step's own checks can fail because an earlier delivery of this very event already
      // took effect (completeOrder finds the order completed — by itself): the barrier decides first.
      if (reaction.phase === 'forward') {
        const verdict = classifyExisting('forward', await readBarrier(deps, reaction, envelope.sagaId));
        if (verdict === 'duplicate') return duplicate(deps, reaction);
        if (verdict === 'hanging-refused') return refusedHanging(deps, info);
      }
      if (result.kind === 'retry' && result.delaySeconds !== undefined) return { kind: 'retry', reason: result.reason, delaySeconds: result.delaySeconds };
      return { kind: result.kind, reason: result.reason };
    }
    if (result.kind === 'ignored') {
      if (reaction.phase !== 'compensate' || forward?.status !== 'done' || !reaction.spec.pivot) {
        throw new StepContractError(`${reaction.participant}.${reaction.step}: ignore() is only for the compensation of a pivot step that is already done.`, info);
      }
      return { kind: 'ignored', reason: result.reason };
    }
    checkDeclared(reaction, result.kind, result.events);
    const rows = await Promise.all(
      result.events.map((emission) =>
        buildOutboxRow({ def, producer: reaction.participant, sagaId: envelope.sagaId, emission, eventId: deps.ids(), causationId: envelope.eventId, now, definitionVersion: envelope.definitionVersion }),
      ),
    );
    const barrierArgs = { tableName: deps.tableName, participant: reaction.participant, step: reaction.step, sagaId: envelope.sagaId, eventId: envelope.eventId, now, emitted: rows.map((r) => r.eventId) };
    const barrier =
      reaction.phase === 'forward'
        ? forwardBarrierPut({
            ...barrierArgs,
            outcome: result.kind,
            data: ctx.remembered(),
            ...(result.kind === 'failed' ? { reason: result.reason } : {}),
            ...(reaction.spec.confirmation ? { reservationExpiresAt: now + reservationSecondsOf(def, reaction.spec) * 1000 } : {}),
          })
        : compensationBarrierWrite({ ...barrierArgs, seen });
    // The end marker goes last, so the reasons of the barrier [0] and the business writes [1..n] keep their places.
    const endCheck = checksEndMarker(reaction) ? [endMarkerCheck(deps.tableName, envelope.sagaId, postPivotOf(def).has(`${reaction.participant}.${reaction.step}`))] : [];
    const items = [barrier, ...ctx.db.writes, ...rows.map((row) => outboxPut(deps.tableName, row)), ...endCheck];
    if (items.length > MAX_TRANSACTION_ITEMS) {
      throw new StepContractError(`${reaction.participant}.${reaction.step} staged ${items.length} items; one step commits at most ${MAX_TRANSACTION_ITEMS} (barrier and outbox rows included).`, info);
    }
    deps.faults?.beforeCommit?.(info);
    try {
      await deps.client.send(new TransactWriteCommand({ TransactItems: items as never, ClientRequestToken: requestToken(deps.tableName, deps.ids()) }));
    } catch (error) {
      const verdict = await classifyFailure(error, reaction, deps, envelope.sagaId, ctx.db.writes.length, endCheck.length > 0);
      if (verdict === 'ended') return refusedAfterEnd(deps, info);
      if (verdict === 'rerun') {
        deps.metrics.count(METRIC.conflicts);
        continue;
      }
      if (verdict === 'duplicate') return duplicate(deps, reaction);
      if (verdict === 'hanging-refused') return refusedHanging(deps, info);
      throw error;
    }
    const state: BarrierState = reaction.phase === 'forward' ? result.kind : seen === 'done' ? 'compensated' : 'voided';
    deps.metrics.count(METRIC.stepsCommitted, 1, { Participant: reaction.participant });
    if (state === 'compensated') deps.metrics.count(METRIC.compensations, 1, { Participant: reaction.participant });
    if (state === 'voided') deps.metrics.count(METRIC.nullCompensations, 1, { Participant: reaction.participant });
    deps.faults?.afterCommit?.(info);
    return { kind: 'committed', state, events: rows.map((r) => r.type) };
  }
  // StepRetries is counted once, by the participant handler, for every `retry` outcome.
  return { kind: 'retry', reason: `transaction conflicts persisted after ${deps.maxConflictReruns} re-runs` };
}

function refusedHanging(deps: StepRunnerDeps, info: { participant: string; step: string; eventId: string }): StepRunOutcome {
  deps.metrics.count(METRIC.refusedHanging);
  deps.logger.log('info', 'forward step refused: its compensation already ran', info);
  return { kind: 'hanging-refused' };
}

function refusedAfterEnd(deps: StepRunnerDeps, info: { participant: string; step: string; eventId: string }): StepRunOutcome {
  deps.metrics.count(METRIC.refusedAfterEnd, 1, { Participant: info.participant });
  deps.logger.log('warn', 'forward step refused: its saga had already ended', info);
  return { kind: 'ended-refused', reason: 'the saga had already ended (completed, compensated or timed out) when this forward step tried to commit' };
}

function duplicate(deps: StepRunnerDeps, reaction: Reaction): StepRunOutcome {
  deps.metrics.count(METRIC.duplicates, 1, { Participant: reaction.participant });
  return { kind: 'duplicate' };
}

/** The barrier record of a reaction's step, read strongly consistent (the TCC phases read it too). */
export async function readBarrier(deps: Pick<StepRunnerDeps, 'client' | 'tableName'>, reaction: Pick<Reaction, 'participant' | 'step'>, sagaId: string): Promise<BarrierRecord | undefined> {
  const out = await deps.client.send(new GetCommand({ TableName: deps.tableName, Key: stepKey(reaction.participant, sagaId, reaction.step), ConsistentRead: true }));
  return out.Item as BarrierRecord | undefined;
}

function checkDeclared(reaction: Reaction, kind: 'done' | 'failed', events: readonly Emission[]): void {
  const spec = reaction.spec;
  const allowed = reaction.phase === 'compensate' ? (spec.compensation?.emits ?? []) : kind === 'done' ? (spec.emits ?? []) : (spec.failsWith ?? []);
  const what = reaction.phase === 'compensate' ? 'compensation.emits' : kind === 'done' ? 'emits' : 'failsWith';
  for (const e of events) {
    if (!allowed.includes(e.type)) {
      throw new StepContractError(
        `${reaction.participant}.${reaction.step} (${reaction.phase}, ${kind}) emitted ${JSON.stringify(e.type)}, which is not in its ${what}: [${allowed.join(', ')}]. Declare it in the saga definition or emit another event.`,
        { participant: reaction.participant, step: reaction.step, type: e.type },
      );
    }
  }
}

type FailureVerdict = 'rerun' | 'duplicate' | 'hanging-refused' | 'ended' | 'fatal';

/**
 * Reads a cancelled transaction's index-aligned reasons: [0] barrier, [1..n] business writes,
 * then outbox rows, and last the end marker when the step carries it. Only here — off the happy
 * path — does the runtime read the barrier back. A duplicate (barrier) wins over the end marker.
 */
async function classifyFailure(error: unknown, reaction: Reaction, deps: StepRunnerDeps, sagaId: string, businessWrites: number, endMarker: boolean): Promise<FailureVerdict> {
  const name = (error as { name?: string }).name;
  if (name === 'TransactionInProgressException') return 'rerun';
  if (!(error instanceof TransactionCanceledException) && name !== 'TransactionCanceledException') return 'fatal';
  const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
  const codes = reasons.map((r) => r.Code ?? 'None');
  if (codes.includes('TransactionConflict')) return 'rerun';
  if (codes[0] === 'ConditionalCheckFailed') {
    if (reaction.phase === 'compensate') return 'rerun';
    const verdict = classifyExisting('forward', await readBarrier(deps, reaction, sagaId));
    return verdict === 'moved' ? 'rerun' : verdict;
  }
  if (endMarker && codes[codes.length - 1] === 'ConditionalCheckFailed') return 'ended';
  if (codes.slice(1, 1 + businessWrites).includes('ConditionalCheckFailed')) return 'rerun';
  return 'fatal';
}
