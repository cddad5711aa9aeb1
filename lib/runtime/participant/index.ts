// The participant seam: the handler of a participant's queue, its step contract (what a user's step
// implementations are written against), TCC phases, forward recovery and business-write isolation.
// Internal mechanics (barrier writes, the step runner, the end marker) stay behind this file.
export { createParticipantHandler, participantDepsFromEnv, type ParticipantDeps, type ParticipantHandler, type RecordOutcome } from './handler.js';
// Its own module: only the entries of participants with TCC steps bundle the confirm/cancel phases.
export { createTccParticipantHandler } from './tcc-handler.js';
export type {
  CompensateContext,
  CompensationEmitsOf,
  CompensationTriggersOf,
  ConfirmationEmitsOf,
  ConfirmationTriggersOf,
  ConfirmContext,
  Emission,
  EmitsOf,
  FailsOf,
  ForwardContext,
  ForwardState,
  IncomingEventInfo,
  StepData,
  StepImplementation,
  StepImplementations,
  StepResult,
} from './step-types.js';
export type { CommitFaults, StepRunOutcome } from './runner-types.js';
export { MAX_TRANSACTION_ITEMS } from './step-runner.js';
export { BARRIER_TTL_DAYS, type BarrierRecord, type BarrierState } from './barrier.js';
export { DEFAULT_BACKOFF, MAX_VISIBILITY_SECONDS, type BackoffPolicy, type FailureRecord, type VisibilityPort } from './forward-recovery.js';
export { commutativeAdd, lockedByOther, lockHolder, releasingSemanticLock, SEMANTIC_LOCK, withSemanticLock, type LockConflictPolicy } from './isolation.js';
export { defaultReconciliationChecks, requestExpiredReservations, reservationExpiryCheck, type ExpiredReservation, type ExpiryDiscrepancy, type ReservationExpiryDeps, type ReservationExpiryReport } from './tcc.js';
