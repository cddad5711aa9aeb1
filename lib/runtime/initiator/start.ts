import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AnySagaDefinition, PayloadOf } from '../../core/definition.js';
import { SAGA_ID_PATTERN } from '../../core/envelope.js';
import { INITIATOR } from '../../core/definition.js';
import { KEY, STARTS_SHARD, stepKey } from '../../core/keys.js';
import { SagaRuntimeError } from '../shared/errors.js';
import { buildOutboxRow, outboxPut } from '../shared/outbox.js';
import { checkReceivers, receiversPut } from '../shared/receivers.js';
import { randomIds, systemClock, type Clock, type IdSource } from '../shared/ports.js';
import type { StagedWrite } from '../shared/step-db.js';

export interface StartSagaDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock?: Clock;
  readonly ids?: IdSource;
}

export interface StartSagaOptions {
  /** Your own id (idempotent: starting the same id twice starts it once). @default a new id */
  readonly sagaId?: string;
  /** Writes to commit in the same transaction as the start event (e.g. your own order row in another table). @default none */
  readonly writes?: readonly StagedWrite[];
  /**
   * Who the saga's outcome belongs to: notifier endpoint ids / outcome-API key ids (1–10). Only
   * these receivers are notified and may query the outcome (lib/runtime/shared/receivers.ts).
   * @default none: the outcome is notified to nobody and no key may query it
   */
  readonly receivers?: readonly string[];
}

/**
 * Attributes that list a start barrier in the `open#starts` partition of the open-sagas index, so
 * the reconciler can find a saga whose start event was never published (it has no saga record).
 */
export function startIndexEntry(now: number): Record<string, string> {
  const at = new Date(now).toISOString();
  return { forwardAt: at, [KEY.openPartition]: STARTS_SHARD, [KEY.openSort]: at };
}

/** Thrown by {@link startSaga} when the saga id was already started. */
export class SagaAlreadyStartedError extends SagaRuntimeError {
  constructor(sagaId: string) {
    super(`Saga ${sagaId} was already started; nothing was written. Use a new id to start another saga.`, { sagaId });
    this.name = 'SagaAlreadyStartedError';
  }
}

/**
 * Starts a saga: writes its start event to the outbox (and your own writes, if any) in one
 * transaction, guarded by a start barrier so a retried start never starts the saga twice.
 *
 * @example
 * ```ts
 * const { sagaId } = await startSaga(orderSaga, { orderId: 'o-1', customerId: 'c-1', sku: 'sku-1', quantity: 1, amountCents: 500 },
 *   { client: createDocumentClient(), tableName: process.env.SAGA_TABLE_NAME! });
 * ```
 */
export async function startSaga<D extends AnySagaDefinition>(
  def: D,
  payload: PayloadOf<D, D['start']>,
  deps: StartSagaDeps,
  options: StartSagaOptions = {},
): Promise<{ sagaId: string; eventId: string }> {
  const ids = deps.ids ?? randomIds;
  const now = (deps.clock ?? systemClock).now();
  const sagaId = options.sagaId ?? `s-${ids().replace(/[^A-Za-z0-9]/g, '').slice(0, 24)}`;
  if (!SAGA_ID_PATTERN.test(sagaId)) {
    throw new SagaRuntimeError(`Saga id ${JSON.stringify(sagaId)} has the wrong shape; expected ${SAGA_ID_PATTERN} (8–64 letters, digits, '_' or '-').`, { sagaId });
  }
  if (options.receivers) checkReceivers(options.receivers);
  const eventId = ids();
  const row = await buildOutboxRow({ def, producer: INITIATOR, sagaId, emission: { type: def.start, payload }, eventId, now });
  const startBarrier = {
    Put: {
      TableName: deps.tableName,
      Item: { ...stepKey(INITIATOR, sagaId, 'start'), kind: 'step', state: 'done', sagaId, forwardEventId: eventId, definitionVersion: def.version, ...startIndexEntry(now), [KEY.ttl]: row.expiresAt },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
  try {
    await deps.client.send(new TransactWriteCommand({ TransactItems: [startBarrier, ...(options.writes ?? []), outboxPut(deps.tableName, row), ...(options.receivers ? [receiversPut(deps.tableName, sagaId, options.receivers, now)] : [])] as never }));
  } catch (error) {
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
    if (reasons?.[0]?.Code === 'ConditionalCheckFailed') throw new SagaAlreadyStartedError(sagaId);
    throw error;
  }
  return { sagaId, eventId };
}
