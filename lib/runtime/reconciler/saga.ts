import { definitionForVersion } from '../../core/versions.js';
import type { AnySagaDefinition } from '../../core/definition.js';
import { ATTENTION_SHARD, failureKey, openShardOf } from '../../core/keys.js';
import type { FailureRecord } from '../participant/index.js';
import { outboxPut } from '../shared/outbox.js';
import { METRIC, type IdSource, type Logger, type Metrics } from '../shared/ports.js';
import { explainSaga, loadStepRecords } from './explain.js';
import { findLostRows, republishRow, timeoutRow } from './outbox.js';
import { allProducersToAudit, producersToScan } from './scan.js';
import { withoutIndex, type ReconcilerStore } from './store.js';
import type { ResolvedReconcilerOptions, SagaFailure, TrackedSaga } from './types.js';
import { isTerminalStatus } from '../shared/saga-record.js';

/**
 * The definition a saga runs on: the version it started on, as served by the newest definition
 * (itself, a previous version it names, or itself for a version it migrates). A version nobody
 * names any more falls back to the newest definition.
 */
export function sagaDefinition(ctx: Pick<VisitContext, 'def'>, saga: Pick<TrackedSaga, 'definitionVersion'>): AnySagaDefinition {
  return definitionForVersion(ctx.def, saga.definitionVersion) ?? ctx.def;
}

/** What one saga visit needs; built once per run. */
export interface VisitContext {
  readonly def: AnySagaDefinition;
  readonly store: ReconcilerStore;
  /** The options of this run; `quietMs` is lengthened by the tracker lag the previous runs measured. */
  readonly opts: ResolvedReconcilerOptions;
  /** `quietMs` as configured, before the lag lengthened it. */
  readonly configuredQuietMs: number;
  readonly now: number;
  readonly ids: IdSource;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly act: (sagaId: string, action: string, detail?: string) => void;
  /** Takes a saga record as a sample of the tracker's lag (the quiet period of the next runs follows it). */
  readonly observe: (saga: TrackedSaga) => void;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const FLAGGED = 'failed-needs-attention' as const;

/** The next version of a record, as the reconciler writes it (the tracker's optimistic lock sees it). */
function bump(saga: TrackedSaga, now: number, changes: Partial<TrackedSaga>): TrackedSaga {
  return { ...saga, ...changes, version: saga.version + 1, updatedAt: iso(now), lastCheckedAt: iso(now) } as TrackedSaga;
}

/**
 * Visits one due saga of the open index. Decisions are made on the record read (first from the
 * index, after a conflict from a consistent read) and written with a condition on its version,
 * so a concurrent tracker update or a second reconciler run makes this one re-decide or stand down.
 */
export async function visitSaga(ctx: VisitContext, fromIndex: TrackedSaga): Promise<void> {
  let saga: TrackedSaga | undefined = fromIndex;
  for (let attempt = 0; attempt < 3 && saga; attempt++) {
    if (await decide(ctx, saga)) return;
    saga = await ctx.store.saga(fromIndex.sagaId);
  }
}

/** True when the decision was written (or nothing was to be written); false on a version conflict. */
async function decide(ctx: VisitContext, saga: TrackedSaga): Promise<boolean> {
  const { store, opts, now } = ctx;
  if (isTerminalStatus(saga.status) || !saga.openShard) return true; // the index lagged behind the record
  if (saga.resolvedAt) return store.writeSaga(withoutIndex(bump(saga, now, {})), saga.version);
  store.stats.sagasVisited++;
  const quietFor = now - Date.parse(saga.lastEventAt);
  const quiet = quietFor >= opts.quietMs;
  const deadlinePassed = Date.parse(saga.deadline) <= now;
  let republished = 0;
  let exhausted = 0;
  let repairing = 0;
  if (quiet) {
    const def = sagaDefinition(ctx, saga);
    // Only the partitions where a row to act on can be (most visits of a stalled saga read one or two).
    const producers = producersToScan(def, saga);
    store.stats.outboxReadsSkipped += allProducersToAudit(def, saga).length - producers.length;
    const lost = await findLostRows(store, def, saga, now, opts.quietMs, opts.maxRepublishes, producers);
    exhausted = lost.exhausted.length;
    // A step that committed lately but whose event the tracker has not seen (yet) is progress, not a stall.
    repairing = lost.young.length;
    for (const row of lost.due) {
      // Claimed by a concurrent run (its copy is in flight) or deferred by this run's budget (a later
      // run republishes it): a repair under way, not a stall — this open saga is visited again.
      if ((await republishRow(store, row, now)) !== 'republished') {
        repairing++;
        continue;
      }
      republished++;
      store.stats.republished++;
      ctx.metrics.count(METRIC.eventsRepublished, 1, { Saga: ctx.def.name });
      ctx.act(saga.sagaId, 'republished', `${row.type} ${row.eventId}`);
    }
  }
  if (saga.status === 'running' && deadlinePassed && !saga.timeoutPublishedAt) {
    const why = saga.deadlineOf ? `the deadline of step ${saga.deadlineOf} (${saga.deadline}) passed before it ran` : `deadline ${saga.deadline} passed`;
    const row = await timeoutRow(ctx.def, saga, why, ctx.ids(), now);
    const next = bump(saga, now, { timeoutPublishedAt: iso(now), stalledChecks: 0, openShard: openShardOf(saga.sagaId), nextCheckAt: iso(now + opts.checkIntervalMs) });
    const ok = await store.writeSaga(next, saga.version, [outboxPut(store.tableName, row)], 'attribute_not_exists(timeoutPublishedAt)');
    if (ok) {
      store.stats.timeoutsPublished++;
      ctx.metrics.count(METRIC.sagasTimedOut, 1, { Saga: ctx.def.name });
      ctx.logger.log('info', 'saga timed out: SagaTimedOut published through the outbox', { sagaId: saga.sagaId, eventId: row.eventId, reason: why });
      ctx.act(saga.sagaId, 'timed-out', row.eventId);
    }
    return ok;
  }
  const waitingForDeadline = saga.status === 'running' && !deadlinePassed;
  if (!quiet || republished > 0 || repairing > 0 || waitingForDeadline) {
    const nextCheck = waitingForDeadline ? Math.min(Date.parse(saga.deadline), now + opts.checkIntervalMs) : now + opts.checkIntervalMs;
    return store.writeSaga(bump(saga, now, { stalledChecks: 0, nextCheckAt: iso(Math.max(nextCheck, now + 1)) }), saga.version);
  }
  const checks = (saga.stalledChecks ?? 0) + 1;
  if (checks < opts.stalledChecks) return store.writeSaga(bump(saga, now, { stalledChecks: checks, nextCheckAt: iso(now + opts.checkIntervalMs) }), saga.version);
  const explanation = explainSaga(sagaDefinition(ctx, saga), saga, await loadStepRecords(sagaDefinition(ctx, saga), saga.sagaId, (pk) => store.partition(pk)));
  const first = explanation.stuck[0];
  const reason =
    `no progress for ${Math.round(quietFor / 1000)} s after ${checks} checks: ${explanation.summary}` +
    (exhausted > 0 ? `; ${exhausted} outbox row(s) were republished ${opts.maxRepublishes} times and still not seen — check the relay and the bus` : '');
  return flag(ctx, saga, reason, first ? `${first.participant}.${first.step} (${first.phase})` : undefined, checks);
}

/**
 * Flags a saga `failed-needs-attention`: the reason is kept on the record, the saga moves to the
 * index's attention partition (a person lists it there; the reconciler stops re-checking it until
 * a new event moves it back), and `SagasFlagged` counts it once.
 */
async function flag(ctx: VisitContext, saga: TrackedSaga, reason: string, stuckStep: string | undefined, checks?: number, extra: Partial<TrackedSaga> = {}): Promise<boolean> {
  const next = bump(saga, ctx.now, {
    ...extra,
    status: FLAGGED,
    flaggedReason: reason,
    flaggedAt: iso(ctx.now),
    ...(stuckStep ? { stuckStep } : {}),
    ...(checks !== undefined ? { stalledChecks: checks } : {}),
    openShard: ATTENTION_SHARD,
    nextCheckAt: iso(ctx.now),
  });
  const ok = await ctx.store.writeSaga(next, saga.version);
  if (ok && saga.status !== FLAGGED) {
    ctx.store.stats.flagged++;
    ctx.metrics.count(METRIC.sagasFlagged, 1, { Saga: ctx.def.name });
    ctx.logger.log('error', 'saga flagged failed-needs-attention', { sagaId: saga.sagaId, reason });
  }
  if (ok) ctx.act(saga.sagaId, 'flagged', reason);
  return ok;
}

/**
 * Handles a failure record (a message that failed its last allowed receive): keeps the failure on
 * the saga record for `saga inspect`, and flags the saga when the failed reaction is a
 * compensation or a must-succeed forward step — backward recovery cannot finish, forward recovery
 * gave up. A failed ordinary forward step is left to the deadline, which compensates it.
 */
export async function handleFailure(ctx: VisitContext, failure: FailureRecord): Promise<void> {
  const { store, now } = ctx;
  const key = failureKey(failure.participant, failure.messageId);
  if (!failure.sagaId) return store.leaveIndex(key, { handledAt: iso(now) });
  let saga = await store.saga(failure.sagaId);
  if (!saga) {
    // The tracker has not seen the saga yet; look again next run, for an hour at most.
    if (now - Date.parse(failure.failedAt) > 3_600_000) await store.leaveIndex(key, { handledAt: iso(now), note: 'no saga record' });
    return;
  }
  const entry: SagaFailure = {
    participant: failure.participant,
    messageId: failure.messageId,
    error: failure.error,
    receiveCount: failure.receiveCount,
    at: failure.failedAt,
    ...(failure.step ? { step: failure.step } : {}),
    ...(failure.phase ? { phase: failure.phase } : {}),
    ...(failure.type ? { type: failure.type } : {}),
    ...(failure.eventId ? { eventId: failure.eventId } : {}),
  };
  const severe = failure.phase === 'compensate' || failure.mustSucceed === true;
  const what = failure.phase === 'compensate' ? 'compensation' : failure.mustSucceed ? 'forward step (must succeed)' : 'forward step';
  const reason =
    `${failure.participant}.${failure.step ?? '?'} ${what} failed on its last allowed attempt (${failure.receiveCount} of ${failure.maxReceiveCount}) ` +
    `handling ${failure.type ?? 'an event'} ${failure.eventId ?? ''}: ${failure.error}. Message ${failure.messageId} is in the ${failure.participant} DLQ; ` +
    `fix the cause, then run \`saga redrive ${failure.participant}\` or \`saga retry ${failure.sagaId} ${failure.participant}\`.`;
  for (let attempt = 0; attempt < 3 && saga && !isTerminalStatus(saga.status); attempt++) {
    const failures = [...(saga.failures ?? []).filter((f) => f.messageId !== entry.messageId), entry].slice(-10);
    const ok = severe
      ? await flag(ctx, saga, reason, `${failure.participant}.${failure.step ?? '?'} (${failure.phase ?? 'forward'})`, undefined, { failures })
      : await store.writeSaga(bump(saga, now, { failures }), saga.version);
    if (ok) break;
    saga = await store.saga(failure.sagaId);
  }
  store.stats.failuresHandled++;
  ctx.act(failure.sagaId, severe ? 'failure-flagged' : 'failure-noted', `${failure.participant}.${failure.step ?? '?'}`);
  await store.leaveIndex(key, { handledAt: iso(now) });
}
