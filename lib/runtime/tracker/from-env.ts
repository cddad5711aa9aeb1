import type { AnySagaDefinition } from '../../core/definition.js';
import { checkDefinitionName, commonDepsFromEnv } from '../shared/from-env.js';
import type { TrackerDeps } from './tracker.js';

/**
 * Tracker dependencies from the environment the `Choreography` construct writes.
 *
 * @example
 * ```ts
 * export const handler = createTrackerHandler(orderSaga, trackerDepsFromEnv(orderSaga));
 * ```
 */
export function trackerDepsFromEnv(def: AnySagaDefinition): TrackerDeps {
  checkDefinitionName(def);
  return commonDepsFromEnv(def, 'tracker');
}
