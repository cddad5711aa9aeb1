import type { AnySagaDefinition } from '../../core/definition.js';
import type { LocalCloud } from '../../local/cloud.js';
import { localQueueAdmin } from '../../local/queue-admin.js';
import type { OperatorContext } from './context.js';

/**
 * Operator ports over an in-process local cloud: its table, queues, virtual clock and seeded ids.
 * `createOperatorCommands(async () => localOperatorContext(cloud))` gives the `saga` operator
 * commands working on that cloud.
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
