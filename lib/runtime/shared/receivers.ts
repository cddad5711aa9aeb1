import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KEY, receiversKey } from '../../core/keys.js';
import { SagaRuntimeError } from './errors.js';
import { DAY_SECONDS } from './outbox.js';

/**
 * Per-receiver scope of best-effort notification. A saga names the receivers its outcome belongs
 * to when it starts (`startSaga(def, payload, deps, { receivers: ['merchant-42'] })`); the notifier
 * notifies only them and the outcome API answers only their keys, so one merchant never learns
 * another's outcomes. A receiver id is a notifier endpoint id and an outcome-API key id.
 */

/** Receiver ids: the notifier's endpoint id shape. */
export const RECEIVER_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** At most this many receivers per saga (the item stays small and the notifier's fan-out bounded). */
export const MAX_RECEIVERS = 10;

/** How long a saga's receivers are kept: the outcome API answers for this long after the start. */
export const RECEIVERS_TTL_DAYS = 90;

/** Throws a {@link SagaRuntimeError} unless `receivers` is a valid list (1–10 unique ids). */
export function checkReceivers(receivers: readonly string[]): void {
  const bad = receivers.filter((r) => !RECEIVER_ID_PATTERN.test(r));
  if (bad.length > 0) throw new SagaRuntimeError(`Receiver id ${JSON.stringify(bad[0])} is invalid; use the endpoint id shape ${RECEIVER_ID_PATTERN} (e.g. "merchant-42").`, { receivers });
  if (receivers.length === 0 || receivers.length > MAX_RECEIVERS) throw new SagaRuntimeError(`A saga names 1 to ${MAX_RECEIVERS} receivers, got ${receivers.length}; leave "receivers" out when the outcome goes to nobody.`, { receivers });
  if (new Set(receivers).size !== receivers.length) throw new SagaRuntimeError(`Receivers ${JSON.stringify(receivers)} name one id twice.`, { receivers });
}

/** The Put of a saga's receivers item, for the start transaction. */
export function receiversPut(tableName: string, sagaId: string, receivers: readonly string[], now: number) {
  checkReceivers(receivers);
  return {
    Put: {
      TableName: tableName,
      // No condition of its own: the start barrier in the same transaction already refuses a second start.
      Item: { ...receiversKey(sagaId), kind: 'receivers', sagaId, receivers: [...receivers], [KEY.ttl]: Math.floor(now / 1000) + RECEIVERS_TTL_DAYS * DAY_SECONDS },
    },
  };
}

/** The receivers a saga named at start; empty when it named none (or the item expired). */
export async function readSagaReceivers(client: DynamoDBDocumentClient, tableName: string, sagaId: string): Promise<string[]> {
  const out = await client.send(new GetCommand({ TableName: tableName, Key: receiversKey(sagaId), ConsistentRead: true }));
  const receivers = out.Item?.receivers;
  return Array.isArray(receivers) ? receivers.filter((r): r is string => typeof r === 'string') : [];
}
