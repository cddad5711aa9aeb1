// The reconciler seam: the scheduled pass that repairs what got stuck (lost starts, overdue sagas,
// unpublished rows, ended sagas' outboxes, failures) and runs the reconciliation checks.
export { createReconciler, createReconcilerHandler, reconcilerDepsFromEnv, type Reconciler } from './reconciler.js';
export {
  DEFAULT_RECONCILER_OPTIONS,
  emptyStats,
  type CheckContext,
  type CheckResult,
  type Discrepancy,
  type ReconcileRunResult,
  type ReconcileStats,
  type ReconcilerDeps,
  type ReconcilerOptions,
  type ReconciliationCheck,
  type RecoveryFields,
  type ResolvedReconcilerOptions,
  type SagaFailure,
  type TrackedSaga,
} from './types.js';
export { explainSaga, loadStepRecords, type SagaExplanation, type StepView, type StuckStep } from './explain.js';
// What the operator actions (force compensation, resolve) share with the reconciler's own repairs:
// the timeout event row and the store of saga records and their open-sagas index entries.
export { timeoutRow } from './outbox.js';
export { isConditionFailure, ReconcilerStore, withoutIndex } from './store.js';
