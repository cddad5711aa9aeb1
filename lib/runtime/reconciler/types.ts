import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AnySagaDefinition } from '../../core/definition.js';
import type { Clock, IdSource, Logger, Metrics } from '../shared/ports.js';
import type { QueueAdmin } from '../shared/queue-admin.js';
import type { SagaRecord } from '../shared/saga-record.js';

/** A failure the reconciler learnt from a failure record and keeps on the saga record. */
export interface SagaFailure {
  readonly participant: string;
  readonly step?: string;
  readonly phase?: string;
  readonly type?: string;
  readonly eventId?: string;
  readonly messageId: string;
  readonly error: string;
  readonly receiveCount: number;
  readonly at: string;
}

/**
 * Attributes the reconciler and the operator actions add to a saga record. The tracker keeps
 * unknown attributes (it spreads the record it read), so they survive its updates.
 */
export interface RecoveryFields {
  /** Quiet checks in a row (no progress, nothing to repair); reset by progress. */
  readonly stalledChecks?: number;
  readonly lastCheckedAt?: string;
  readonly flaggedAt?: string;
  /** `participant.step (phase)` the flag is about, when one step explains it. */
  readonly stuckStep?: string;
  readonly failures?: readonly SagaFailure[];
  /** Set by `saga resolve`: a person handled it; the saga has left the open index. */
  readonly resolvedAt?: string;
}

/** A saga record as the reconciler sees it. */
export type TrackedSaga = SagaRecord & RecoveryFields;

export interface ReconcilerOptions {
  /** A saga with no new event for this long is quiet: its lost publishes are repaired. @default 60 s */
  readonly quietMs?: number;
  /** Re-check interval of a saga past its deadline or compensating. @default 60 s */
  readonly checkIntervalMs?: number;
  /** Quiet checks in a row after which a stalled saga is flagged. @default 3 */
  readonly stalledChecks?: number;
  /** Republishes of one outbox row before the reconciler gives up on it (and the stall flags the saga). @default 3 */
  readonly maxRepublishes?: number;
  /** Index page size. @default 100 */
  readonly pageSize?: number;
  /** Sagas visited per run at most; the rest stay due for the next run. @default 1000 */
  readonly maxSagasPerRun?: number;
  /** Run checks' repair actions (else only report discrepancies). @default false */
  readonly autoRepair?: boolean;
  /**
   * Rows republished per run at most: under overload the reconciler must not multiply the work
   * (the rest stay due for the next run). @default 200
   */
  readonly maxRepublishesPerRun?: number;
  /**
   * How much the measured tracker lag lengthens the quiet period: quiet = quietMs + lagFactor ×
   * lag, so events published but not tracked yet do not look lost when the system is slow. @default 2
   */
  readonly lagFactor?: number;
}

export type ResolvedReconcilerOptions = Required<ReconcilerOptions>;

export const DEFAULT_RECONCILER_OPTIONS: ResolvedReconcilerOptions = {
  quietMs: 60_000,
  checkIntervalMs: 60_000,
  stalledChecks: 3,
  maxRepublishes: 3,
  pageSize: 100,
  maxSagasPerRun: 1000,
  autoRepair: false,
  maxRepublishesPerRun: 200,
  lagFactor: 2,
};

/** One discrepancy found by a reconciliation check. */
export interface Discrepancy {
  /** What is wrong, e.g. `stock sku-1`. */
  readonly subject: string;
  readonly message: string;
  readonly expected?: unknown;
  readonly actual?: unknown;
  /** Puts it right; run when the reconciler runs with `autoRepair` (or the check's own `autoRepair`). */
  readonly repair?: () => Promise<string | void>;
}

export interface CheckContext {
  readonly def: AnySagaDefinition;
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now: Date;
  readonly logger: Logger;
  /** Number of open sagas (reads the open index: cost grows with open sagas only). */
  openSagaCount(): Promise<number>;
}

/**
 * A pluggable reconciliation check (对账): compares your own records across participants and
 * returns what does not match.
 *
 * @example
 * ```ts
 * reconciler.registerCheck({
 *   name: 'stock-conserved',
 *   everyMs: 3_600_000,
 *   async run(ctx) { return (await readStock(ctx)).filter(s => s.available + s.reserved !== s.initial)
 *     .map(s => ({ subject: `stock ${s.sku}`, message: 'stock not conserved', expected: s.initial, actual: s.available + s.reserved })); },
 * });
 * ```
 */
export interface ReconciliationCheck {
  readonly name: string;
  /** Minimum time between two runs of the check (claimed in the table, so concurrent reconcilers run it once). @default every run */
  readonly everyMs?: number;
  /** Run repairs even when the reconciler's `autoRepair` is off. @default false */
  readonly autoRepair?: boolean;
  run(ctx: CheckContext): Promise<readonly Discrepancy[]>;
}

export interface ReconcilerDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default system clock */
  readonly clock?: Clock;
  /** @default random UUIDs */
  readonly ids?: IdSource;
  /** DLQ access: depth metrics per participant. @default none */
  readonly queues?: QueueAdmin;
  readonly checks?: readonly ReconciliationCheck[];
  readonly options?: ReconcilerOptions;
}

/** What one run read and did; also written to the run's report record. */
export interface ReconcileStats {
  /** Items DynamoDB read for the run (Query `ScannedCount`, items returned by GetItem). */
  itemsRead: number;
  queries: number;
  gets: number;
  writes: number;
  sagasVisited: number;
  failuresHandled: number;
  timeoutsPublished: number;
  republished: number;
  /** Republishes left for a later run because this one reached `maxRepublishesPerRun`. */
  republishesDeferred: number;
  /** The tracker lag this run measured (ms): how late the tracker recorded events it recorded lately. */
  trackerLagMs: number;
  /** The quiet period this run used (ms): `quietMs` lengthened by the lag of the previous runs. */
  quietMsUsed: number;
  /** Ended sagas whose outbox was audited (and that left the index) this run. */
  endedAudited: number;
  /**
   * Outbox partitions of visited sagas left unread because no row to act on can be there: every
   * event their producer replied with is in the timeline (lib/runtime/reconciler/scan.ts).
   */
  outboxReadsSkipped: number;
  flagged: number;
  conflicts: number;
  discrepancies: number;
  repairs: number;
}

export const emptyStats = (): ReconcileStats => ({
  itemsRead: 0,
  queries: 0,
  gets: 0,
  writes: 0,
  sagasVisited: 0,
  failuresHandled: 0,
  timeoutsPublished: 0,
  republished: 0,
  republishesDeferred: 0,
  trackerLagMs: 0,
  quietMsUsed: 0,
  endedAudited: 0,
  outboxReadsSkipped: 0,
  flagged: 0,
  conflicts: 0,
  discrepancies: 0,
  repairs: 0,
});

export interface CheckResult {
  readonly name: string;
  readonly skipped?: string;
  readonly error?: string;
  readonly discrepancies: readonly { subject: string; message: string; expected?: unknown; actual?: unknown; repaired?: string | true; repairError?: string }[];
}

export interface ReconcileRunResult {
  readonly runId: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly stats: ReconcileStats;
  readonly checks: readonly CheckResult[];
  readonly deadLetters: Readonly<Record<string, number>>;
  /** Saga ids acted on, by action (for logs and tests). */
  readonly actions: readonly { sagaId: string; action: string; detail?: string }[];
}
