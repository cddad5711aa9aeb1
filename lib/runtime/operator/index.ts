// Operator actions over an `OperatorContext` (what `saga inspect`, `dlq`, `redrive`, `retry`,
// `compensate`, `resolve` and `versions` run): public names only.
export { forceCompensation, inspectSaga, listDeadLetters, OperatorActionError, redrive, resolveSaga, retryStep, type DeadLetterView, type Inspection, type RetryResult } from './actions.js';
export type { OperatorContext } from './context.js';
export { OPEN_SHARD_NAMES, openIndexPages, sagasByVersion, versionStatus, type VersionStatus } from './versions.js';
