import { TRACKER_CONSUMER } from '../../runtime/tracker.js';
import { LocalCloud, TRACKER } from '../../local/cloud.js';
import { FAULT_KINDS, FaultInjector, type FaultPlan } from '../../local/faults.js';
import { scheduleReconciler, type LocalReconciler } from '../../local/reconciler-schedule.js';
import { checkGenericInvariants, GENERIC_INVARIANTS, type SagaSummary, type Violation } from '../../local/simulation/invariants.js';
import { readStoredData, type StoredData } from '../../local/simulation/stored-data.js';
import { customerOf, initialPoints, MAIN_SKU, orderSaga, planOrders, referenceParticipants, seedPoints, seedStock, type PlannedOrder } from '../reference-app.js';
import type { OrderSaga } from '../../../functions/order/index.js';
import { checkReferenceInvariants, REFERENCE_INVARIANTS, type ReferenceFigures, type SimulatedOrder } from './reference-invariants.js';

export interface SimulationOptions {
  readonly sagas: number;
  readonly seed: number;
  readonly faults: FaultPlan;
  /** An external DynamoDB endpoint. @default AWS_ENDPOINT_URL, else the in-process engine */
  readonly endpoint?: string;
  /** Invocations of one consumer at once, interleaved by seed. @default 2 */
  readonly concurrency?: number;
  /** Sagas started per second of virtual time. @default 20 */
  readonly arrivalsPerSecond?: number;
  /** Stock of the main SKU as a fraction of what all its orders ask for (< 1: some orders find none left). @default 0.8 */
  readonly stockRatio?: number;
  /** Operator action once the faults stop: move every DLQ's messages back to its queue. @default true */
  readonly redriveDeadLetters?: boolean;
  /** Progress lines (to stderr in the CLI). */
  readonly progress?: (message: string) => void;
  /**
   * Adjusts the cloud before any saga starts. Tests use it to install deliberately broken
   * components and check that the invariant checker notices; never needed otherwise.
   */
  readonly configureCloud?: (cloud: LocalCloud<OrderSaga>) => void;
  /** Looks at the cloud and the stored data after the checks, before the cloud stops (debugging, tests). */
  readonly inspect?: (cloud: LocalCloud<OrderSaga>, data: StoredData, report: SimulationReport, parts: SimulationParts) => Promise<void> | void;
}

/** What a simulation ran with, for {@link SimulationOptions.inspect}. */
export interface SimulationParts {
  readonly reconciler: LocalReconciler;
  readonly faults: FaultInjector;
  readonly orders: readonly SimulatedOrder[];
  readonly initialStock: Readonly<Record<string, number>>;
  readonly initialPoints: Readonly<Record<string, number>>;
}

/** The result of a simulation: deterministic for a seed (no wall-clock values, no table names). */
export interface SimulationReport {
  readonly summary: SagaSummary;
  /** Faults injected, by kind (plus finer counters, e.g. `publishFailurePermanent`). */
  readonly faults: Record<string, number>;
  readonly violations: readonly Violation[];
  readonly seed: number;
  readonly sagas: number;
  /** Invocations of one consumer that could run at once. */
  readonly concurrency: number;
  readonly plan: FaultPlan;
  readonly invariantsChecked: readonly string[];
  /** Violations by invariant (the list above is capped at {@link MAX_LISTED_VIOLATIONS}). */
  readonly violationCounts: Record<string, number>;
  readonly stock: ReferenceFigures['stock'];
  readonly points: ReferenceFigures['points'];
  readonly money: ReferenceFigures['money'];
  readonly poison: { readonly injected: number; readonly byReason: Record<string, number> };
  readonly deadLetters: { readonly redriven: Record<string, number>; readonly remaining: Record<string, number> };
  readonly relay: { readonly recordsGivenUp: number };
  readonly reconciler: { readonly runs: number; readonly timeoutsPublished: number; readonly republished: number; readonly flagged: number };
  readonly outcomes: Record<string, number>;
  readonly openSagas: readonly string[];
  readonly virtualSeconds: number;
  readonly deliveries: number;
  readonly storedItems: number;
}

export const MAX_LISTED_VIOLATIONS = 200;

/** The reconciler's schedule in the simulation (EventBridge Scheduler rate). */
const RECONCILER_EVERY_MS = 60_000;
/** Settling ends after this many reconciler passes in a row that did nothing (covers its one-quiet-period lag)… */
const SETTLE_IDLE_PASSES = 3;
/** … or after this many passes in all. */
const MAX_SETTLE_PASSES = 30;

/**
 * Runs the reference order application on the local cloud under injected faults, then lets the
 * system heal and checks the invariants on the data it stored:
 *
 * 1. **storm** — sagas arrive at `arrivalsPerSecond`; every fault knob is live; the reconciler runs
 *    on its schedule; the run continues until the system is quiet;
 * 2. **heal** — faults stop (stalled participants answer again), an operator redrives the DLQs,
 *    and the clock moves past every deadline while the reconciler finishes its work;
 * 3. **settle** — the reconciler keeps its schedule until a few passes in a row find nothing to
 *    repair (it republishes what ended sagas left unpublished a quiet period late);
 * 4. **check** — one consistent scan of the table, judged by the generic and the application's
 *    invariants.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationReport> {
  const progress = options.progress ?? (() => undefined);
  const faults = new FaultInjector(options.faults, options.seed);
  const cloud = await LocalCloud.start({
    definition: orderSaga,
    participants: referenceParticipants,
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
    const plan = planOrders(options.sagas, { points: true });
    const stock = simulationStock(plan, options.stockRatio ?? 0.8);
    const points = initialPoints(plan);
    await seedStock(cloud, stock);
    await seedPoints(cloud, points);
    const startedAt = cloud.clock.now();
    let deliveries = 0;
    // Long phases report every few thousand deliveries, so a big run never looks hung.
    const run = async (maxVirtualMs: number, phase?: string) => {
      const onProgress = phase
        ? (steps: number) => {
            if (steps % 2000 === 0) progress(`  ${phase}: ${deliveries + steps} deliveries, virtual time +${Math.round((cloud.clock.now() - startedAt) / 1000)} s`);
          }
        : undefined;
      const r = await cloud.runUntilQuiet({ maxVirtualMs, ...(onProgress ? { onProgress } : {}) });
      deliveries += r.steps;
      return r;
    };

    // 1. Storm.
    const orders: SimulatedOrder[] = [];
    const perWave = Math.max(1, Math.round(options.arrivalsPerSecond ?? 20));
    for (let next = 0; next < plan.length; next += perWave) {
      for (const o of plan.slice(next, next + perWave)) {
        const customerId = customerOf(o);
        const { sagaId } = await cloud.startSaga({ orderId: o.orderId, customerId, sku: o.sku, quantity: o.quantity, amountCents: o.amountCents, ...(o.pointsToRedeem ? { pointsToRedeem: o.pointsToRedeem } : {}) });
        orders.push({ ...o, sagaId, customerId });
      }
      const waveAt = cloud.clock.now() + 1000;
      await run(1000);
      cloud.clock.advanceTo(waveAt);
      if ((next / perWave) % 10 === 9) progress(`  started ${orders.length}/${plan.length} sagas, ${deliveries} deliveries, virtual time +${Math.round((cloud.clock.now() - startedAt) / 1000)} s`);
    }
    progress(`All ${orders.length} sagas started; running until quiet under faults …`);
    await run(30 * 60_000, 'storm');

    // 2. Heal: the storm passes, an operator redrives the DLQs, deadlines pass, the reconciler finishes.
    faults.heal();
    const redriven: Record<string, number> = {};
    if (options.redriveDeadLetters !== false) for (const [name, c] of cloud.consumers) if (c.dlq.size > 0) redriven[name] = c.dlq.moveAllTo(c.queue);
    progress(`Faults healed; redrove ${Object.values(redriven).reduce((a, b) => a + b, 0)} dead letters; letting deadlines pass and the reconciler finish …`);
    await run(30 * 60_000, 'healing');
    cloud.clock.advance((orderSaga.deadlineSeconds + 60) * 1000);
    await run(30 * 60_000, 'after the deadline');

    // 3. Settle. The run is quiet once no saga is open, but the reconciler still repairs what
    // ended sagas left behind (rows the relay gave up on, read one quiet period late): keep its
    // schedule going until enough consecutive passes found nothing to do.
    for (let pass = 0, idle = 0; pass < MAX_SETTLE_PASSES && idle < SETTLE_IDLE_PASSES; pass++) {
      const before = reconciler.runs.length;
      cloud.clock.advance(RECONCILER_EVERY_MS);
      await run(RECONCILER_EVERY_MS);
      const acted = reconciler.runs.slice(before).some((r) => r.actions.length > 0);
      idle = acted ? 0 : idle + 1;
    }

    // 4. Check the stored data.
    progress('Checking invariants on the stored data …');
    const data = await readStoredData(cloud.client, cloud.tableName);
    const generic = checkGenericInvariants({
      def: orderSaga,
      data,
      sagaIds: orders.map((o) => o.sagaId),
      published,
      poison: faults.poison,
      rejectionConsumerOf: (consumer) => (consumer === TRACKER ? TRACKER_CONSUMER : consumer),
    });
    const reference = checkReferenceInvariants(data, orders, stock, points);
    const violations = [...generic.violations, ...reference.violations];
    const report = buildReport({ options, faults, cloud, reconciler, generic, reference, violations, orders, redriven, deliveries, startedAt, storedItems: data.itemCount });
    await options.inspect?.(cloud, data, report, { reconciler, faults, orders, initialStock: stock, initialPoints: points });
    return report;
  } finally {
    await cloud.stop();
  }
}

/** Stock for a plan: the main SKU covers `ratio` of its demand, so stock runs out under load. */
export function simulationStock(plan: readonly PlannedOrder[], ratio: number): Record<string, number> {
  const stock: Record<string, number> = {};
  for (const o of plan) stock[o.sku] = (stock[o.sku] ?? 0) + o.quantity;
  for (const sku of Object.keys(stock)) stock[sku] = sku === MAIN_SKU ? Math.floor(stock[sku]! * ratio) : 5;
  return stock;
}

interface ReportInput {
  readonly options: SimulationOptions;
  readonly faults: FaultInjector;
  readonly cloud: LocalCloud<OrderSaga>;
  readonly reconciler: LocalReconciler;
  readonly generic: ReturnType<typeof checkGenericInvariants>;
  readonly reference: ReturnType<typeof checkReferenceInvariants>;
  readonly violations: readonly Violation[];
  readonly orders: readonly SimulatedOrder[];
  readonly redriven: Record<string, number>;
  readonly deliveries: number;
  readonly startedAt: number;
  readonly storedItems: number;
}

function buildReport(r: ReportInput): SimulationReport {
  const violationCounts: Record<string, number> = {};
  for (const v of r.violations) violationCounts[v.invariant] = (violationCounts[v.invariant] ?? 0) + 1;
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
    summary: r.generic.summary,
    faults,
    violations: r.violations.slice(0, MAX_LISTED_VIOLATIONS),
    seed: r.options.seed,
    sagas: r.options.sagas,
    concurrency: r.options.concurrency ?? 2,
    plan: r.options.faults,
    invariantsChecked: [...GENERIC_INVARIANTS, ...REFERENCE_INVARIANTS],
    violationCounts,
    stock: r.reference.figures.stock,
    points: r.reference.figures.points,
    money: r.reference.figures.money,
    poison: { injected: r.faults.poison.length, byReason: sortKeys(byReason) },
    deadLetters: { redriven: r.redriven, remaining },
    relay: { recordsGivenUp: r.cloud.relayFailures.reduce((n, f) => n + f.records, 0) },
    reconciler: { runs: r.reconciler.runs.length, timeoutsPublished: sum((s) => s.timeoutsPublished), republished: sum((s) => s.republished), flagged: sum((s) => s.flagged) },
    outcomes: sortKeys(outcomes),
    openSagas: r.generic.openSagas.slice(0, 20),
    virtualSeconds: Math.round((r.cloud.clock.now() - r.startedAt) / 1000),
    deliveries: r.deliveries,
    storedItems: r.storedItems,
  };
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
