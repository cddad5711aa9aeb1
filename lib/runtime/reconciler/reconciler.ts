import type { AnySagaDefinition } from '../../core/definition.js';
import { ENV, readEnv, readIntEnv, readOptionalEnv } from '../../core/env.js';
import { FAILURES_SHARD, openShards } from '../../core/keys.js';
import { createDocumentClient, createSqsClient } from '../shared/aws-clients.js';
import type { FailureRecord } from '../participant/index.js';
import { checkDefinitionName } from '../shared/from-env.js';
import { contextual, invocationFields, jsonLogger, withLogFields, type InvocationContext } from '../shared/logging.js';
import { METRIC, randomIds, systemClock, type LogLevel } from '../shared/ports.js';
import { emfMetrics } from '../shared/emf-metrics.js';
import { parseUrlMap, sqsQueueAdmin } from '../shared/queue-admin.js';
import { runChecks, writeReport } from './checks.js';
import { handleFailure, visitSaga, type VisitContext } from './saga.js';
import { emptyStartsMemory, recoverLostStarts } from './starts.js';
import { auditEndedSagas } from './ended.js';
import { republishUnpublished } from './unpublished.js';
import { ReconcilerStore } from './store.js';
import {
  DEFAULT_RECONCILER_OPTIONS,
  emptyStats,
  type ReconcileRunResult,
  type ReconcilerDeps,
  type ReconciliationCheck,
  type ResolvedReconcilerOptions,
  type TrackedSaga,
} from './types.js';

export interface Reconciler {
  /** One reconciliation pass: failure records, due open sagas, checks, DLQ depths, report. */
  runOnce(): Promise<ReconcileRunResult>;
  /** Adds a reconciliation check (对账) to every following run. */
  registerCheck(check: ReconciliationCheck): void;
}

/**
 * The reconciler: finds what got stuck and repairs it, through the same outbox every participant
 * uses (it never calls PutEvents). Each run
 * 1. handles failure records (messages that failed their last attempt) — flags sagas whose
 *    compensation or must-succeed step ended in a DLQ — and gives a saga record to sagas whose
 *    start event never reached the tracker (`open#starts`), so step 2 republishes it, and
 *    republishes rows the relay noted as unpublished (`open#unpublished`) whose saga has ended
 *    or was flagged, and audits the outbox of each saga that ended a quiet period ago
 *    (`open#ended`), once, for rows whose events never reached its timeline;
 * 2. visits the open sagas whose `nextCheckAt` is due (the sparse `open-sagas` index, shard by
 *    shard: cost grows with open sagas, never with the table) — republishes lost outbox rows,
 *    publishes `SagaTimedOut` past the deadline, flags sagas stalled for `stalledChecks` checks;
 * 3. runs the registered reconciliation checks that are due;
 * 4. reports DLQ depths and writes a report record (`reconciler#report` / `<runId>`).
 * Every write is conditional (saga version, outbox claims, check claims), so overlapping runs
 * never publish, republish or repair twice.
 *
 * @example
 * ```ts
 * const reconciler = createReconciler(orderSaga, { client, tableName, logger, metrics });
 * reconciler.registerCheck(stockCheck);
 * const { stats } = await reconciler.runOnce();
 * ```
 */
export function createReconciler(def: AnySagaDefinition, deps: ReconcilerDeps): Reconciler {
  const checks: ReconciliationCheck[] = [...(deps.checks ?? [])];
  const opts: ResolvedReconcilerOptions = { ...DEFAULT_RECONCILER_OPTIONS, ...(deps.options ?? {}) };
  const clock = deps.clock ?? systemClock;
  const ids = deps.ids ?? randomIds;
  const logger = contextual(deps.logger);
  // The tracker lag measured by the previous runs (warm invocations keep it; a cold start begins at 0).
  let trackerLagMs = 0;
  // What the previous runs read of the start entries (warm invocations keep it; it only saves reads).
  // Kept by this instance, not the module: the Lambda entry creates one reconciler at module load, so
  // a warm container keeps it all the same, and two reconcilers in one process (tests, tools) never share it.
  const startsMemory = emptyStartsMemory();
  return {
    registerCheck(check) {
      if (checks.some((c) => c.name === check.name)) throw new Error(`A reconciliation check named ${JSON.stringify(check.name)} is already registered; names identify checks in reports and metrics.`);
      checks.push(check);
    },
    async runOnce() {
      const now = clock.now();
      const nowIso = new Date(now).toISOString();
      const runId = `${nowIso}#${ids().slice(0, 8)}`;
      const stats = emptyStats();
      const store = new ReconcilerStore(deps.client, deps.tableName, stats, opts.maxRepublishesPerRun);
      const actions: { sagaId: string; action: string; detail?: string }[] = [];
      // When the tracker is slow, a published event reaches the saga record late: wait that much
      // longer before calling a row lost, or a backlog makes the reconciler republish everything.
      const queueAge = await deps.queues?.trackerQueueAgeMs?.().catch(() => undefined);
      const quietMs = opts.quietMs + Math.round(opts.lagFactor * Math.max(trackerLagMs, queueAge ?? 0));
      stats.quietMsUsed = quietMs;
      const lag = { max: 0, samples: 0 };
      const ctx: VisitContext = {
        def,
        store,
        opts: { ...opts, quietMs },
        configuredQuietMs: opts.quietMs,
        observe: (saga) => {
          const sample = trackerLagOf(saga);
          if (sample === undefined) return;
          lag.samples++;
          lag.max = Math.max(lag.max, sample);
        },
        now,
        ids,
        metrics: deps.metrics,
        logger,
        act: (sagaId, action, detail) => actions.push({ sagaId, action, ...(detail ? { detail } : {}) }),
      };
      for await (const item of store.due(FAILURES_SHARD, nowIso, opts.pageSize)) {
        await handleFailure(ctx, item as unknown as FailureRecord);
      }
      let visited = 0;
      visit: for (const shard of openShards()) {
        for await (const item of store.due(shard, nowIso, opts.pageSize)) {
          if (visited++ >= opts.maxSagasPerRun) break visit;
          store.noteRecorded(String(item.sagaId));
          ctx.observe(item as unknown as TrackedSaga);
          // Every line written while one saga is visited carries its id.
          await withLogFields({ sagaId: item.sagaId }, () => visitSaga(ctx, item as unknown as TrackedSaga));
        }
      }
      // Sagas whose start event never reached the tracker have no record yet: give them one (after
      // the visits, which tell which sagas do have a record; a recovered saga is visited next pass).
      await recoverLostStarts(ctx, startsMemory);
      // Rows the relay could not publish whose saga has ended meanwhile (open sagas were repaired above).
      await republishUnpublished(ctx);
      // Sagas that ended a quiet period ago: their outboxes once, for events nothing else would notice lost.
      await auditEndedSagas(ctx, Math.max(0, opts.maxSagasPerRun - visited));
      // The lag estimate rises with the latest samples at once and decays slowly (a backlog comes in waves).
      trackerLagMs = Math.max(lag.samples > 0 ? lag.max : 0, Math.floor(trackerLagMs * 0.8));
      stats.trackerLagMs = trackerLagMs;
      const checkResults = checks.length ? await runChecks({ def, store, checks, now, runId, autoRepair: opts.autoRepair, logger, metrics: deps.metrics }) : [];
      const deadLetters: Record<string, number> = {};
      for (const participant of deps.queues?.participants() ?? []) {
        try {
          deadLetters[participant] = await deps.queues!.deadLetterCount(participant);
          deps.metrics.count(METRIC.deadLetters, deadLetters[participant], { Participant: participant });
        } catch (error) {
          logger.log('warn', 'could not read a DLQ depth', { participant, error: (error as Error).message });
        }
      }
      deps.metrics.count(METRIC.sagasVisited, stats.sagasVisited, { Saga: def.name });
      deps.metrics.count(METRIC.reconcilerItemsRead, stats.itemsRead, { Saga: def.name });
      const result: ReconcileRunResult = { runId, startedAt: nowIso, finishedAt: new Date(clock.now()).toISOString(), stats, checks: checkResults, deadLetters, actions };
      await writeReport(store, result, now);
      logger.log('info', 'reconciler run finished', { runId, ...stats });
      return result;
    },
  };
}

/**
 * The scheduled Lambda handler: one reconciliation pass per invocation (the schedule's event is
 * not needed). Returns the run's result, which is also in the report record.
 */
export function createReconcilerHandler(def: AnySagaDefinition, deps: ReconcilerDeps): (event?: unknown, context?: InvocationContext) => Promise<ReconcileRunResult> {
  const reconciler = createReconciler(def, deps);
  return (_event, context) => withLogFields({ ...invocationFields(context), saga: def.name, component: 'reconciler' }, () => reconciler.runOnce());
}

/** Reconciler dependencies from the environment the `Choreography` construct writes. */
export function reconcilerDepsFromEnv(def: AnySagaDefinition, checks: readonly ReconciliationCheck[] = []): ReconcilerDeps {
  checkDefinitionName(def);
  const dlqUrls = parseUrlMap(process.env[ENV.DLQ_URLS], ENV.DLQ_URLS);
  return {
    client: createDocumentClient(),
    tableName: readEnv(ENV.TABLE_NAME),
    logger: jsonLogger(readOptionalEnv(ENV.LOG_LEVEL, 'info') as LogLevel, { service: 'reconciler' }),
    metrics: emfMetrics('SagaChoreography', { Saga: def.name }),
    ...(Object.keys(dlqUrls).length ? { queues: sqsQueueAdmin(createSqsClient(), { deadLetterQueueUrls: dlqUrls }) } : {}),
    checks,
    options: {
      quietMs: readIntEnv(ENV.RECONCILE_QUIET_SECONDS, DEFAULT_RECONCILER_OPTIONS.quietMs / 1000) * 1000,
      stalledChecks: Math.max(1, readIntEnv(ENV.RECONCILE_STALLED_CHECKS, DEFAULT_RECONCILER_OPTIONS.stalledChecks)),
    },
  };
}

/**
 * How late the tracker recorded a saga's latest event: the record's `lastEventAt` (when the tracker
 * wrote it) minus the occurrence time of the newest event in its timeline. `undefined` when the
 * record says nothing (no timeline).
 */
export function trackerLagOf(saga: Pick<TrackedSaga, 'lastEventAt' | 'timeline'>): number | undefined {
  if (!saga.lastEventAt || saga.timeline.length === 0) return undefined;
  let newest = '';
  for (const t of saga.timeline) if (t.at > newest) newest = t.at;
  const lag = Date.parse(saga.lastEventAt) - Date.parse(newest);
  return Number.isFinite(lag) ? Math.max(0, lag) : undefined;
}
