import type { AnySagaDefinition } from '../core/definition.js';
import type { OperatorContext } from '../runtime/operator/index.js';
import type { LocalCloud } from './cloud.js';
import { localQueueAdmin } from './queue-admin.js';

/**
 * Operator ports over an in-process local cloud: its table, queues, virtual clock and seeded ids.
 * The operator actions of `saga-choreography/runtime` (`inspectSaga`, `listDeadLetters`,
 * `redrive`, `retryStep`, `forceCompensation`, `resolveSaga`) run on it as they do on AWS; the CLI's
 * `createOperatorCommands(async () => localOperatorContext(cloud))` gives the `saga` operator
 * commands working on that cloud.
 *
 * @example
 * ```ts
 * import { listDeadLetters, redrive } from 'saga-choreography/runtime';
 * import { localOperatorContext } from 'saga-choreography/local';
 * const ctx = localOperatorContext(cloud);
 * for (const letter of await listDeadLetters(ctx)) console.log(letter.participant, letter.reason);
 * await redrive(ctx, 'inventory');
 * ```
 */
export function localOperatorContext<D extends AnySagaDefinition>(cloud: LocalCloud<D>): OperatorContext {
  return {
    def: cloud.definition,
    client: cloud.client,
    tableName: cloud.tableName,
    queues: localQueueAdmin(cloud.consumers),
    clock: cloud.clock,
    ids: () => cloud.random.uuid(),
  };
}
