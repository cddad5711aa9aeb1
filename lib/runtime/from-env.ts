import type { AnySagaDefinition } from '../core/definition.js';
import { ENV, readEnv, readOptionalEnv } from '../core/env.js';
import { ConfigError } from '../core/errors.js';
import { createDocumentClient } from './aws-clients.js';
import { createEventBridgeClient } from './eventbridge-client.js';
import { emfMetrics, jsonLogger, type LogLevel } from './ports.js';
import type { RelayDeps } from './relay.js';
import type { TrackerDeps } from './tracker.js';

/** Fails at cold start when a function was deployed with another definition than it bundles. */
export function checkDefinitionName(def: AnySagaDefinition): void {
  const configured = readEnv(ENV.DEFINITION_NAME);
  if (configured !== def.name) {
    throw new ConfigError(`${ENV.DEFINITION_NAME}=${JSON.stringify(configured)} but this function bundles saga "${def.name}". Point the construct at the entry file of "${configured}".`, {
      variable: ENV.DEFINITION_NAME,
    });
  }
}

const common = (def: AnySagaDefinition, service: string) => ({
  client: createDocumentClient(),
  tableName: readEnv(ENV.TABLE_NAME),
  logger: jsonLogger(readOptionalEnv(ENV.LOG_LEVEL, 'info') as LogLevel, { service }),
  metrics: emfMetrics('SagaChoreography', { Saga: def.name }),
});

/** Relay dependencies from the environment the `Choreography` construct writes. */
export function relayDepsFromEnv(def: AnySagaDefinition): RelayDeps {
  checkDefinitionName(def);
  return { ...common(def, 'relay'), eventBridge: createEventBridgeClient(), eventBusName: readEnv(ENV.EVENT_BUS_NAME) };
}

/** Tracker dependencies from the environment the `Choreography` construct writes. */
export function trackerDepsFromEnv(def: AnySagaDefinition): TrackerDeps {
  checkDefinitionName(def);
  return common(def, 'tracker');
}

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
