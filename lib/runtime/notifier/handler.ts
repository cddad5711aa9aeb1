import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { AnySagaDefinition } from '../../core/definition.js';
import { ENV, readEnv, readIntEnv, readOptionalEnv } from '../../core/env.js';
import { createDocumentClient } from '../shared/aws-clients.js';
import { checkDefinitionName } from '../shared/from-env.js';
import { type LogLevel } from '../shared/ports.js';
import { jsonLogger } from '../shared/logging.js';
import { emfMetrics } from '../shared/emf-metrics.js';
import { DEFAULT_SECRET_MAX_AGE_SECONDS, secretsManagerReader } from '../shared/secrets.js';
import { Notifier } from './notifier.js';
import type { NotifierDeps, NotifierOptions } from './types.js';

const isSqsEvent = (event: unknown): event is SQSEvent => typeof event === 'object' && event !== null && Array.isArray((event as { Records?: unknown }).Records);

/**
 * The notifier Lambda: SQS batches of terminal events open notifications; scheduled invocations
 * sweep the due retries.
 *
 * @example
 * ```ts
 * // functions/notifier.ts
 * export const handler = lazyHandler(() => createNotifierHandler(orderSaga, notifierOptionsFromEnv(), notifierDepsFromEnv(orderSaga)));
 * ```
 */
export function createNotifierHandler(def: AnySagaDefinition, options: NotifierOptions, deps: NotifierDeps): (event: SQSEvent | Record<string, unknown>) => Promise<SQSBatchResponse | { attempted: number; delivered: number; gaveUp: number }> {
  const notifier = new Notifier(def, options, deps);
  return async (event) => (isSqsEvent(event) ? notifier.handleEvents(event) : notifier.sweep());
}

/** Notifier dependencies from the environment. */
export function notifierDepsFromEnv(def: AnySagaDefinition): NotifierDeps {
  checkDefinitionName(def);
  return {
    client: createDocumentClient(),
    tableName: readEnv(ENV.TABLE_NAME),
    logger: jsonLogger(readOptionalEnv(ENV.LOG_LEVEL, 'info') as LogLevel),
    metrics: emfMetrics('SagaChoreography', { Saga: def.name }),
    secrets: secretsManagerReader({ maxAgeSeconds: readIntEnv(ENV.SECRETS_MAX_AGE_SECONDS, DEFAULT_SECRET_MAX_AGE_SECONDS) }),
  };
}
