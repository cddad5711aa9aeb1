import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { clientConfig } from './aws-clients.js';

/**
 * The relay's EventBridge client (kept apart from aws-clients.ts so participant bundles, which
 * never publish, do not load `@aws-sdk/client-eventbridge` at cold start).
 *
 * @example
 * ```ts
 * const events = createEventBridgeClient(); // honours AWS_ENDPOINT_URL (LocalStack)
 * const onLocalStack = createEventBridgeClient({ endpoint: 'http://localhost:4566' });
 * ```
 */
export function createEventBridgeClient(config = clientConfig()): EventBridgeClient {
  return new EventBridgeClient(config);
}
