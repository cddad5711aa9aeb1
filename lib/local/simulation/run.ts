import type { AnySagaDefinition } from '../../core/definition.js';
import { ENDED_SHARD, UNPUBLISHED_SHARD } from '../../core/keys.js';
import { openIndexPages } from '../../runtime/operator/index.js';
import { TRACKER_CONSUMER } from '../../runtime/tracker/index.js';
import type { SagaApp, StartedSaga } from '../app.js';
import { scenarioRandom, seedDataFor } from '../app.js';
import { LocalCloud, TRACKER } from '../cloud.js';
import { LocalCloudError } from '../errors.js';
import { FAULT_KINDS, FaultInjector, type FaultPlan } from '../faults.js';
import { scheduleReconciler, type LocalReconciler } from '../reconciler-schedule.js';
import { checkAppInvariants, type AppCheckResult } from './check.js';
import type { SagaSummary, Violation } from './invariants.js';
import { readStoredData, type StoredData } from './stored-data.js';

export interface AppSimulationOptions<D extends AnySagaDefinition = AnySagaDefinition> {
  readonly sagas: number;
  readonly seed: number;
  readonly faults: FaultPlan;
  /** An external DynamoDB endpoint. @default AWS_ENDPOINT_URL, else the in-process engine */
  readonly endpoint?: string;
  /** Invocations of one consumer at once, interleaved by seed. @default 2 */
  readonly concurrency?: number;
  /** Sagas started per second of virtual time. @default 20 */
  readonly arrivalsPerSecond?: number;
  /** Operator action once the faults stop: move every DLQ's messages back to its queue. @default true */
  readonly redriveDeadLetters?: boolean;
  /**
   * Progress as the run goes: `phase` lines (a stage starts), and `status` lines — the running
   * counts, sent often; the CLI redraws them in place on a terminal.
   */
  readonly progress?: (message: string, kind?: 'phase' | 'status') => void;
  /**
   * Deploys the app's `upgrade` (its next version) just before saga number `upgradeAt` starts: a
   * rolling upgrade under the same faults. Sagas before it run on the app's version to the end,
   * the others on the new one. @default no upgrade
   */
  readonly upgradeAt?: number;
  /**
   * Adjusts the cloud before any saga starts. Tests use it to install deliberately broken
   * components and check that the invariant checker notices; never needed otherwise.
   */
  readonly configureCloud?: (cloud: LocalCloud<D>) => void;
  /** Looks at the cloud and the stored data after the checks, before the cloud stops (debugging, tests). */
  readonly inspect?: (cloud: LocalCloud<D>, data: StoredData, report: SimulationReport, parts: SimulationParts) => Promise<void> | void;
}

/** What a simulation ran with, for {@link AppSimulationOptions.inspect}. */
export interface SimulationParts {
  readonly reconciler: LocalReconciler;
  readonly faults: FaultInjector;
  /** The sagas started, in order, with their start payloads. */
  readonly started: readonly StartedSaga[];
}

/** The result of a simulation: deterministic for a seed (no wall-clock values, no table names). */
export interface SimulationReport {
  /** The saga simulated. */
  readonly saga: string;
  readonly summary: SagaSummary;
  /** Faults injected, by kind (plus finer counters, e.g. `publishFailurePermanent`). */
  readonly faults: Record<string, number>;
  readonly violations: readonly Violation[];
  readonly seed: number;
  readonly sagas: number;
  /** Invocations of one consumer that could run at once. */
  readonly concurrency: number;
  readonly plan: FaultPlan;
  /** Every invariant checked: the generic ones, then the app's own. */
  readonly invariantsChecked: readonly string[];
  /** Violations by invariant (the list above is capped at {@link MAX_LISTED_VIOLATIONS}). */
  readonly violationCounts: Record<string, number>;
  /** The app's own figures (`summarize`), e.g. stock and money totals. */
  readonly figures: Record<string, unknown>;
  readonly poison: { readonly injected: number; readonly byReason: Record<string, number> };
  readonly deadLetters: { readonly redriven: Record<string, number>; readonly remaining: Record<string, number> };
  readonly relay: { readonly recordsGivenUp: number };
  readonly reconciler: { readonly runs: number; readonly timeoutsPublished: number; readonly republished: number; readonly flagged: number };
  /** Outbox rows the reconciler republished (also under `reconciler`): the repair work a run caused. */
  readonly republished: number;
  /** The rolling upgrade, when the run made one (`upgradeAt`). */
  readonly upgrade?: UpgradeReport;
  readonly outcomes: Record<string, number>;
  readonly openSagas: readonly string[];
  readonly virtualSeconds: number;
  readonly deliveries: number;
  readonly storedItems: number;
}

/** What a rolling upgrade in a simulation did. */
export interface UpgradeReport {
  /** Saga number before which the new version was deployed. */
  readonly at: number;
  readonly from: number;
  readonly to: number;
  /** Sagas started on each version. */
  readonly startedOn: Record<string, number>;
  /** Whether the old version's participants were retired at the end (its sagas drained, its queues empty). */
  readonly retired: boolean;
  /** Open sagas of each version when the run ended (none when drained). */
  readonly openByVersion: Record<string, number>;
}

export const MAX_LISTED_VIOLATIONS = 200;

/** Whether an ended saga's audit or a relay note is still pending in the open index. */
async function awaitsRepair(cloud: LocalCloud): Promise<boolean> {
  for (const shard of REPAIR_SHARDS) {
    for await (const page of openIndexPages(cloud.client, cloud.tableName, shard, { count: true })) if ((page.Count ?? 0) > 0) return true;
  }
  return false;
}

/** The reconciler's schedule in the simulation (EventBridge Scheduler rate). */
const RECONCILER_EVERY_MS = 60_000;
/**
 * Settling ends once this many reconciler passes in a row did nothing and no ended saga or relay
 * note waits for its repair (the ended-saga audit runs a quiet period after the end, and a
 * republished row is looked at again after a backoff of quiet × 2^(n−1): minutes to an hour)…
 */
const SETTLE_IDLE_PASSES = 3;
/** … or after this many passes in all (four hours of virtual time). */
const MAX_SETTLE_PASSES = 240;
/** Open-index partitions whose items the reconciler still owes a repair after every saga ended. */
const REPAIR_SHARDS = [ENDED_SHARD, UNPUBLISHED_SHARD] as const;

/**
 * Runs a saga app on the local cloud under injected faults, lets the system heal, and checks the
 * generic invariants and the app's own on the data it stored:
 *
 * 1. **storm** — sagas (`app.scenario(i, random)`) arrive at `arrivalsPerSecond`; every fault knob
 *    is live; the reconciler runs on its schedule; the run continues until the system is quiet;
 * 2. **heal** — faults stop (stalled participants answer again), an operator redrives the DLQs,
 *    and the clock moves past every deadline while the reconciler finishes its work;
 * 3. **settle** — the reconciler keeps its schedule until a few passes in a row find nothing to
 *    repair (it republishes what ended sagas left unpublished a quiet period late);
 * 4. **check** — one consistent scan of the table, judged by the invariants.
 *
 * @example
 * ```ts
 * const report = await runAppSimulation(app, { sagas: 200, seed: 7, faults: { ...NO_FAULTS, duplicate: 0.1 } });
 * if (report.violations.length > 0 || report.summary.open > 0) process.exitCode = 1;
 * ```
 */
export async function runAppSimulation<D extends AnySagaDefinition>(app: SagaApp<D>, options: AppSimulationOptions<D>): Promise<SimulationReport> {
  const progress = options.progress ?? (() => undefined);
  const def = app.definition;
  const upgradeAt = checkUpgradeOption(app, options);
  const faults = new FaultInjector(options.faults, options.seed);
  const cloud = await LocalCloud.start({
    definition: def,
    participants: app.participants,
    seed: options.seed,
    commitFaults: faults.commitFaults,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
  });
  // Every published envelope id, collected as events arrive: the bus archive keeps only the latest.
  const published = new Set<string>();
  cloud.bus.onEvent((e) => {
    const id = (e.detail as { eventId?: unknown } | null)?.eventId;
    if (typeof id === 'string') published.add(id);
  });
  try {
    faults.attach(cloud);
    options.configureCloud?.(cloud);
    const reconciler = scheduleReconciler(cloud, { everyMs: RECONCILER_EVERY_MS });
    const random = scenarioRandom(options.seed);
    await app.seed?.(seedDataFor(def, cloud.client, cloud.tableName), { sagas: options.sagas, random });
    const startedAt = cloud.clock.now();
    let deliveries = 0;
    const virtualSeconds = () => Math.round((cloud.clock.now() - startedAt) / 1000);
    // Long phases report their counts as they go (the cloud calls back every few hundred
    // deliveries), so a big run never looks hung.
    const run = async (maxVirtualMs: number, phase?: string) => {
      const onProgress = phase ? (steps: number) => progress(`  ${phase}: ${deliveries + steps} deliveries, virtual time +${virtualSeconds()} s`, 'status') : undefined;
      const r = await cloud.runUntilQuiet({ maxVirtualMs, ...(onProgress ? { onProgress } : {}) });
      deliveries += r.steps;
      return r;
    };

    // 1. Storm.
    const started: StartedSaga[] = [];
    const perWave = Math.max(1, Math.round(options.arrivalsPerSecond ?? 20));
    for (let next = 0; next < options.sagas; next += perWave) {
      for (let index = next; index < Math.min(options.sagas, next + perWave); index++) {
        if (index === upgradeAt) {
          await cloud.deploy(app.upgrade!);
          progress(`  deployed "${def.name}" v${app.upgrade!.definition.version} before saga ${index}; v${def.version} sagas finish on v${def.version}${(app.upgrade!.definition.migratesFrom ?? []).includes(def.version) ? ' (taken over by the new version)' : ''}`);
        }
        const upgraded = upgradeAt !== undefined && index >= upgradeAt;
        const payload = (upgraded && app.upgrade!.scenario ? app.upgrade!.scenario : app.scenario)(index, random);
        const { sagaId } = await cloud.startSaga(payload as never);
        started.push({ index, sagaId, payload, definitionVersion: cloud.definition.version });
      }
      const waveAt = cloud.clock.now() + 1000;
      await run(1000);
      cloud.clock.advanceTo(waveAt);
      progress(`  started ${started.length}/${options.sagas} sagas, ${deliveries} deliveries, virtual time +${virtualSeconds()} s`, 'status');
    }
    progress(`All ${started.length} sagas started; running until quiet under faults …`);
    await run(30 * 60_000, 'storm');

    // 2. Heal: the storm passes, an operator redrives the DLQs, deadlines pass, the reconciler finishes.
    faults.heal();
    const redriven: Record<string, number> = {};
    if (options.redriveDeadLetters !== false) for (const [name, c] of cloud.consumers) if (c.dlq.size > 0) redriven[name] = c.dlq.moveAllTo(c.queue);
    progress(`Faults healed; redrove ${Object.values(redriven).reduce((a, b) => a + b, 0)} dead letters; letting deadlines pass and the reconciler finish …`);
    await run(30 * 60_000, 'healing');
    cloud.clock.advance((def.deadlineSeconds + 60) * 1000);
    await run(30 * 60_000, 'after the deadline');

    // 3. Settle. The run is quiet once no saga is open, but the reconciler still repairs what
    // ended sagas left behind (rows the relay gave up on, rows the ended-saga audit finds, read a
    // quiet period late and backed off per republish): keep its schedule going until enough
    // consecutive passes found nothing to do and nothing waits in the repair partitions.
    for (let pass = 0, idle = 0; pass < MAX_SETTLE_PASSES; pass++) {
      const before = reconciler.runs.length;
      cloud.clock.advance(RECONCILER_EVERY_MS);
      await run(RECONCILER_EVERY_MS);
      const acted = reconciler.runs.slice(before).some((r) => r.actions.length > 0);
      idle = acted ? 0 : idle + 1;
      progress(`  settling: reconciler pass ${pass + 1}, ${deliveries} deliveries, virtual time +${virtualSeconds()} s`, 'status');
      if (idle >= SETTLE_IDLE_PASSES && !(await awaitsRepair(cloud))) break;
    }

    // The old version drained? Then its participants can go, as an operator would remove them.
    const upgrade = upgradeAt !== undefined ? await finishUpgrade(cloud, def.version, upgradeAt, started) : undefined;

    // 4. Check the stored data.
    progress('Checking invariants on the stored data …');
    const data = await readStoredData(cloud.client, cloud.tableName);
    const checked = await checkAppInvariants(app, {
      data,
      started,
      published,
      poison: faults.poison,
      rejectionConsumerOf: (consumer) => (consumer === TRACKER ? TRACKER_CONSUMER : cloud.participantOf(consumer)),
      definition: cloud.definition,
    });
    const report = { ...buildReport({ options, saga: def.name, faults, cloud, reconciler, checked, redriven, deliveries, startedAt, storedItems: data.itemCount }), ...(upgrade ? { upgrade } : {}) };
    await options.inspect?.(cloud, data, report, { reconciler, faults, started });
    return report;
  } finally {
    await cloud.stop();
  }
}

function checkUpgradeOption(app: SagaApp<AnySagaDefinition>, options: AppSimulationOptions<never>): number | undefined {
  const at = options.upgradeAt;
  if (at === undefined) return undefined;
  if (!app.upgrade) {
    throw new LocalCloudError(`upgradeAt ${at}: saga "${app.definition.name}" has no upgrade; export \`upgrade: { definition, participants }\` (its next version) from the app module.`);
  }
  if (!Number.isInteger(at) || at < 0 || at >= options.sagas) {
    throw new LocalCloudError(`upgradeAt must be a saga number from 0 to ${options.sagas - 1} (the upgrade is deployed before that saga starts), got ${at}.`);
  }
  return at;
}

async function finishUpgrade(cloud: LocalCloud<AnySagaDefinition>, from: number, at: number, started: readonly StartedSaga[]): Promise<UpgradeReport> {
  const startedOn: Record<string, number> = {};
  for (const s of started) startedOn[String(s.definitionVersion)] = (startedOn[String(s.definitionVersion)] ?? 0) + 1;
  const openByVersion = Object.fromEntries(Object.entries(await cloud.openSagasByVersion()).map(([v, n]) => [String(v), n]));
  if (cloud.versions.some((v) => v.version === from)) {
    try {
      await cloud.retire(from);
    } catch (error) {
      if (!(error instanceof LocalCloudError)) throw error; // not drained: reported, and the checks say why
    }
  }
  // Taken over (migratesFrom) counts as retired too: no participant of the old version runs.
  const retired = !cloud.versions.some((v) => v.version === from);
  return { at, from, to: cloud.definition.version, startedOn, retired, openByVersion };
}

interface ReportInput {
  readonly options: AppSimulationOptions<never>;
  readonly saga: string;
  readonly faults: FaultInjector;
  readonly cloud: LocalCloud<AnySagaDefinition>;
  readonly reconciler: LocalReconciler;
  readonly checked: AppCheckResult;
  readonly redriven: Record<string, number>;
  readonly deliveries: number;
  readonly startedAt: number;
  readonly storedItems: number;
}

function buildReport(r: ReportInput): SimulationReport {
  const { violations } = r.checked;
  const violationCounts: Record<string, number> = {};
  for (const v of violations) violationCounts[v.invariant] = (violationCounts[v.invariant] ?? 0) + 1;
  const byReason: Record<string, number> = {};
  for (const p of r.faults.poison) byReason[p.expectedReason] = (byReason[p.expectedReason] ?? 0) + 1;
  const remaining: Record<string, number> = {};
  for (const [name, c] of r.cloud.consumers) if (c.dlq.size > 0) remaining[name] = c.dlq.size;
  const outcomes: Record<string, number> = Object.fromEntries(r.cloud.outcomeCounts);
  const sum = (f: (s: LocalReconciler['runs'][number]['stats']) => number) => r.reconciler.runs.reduce((n, run) => n + f(run.stats), 0);
  const faults: Record<string, number> = {};
  for (const kind of FAULT_KINDS) faults[kind] = r.faults.counts[kind] ?? 0;
  for (const [k, v] of Object.entries(r.faults.counts).sort(([a], [b]) => a.localeCompare(b))) if (!(k in faults)) faults[k] = v;
  return {
    summary: r.checked.summary,
    faults,
    violations: violations.slice(0, MAX_LISTED_VIOLATIONS),
    seed: r.options.seed,
    sagas: r.options.sagas,
    saga: r.saga,
    concurrency: r.options.concurrency ?? 2,
    plan: r.options.faults,
    invariantsChecked: r.checked.checked,
    violationCounts,
    figures: r.checked.figures,
    poison: { injected: r.faults.poison.length, byReason: sortKeys(byReason) },
    deadLetters: { redriven: r.redriven, remaining },
    relay: { recordsGivenUp: r.cloud.relayFailures.reduce((n, f) => n + f.records, 0) },
    reconciler: { runs: r.reconciler.runs.length, timeoutsPublished: sum((s) => s.timeoutsPublished), republished: sum((s) => s.republished), flagged: sum((s) => s.flagged) },
    republished: sum((s) => s.republished),
    outcomes: sortKeys(outcomes),
    openSagas: r.checked.openSagas.slice(0, 20),
    virtualSeconds: Math.round((r.cloud.clock.now() - r.startedAt) / 1000),
    deliveries: r.deliveries,
    storedItems: r.storedItems,
  };
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
