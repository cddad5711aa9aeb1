import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { AnySagaDefinition } from '../core/definition.js';
import type { ConsumerWiring, LocalCloud } from './cloud.js';
import { LocalQueue } from './queue.js';

/**
 * Adds one more consumer to a local cloud — a queue with its DLQ, fed by a bus rule — as a
 * construct adds a rule → SQS → Lambda for a framework consumer (the notifier, for instance).
 * `step()` then delivers to it like to any participant.
 *
 * @example
 * ```ts
 * attachConsumer(cloud, 'notifier', terminalEventsPattern(orderSaga), (event) => notifier.handleEvents(event));
 * ```
 */
export function attachConsumer<D extends AnySagaDefinition>(
  cloud: LocalCloud<D>,
  name: string,
  pattern: unknown,
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>,
  options: { readonly visibilityTimeoutSeconds?: number; readonly maxReceiveCount?: number } = {},
): ConsumerWiring {
  if (cloud.consumers.has(name)) throw new Error(`The local cloud already has a consumer named ${JSON.stringify(name)}.`);
  const ids = () => cloud.random.uuid();
  const dlq = new LocalQueue(`${name}-dlq`, cloud.clock, ids, { maxReceiveCount: 1_000_000 });
  const queue = new LocalQueue(`${name}-queue`, cloud.clock, ids, { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 180, maxReceiveCount: options.maxReceiveCount ?? 5, deadLetterQueue: dlq });
  const wiring: ConsumerWiring = { name, queue, dlq, handler };
  cloud.consumers.set(name, wiring);
  cloud.bus.addRule(`${name}-rule`, pattern, queue);
  return wiring;
}
