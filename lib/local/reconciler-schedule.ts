import type { AnySagaDefinition } from '../core/definition.js';
import { createReconciler, type Reconciler, type ReconcilerOptions, type ReconciliationCheck, type ReconcileRunResult } from '../runtime/reconciler/index.js';
import { type Logger, silentLogger } from '../runtime/shared/index.js';
import { defaultReconciliationChecks } from '../runtime/participant/index.js';
import type { LocalCloud } from './cloud.js';
import { localQueueAdmin } from './queue-admin.js';

export interface LocalReconcilerOptions extends ReconcilerOptions {
  /** Virtual time between runs (the EventBridge schedule's rate). @default 60 000 ms */
  readonly everyMs?: number;
  /** @default the checks the definition's features need (`defaultReconciliationChecks`: TCC reservation expiry); `[]` opts out */
  readonly checks?: readonly ReconciliationCheck[];
  readonly logger?: Logger;
}

/** A reconciler wired to a local cloud, plus the results of its scheduled runs. */
export interface LocalReconciler extends Reconciler {
  readonly runs: ReconcileRunResult[];
}

/**
 * Creates the reconciler for a local cloud — its table, virtual clock, seeded ids, metrics and
 * queues — and schedules it on the cloud's clock, so `runUntilQuiet` moves time forward through
 * deadlines and the reconciler fires as the EventBridge schedule would.
 *
 * @example
 * ```ts
 * const cloud = await LocalCloud.start({ definition: orderSaga, participants });
 * const reconciler = scheduleReconciler(cloud, { everyMs: 60_000 });
 * await cloud.runUntilQuiet(); // overdue sagas time out and compensate
 * ```
 */
export function scheduleReconciler<D extends AnySagaDefinition>(cloud: LocalCloud<D>, options: LocalReconcilerOptions = {}): LocalReconciler {
  const reconciler = createLocalReconciler(cloud, options);
  const runs: ReconcileRunResult[] = [];
  cloud.schedule('reconciler', options.everyMs ?? 60_000, async () => {
    runs.push(await reconciler.runOnce());
  });
  return { ...reconciler, runs };
}

/**
 * A reconciler on a local cloud's ports, not scheduled (tests call `runOnce` themselves). After a
 * {@link LocalCloud.deploy} it runs the new definition (as a redeployed Lambda would: a cold start,
 * with the checks registered so far).
 */
export function createLocalReconciler<D extends AnySagaDefinition>(cloud: LocalCloud<D>, options: LocalReconcilerOptions = {}): Reconciler {
  const { everyMs: _every, checks, logger, ...reconcilerOptions } = options;
  const registered: ReconciliationCheck[] = [];
  const build = (def: AnySagaDefinition): Reconciler => {
    const reconciler = createReconciler(def, {
      client: cloud.client,
      tableName: cloud.tableName,
      clock: cloud.clock,
      ids: () => cloud.random.uuid(),
      metrics: cloud.metrics,
      logger: logger ?? silentLogger,
      queues: localQueueAdmin(cloud.consumers, () => cloud.clock.now()),
      checks: checks ?? defaultReconciliationChecks(def),
      options: reconcilerOptions,
    });
    for (const check of registered) reconciler.registerCheck(check);
    return reconciler;
  };
  let current = build(cloud.definition);
  cloud.onDeploy((def) => {
    current = build(def);
  });
  return {
    runOnce: () => current.runOnce(),
    registerCheck(check) {
      current.registerCheck(check);
      registered.push(check);
    },
  };
}
