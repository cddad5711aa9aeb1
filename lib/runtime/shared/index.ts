// The pieces every Lambda seam shares: AWS clients, ports (clock, ids, logger, metrics), the JSON
// logger and its log context, EMF metrics, outbox rows, saga records, rejections, receivers,
// secrets, queue administration and the staged step database. Public names only.
export { clientConfig, createDocumentClient, createSqsClient } from './aws-clients.js';
export { createEventBridgeClient } from './eventbridge-client.js';
export { emfMetrics } from './emf-metrics.js';
export { SagaRuntimeError, StepContractError } from './errors.js';
export { checkDefinitionName, lazyHandler } from './from-env.js';
export { contextual, currentLogFields, jsonLogger, levelMethodsLogger, withLogFields, type InvocationContext, type JsonLoggerOptions, type LevelMethodsLogger, type LogFields } from './logging.js';
export { buildOutboxRow, OUTBOX_TTL_DAYS, type OutboxRow, type OutboxRowInput } from './outbox.js';
export {
  InMemoryMetrics,
  METRIC,
  METRICS_NAMESPACE,
  randomIds,
  realSleep,
  requestToken,
  silentLogger,
  systemClock,
  type Clock,
  type IdSource,
  type Logger,
  type LogLevel,
  type MetricName,
  type Metrics,
  type Sleep,
} from './ports.js';
export { parseUrlMap, QueueNotConfiguredError, sqsQueueAdmin, type DeadLetter, type QueueAdmin, type RedriveOptions, type RedriveResult, type SqsQueueUrls } from './queue-admin.js';
export { MAX_RECEIVERS, readSagaReceivers, RECEIVER_ID_PATTERN } from './receivers.js';
export { MAX_KEPT_BODY_CHARS, recordRejection, REJECTION_TTL_DAYS, type Rejection } from './rejections.js';
export { isTerminalStatus, readSagaRecord, SAGA_STATUSES, TERMINAL_STATUSES, type OperatorNote, type SagaRecord, type SagaStatus, type TimelineEntry } from './saga-record.js';
export { DEFAULT_SECRET_MAX_AGE_SECONDS, MIN_SECRET_LENGTH, SecretUnavailableError, secretsManagerReader, type SecretReader, type SecretsManagerReaderOptions } from './secrets.js';
export { StagingStepDb, type ConditionCheckParams, type DeleteParams, type PutParams, type StagedWrite, type StepDb, type UpdateParams } from './step-db.js';
