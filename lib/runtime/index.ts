// saga-choreography/runtime: what runs inside Lambda, one folder per seam (docs/architecture.md).
// Each folder's index.ts names its public exports; this file only gathers them.
export * from './shared/index.js';
export * from './participant/index.js';
export * from './initiator/index.js';
export * from './relay/index.js';
export * from './tracker/index.js';
export * from './notifier/index.js';
export * from './outcome-api/index.js';
export * from './operator/index.js';
export { definitionFromModule, notifierHandlerFor, outcomeApiHandlerFor, reconcilerHandlerFor, relayHandlerFor, trackerHandlerFor } from './entries.js';
// The reconciler's public names (its index also serves the operator actions' repair primitives).
export {
  createReconciler,
  createReconcilerHandler,
  DEFAULT_RECONCILER_OPTIONS,
  emptyStats,
  explainSaga,
  loadStepRecords,
  reconcilerDepsFromEnv,
  timeoutRow,
  type CheckContext,
  type CheckResult,
  type Discrepancy,
  type Reconciler,
  type ReconcileRunResult,
  type ReconcileStats,
  type ReconcilerDeps,
  type ReconcilerOptions,
  type ReconciliationCheck,
  type RecoveryFields,
  type ResolvedReconcilerOptions,
  type SagaExplanation,
  type SagaFailure,
  type StepView,
  type StuckStep,
  type TrackedSaga,
} from './reconciler/index.js';
