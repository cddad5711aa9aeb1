import type { AnySagaDefinition } from '../../core/definition.js';
import { ENV, readEnv, readOptionalEnv } from '../../core/env.js';
import { ConfigError } from '../../core/errors.js';
import { createDocumentClient } from './aws-clients.js';
import type { LogLevel } from './ports.js';
import { jsonLogger } from './logging.js';
import { emfMetrics } from './emf-metrics.js';

/** Fails at cold start when a function was deployed with another definition than it bundles. */
export function checkDefinitionName(def: AnySagaDefinition): void {
  const configured = readEnv(ENV.DEFINITION_NAME);
  if (configured !== def.name) {
    throw new ConfigError(`${ENV.DEFINITION_NAME}=${JSON.stringify(configured)} but this function bundles saga "${def.name}". Point the construct at the entry file of "${configured}".`, {
      variable: ENV.DEFINITION_NAME,
    });
  }
}

/** What every framework function reads from the environment: the table, a JSON logger, EMF metrics. */
export const commonDepsFromEnv = (def: AnySagaDefinition, service: string) => ({
  client: createDocumentClient(),
  tableName: readEnv(ENV.TABLE_NAME),
  logger: jsonLogger(readOptionalEnv(ENV.LOG_LEVEL, 'info') as LogLevel, { service }),
  metrics: emfMetrics('SagaChoreography', { Saga: def.name }),
});

/**
 * Defers building a handler until its first invocation, so importing an entry module never reads
 * the environment (tests and the local cloud import the same modules) and a configuration error
 * surfaces as a clear invocation error naming the variable.
 */
export function lazyHandler<E, R, C = unknown>(build: () => (event: E, context?: C) => Promise<R>): (event: E, context?: C) => Promise<R> {
  let built: ((event: E, context?: C) => Promise<R>) | undefined;
  return (event, context) => {
    built ??= build();
    // The Lambda context goes along: its request id is on every log line.
    return built(event, context);
  };
}
