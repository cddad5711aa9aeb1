// The initiator seam: what starts a saga from outside a participant's step — `startSaga` (start
// barrier + outbox row in one transaction) and two-phase messages for a local transaction that
// does not run on DynamoDB.
export { SagaAlreadyStartedError, startSaga, type StartSagaDeps, type StartSagaOptions } from './start.js';
export {
  commitMessage,
  discardMessage,
  pendingMessagesCheck,
  prepareMessage,
  readPendingMessage,
  resolvePendingMessages,
  TwoPhaseMessageError,
  uniqueInsertCheckBack,
  type BarrierInsertResult,
  type CheckBack,
  type LocalTransactionState,
  type PendingMessageRecord,
  type PendingMessageState,
  type PreparedMessage,
  type ResolveReport,
  type TwoPhaseMessageDeps,
} from './two-phase-message.js';
