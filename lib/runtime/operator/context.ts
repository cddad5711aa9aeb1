import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AnySagaDefinition } from '../../core/definition.js';
import type { Clock, IdSource } from '../shared/ports.js';
import type { QueueAdmin } from '../shared/queue-admin.js';

/**
 * The ports every operator action runs on: the definition, the table, the queues, a clock and an
 * id source. The CLI builds them for AWS (or any `AWS_ENDPOINT_URL`); `localOperatorContext`
 * (`saga-choreography/local`) builds them over a `LocalCloud`, so the same actions run end to end
 * on the local cloud.
 *
 * @example
 * ```ts
 * import { inspectSaga, type OperatorContext } from 'saga-choreography/runtime';
 * const ctx: OperatorContext = { def, client, tableName, queues, clock: systemClock, ids: randomIds };
 * const { explanation } = await inspectSaga(ctx, sagaId);
 * ```
 */
export interface OperatorContext {
  readonly def: AnySagaDefinition;
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly queues: QueueAdmin;
  readonly clock: Clock;
  readonly ids: IdSource;
}
