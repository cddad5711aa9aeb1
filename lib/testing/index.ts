/**
 * `saga-choreography/testing`: test your own saga on the embedded local cloud — no AWS, no Docker.
 *
 * - {@link startTestCloud}: your app module on a local cloud; start sagas, run until quiet, read
 *   saga records, timelines and business items, check the generic and your own invariants, and act
 *   as an operator (inspect, DLQ list, redrive, retry, compensate, resolve);
 * - {@link simulate}: many sagas under injected faults, then every invariant (what `saga simulate
 *   --app` runs);
 * - {@link defineApp} and the app-module types ({@link SagaApp}), shared with `saga run|simulate --app`.
 *
 * See docs/testing.md.
 *
 * @example
 * ```ts
 * import { startTestCloud, simulate, NO_FAULTS } from 'saga-choreography/testing';
 * import app from '../src/app.js';
 *
 * const t = await startTestCloud(app);
 * const { sagaId } = await t.startScenario(0);
 * await t.runUntilQuiet();
 * console.log((await t.saga(sagaId))?.status, (await t.checkInvariants()).ok);
 * await t.stop();
 *
 * const report = await simulate(app, { sagas: 100, seed: 7, faults: { ...NO_FAULTS, duplicate: 0.1 } });
 * console.log(report.violations);
 * ```
 * @module
 */
export { startTestCloud, TestCloudError, type InvariantCheck, type TestCloud, type TestCloudOptions, type TestOperator } from './test-cloud.js';
export {
  /**
   * Runs a saga app under injected faults — a storm of `sagas` scenarios, a heal (faults stop, DLQs
   * redriven, deadlines pass), a settle — then checks the generic invariants and the app's own on
   * the stored data. Deterministic for a seed. The same run as `saga simulate --app <module>`.
   *
   * @example
   * ```ts
   * import { simulate, NO_FAULTS } from 'saga-choreography/testing';
   * const report = await simulate(app, { sagas: 200, seed: 7, faults: { ...NO_FAULTS, duplicate: 0.1, crashAfterCommit: 0.05 } });
   * expect(report.violations).toEqual([]);
   * expect(report.summary.open).toBe(0);
   * ```
   */
  runAppSimulation as simulate,
  type AppSimulationOptions as SimulateOptions,
  type SimulationReport,
} from '../local/simulation/run.js';
export {
  appFromModule,
  defineApp,
  seedDataFor,
  storedView,
  type AppInvariant,
  type SagaApp,
  type SeedData,
  type SeedRun,
  type StartedSaga,
  type StoredView,
} from '../local/app.js';
export { FAULT_KINDS, NO_FAULTS, type FaultKind, type FaultPlan } from '../local/faults.js';
export { GENERIC_INVARIANTS, type Violation } from '../local/simulation/invariants.js';
export type { StoredSaga, StoredStep } from '../local/simulation/stored-data.js';
export { LocalCloud } from '../local/cloud.js';
export { OperatorActionError, type DeadLetterView, type Inspection, type RetryResult } from '../runtime/operator/index.js';
export type { SagaRecord, SagaStatus, TimelineEntry } from '../runtime/shared/index.js';
