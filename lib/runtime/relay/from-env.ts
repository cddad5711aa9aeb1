import type { AnySagaDefinition } from '../../core/definition.js';
import { ENV, readEnv } from '../../core/env.js';
import { createEventBridgeClient } from '../shared/eventbridge-client.js';
import { checkDefinitionName, commonDepsFromEnv } from '../shared/from-env.js';
import type { RelayDeps } from './relay.js';

/**
 * Relay dependencies from the environment the `Choreography` construct writes.
 *
 * @example
 * ```ts
 * export const handler = createRelayHandler(orderSaga, relayDepsFromEnv(orderSaga));
 * ```
 */
export function relayDepsFromEnv(def: AnySagaDefinition): RelayDeps {
  checkDefinitionName(def);
  return { ...commonDepsFromEnv(def, 'relay'), eventBridge: createEventBridgeClient(), eventBusName: readEnv(ENV.EVENT_BUS_NAME) };
}
