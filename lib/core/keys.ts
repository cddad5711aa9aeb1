/**
 * Table layout. One table; every item a participant writes starts with `<participant>#`, so IAM
 * `dynamodb:LeadingKeys` can fence each participant to its own items. The saga record belongs to
 * the tracker (`saga#`). See docs/architecture.md "Table layout".
 */
export const KEY = {
  partition: 'pk',
  sort: 'sk',
  /** Sparse GSI over open sagas: present only while a saga is not terminal. */
  openIndex: 'open-sagas',
  openPartition: 'openShard',
  openSort: 'nextCheckAt',
  /** TTL attribute (epoch seconds). */
  ttl: 'expiresAt',
  /** Marks outbox rows; the relay's stream filter selects INSERTs with kind = outbox. */
  kind: 'kind',
} as const;

export const ITEM_KIND = { outbox: 'outbox', step: 'step', saga: 'saga', rejection: 'rejection', report: 'report', failure: 'failure' } as const;

/** Number of GSI partitions for open sagas; spreads reconciler reads, bounded so a pass stays cheap. */
export const OPEN_SHARDS = 4;

export const ownPrefix = (participant: string): string => `${participant}#`;
export const stepKey = (participant: string, sagaId: string, step: string) => ({ pk: `${participant}#saga#${sagaId}`, sk: `step#${step}` });
export const outboxPartition = (producer: string, sagaId: string): string => `${producer}#outbox#${sagaId}`;
export const outboxKey = (producer: string, sagaId: string, eventId: string) => ({ pk: outboxPartition(producer, sagaId), sk: `event#${eventId}` });
export const sagaKey = (sagaId: string) => ({ pk: `saga#${sagaId}`, sk: 'saga' });
/**
 * The receivers a saga's outcome belongs to (named at start, `startSaga(…, { receivers })`): one item
 * in the start barrier's partition, written in the start transaction. The notifier notifies only
 * these receivers and the outcome API answers only their keys.
 */
export const receiversKey = (sagaId: string) => ({ pk: `initiator#saga#${sagaId}`, sk: 'receivers' });
/**
 * A nonce the outcome query API has accepted (replay protection), under the notifier's prefix: the
 * query API is the pull half of the notifier's best-effort notification. Kept until its request's
 * timestamp leaves the accepted window (TTL).
 */
export const outcomeNoncePrefix = 'notifier#nonce#';
export const outcomeNonceKey = (keyId: string, nonce: string) => ({ pk: `${outcomeNoncePrefix}${keyId}#${nonce}`, sk: 'nonce' });
export const rejectionKey = (consumer: string, messageId: string) => ({ pk: `${consumer}#rejected`, sk: messageId });

/** Prefixes inside a participant's space that only the framework writes. */
export const reservedInfixes = (participant: string): string[] => [`${participant}#saga#`, `${participant}#outbox#`, `${participant}#rejected`, `${participant}#failed`, `${participant}#pending#`];

/** The producer that owns an outbox row, read from its key — never from the row's content. */
export function producerOfOutboxKey(pk: string): string | undefined {
  const match = /^([a-z][a-z0-9-]*)#outbox#/.exec(pk);
  return match?.[1];
}

/**
 * A message that failed its last allowed receive (it is on its way to the DLQ), with the error.
 * Written by the participant runtime in its own key space; `saga dlq list` shows it next to the
 * DLQ message, and the reconciler reads it through the open-sagas index (see {@link FAILURES_SHARD}).
 */
export const failureKey = (participant: string, messageId: string) => ({ pk: `${participant}#failed`, sk: messageId });

/**
 * Extra partitions of the sparse `open-sagas` index, next to `open#0..OPEN_SHARDS-1`:
 * - `open#failures`: failure records not yet looked at by the reconciler (it removes them once handled);
 * - `open#attention`: sagas flagged `failed-needs-attention`, waiting for a person (not re-checked
 *   every pass, so a flagged saga costs nothing until something happens to it).
 * Both match the `open#*` LeadingKeys condition the reconciler's index permission uses.
 */
export const FAILURES_SHARD = 'open#failures';
export const ATTENTION_SHARD = 'open#attention';
/**
 * `open#starts`: start barriers (`initiator#saga#<id>` / `step#start`) by start time. Until the
 * tracker has seen one of its events a saga has no saga record, so a start event that was committed
 * but never published would be invisible to the reconciler; it reads this partition with a cursor
 * (see lib/runtime/reconciler/starts.ts). Entries leave with the barrier's TTL.
 */
export const STARTS_SHARD = 'open#starts';
/**
 * `open#unpublished`: outbox rows the relay failed to publish (`relay#unpublished` notes) by when
 * to look at them next; a note leaves once the reconciler has settled it
 * (lib/runtime/reconciler/unpublished.ts).
 */
export const UNPUBLISHED_SHARD = 'open#unpublished';
/**
 * `open#ended`: sagas that ended (completed or compensated) and whose outboxes the reconciler has
 * not audited yet. A quiet period after the end it checks each once for rows whose events never
 * reached the timeline — a stream record that aged out or was dropped, a relay that timed out
 * mid-batch, a disabled event source leave no note of their own — republishes them, then takes
 * the saga out of the index (lib/runtime/reconciler/ended.ts).
 */
export const ENDED_SHARD = 'open#ended';
/** Partition of the relay's notes (one item per row it could not publish); the reconciler settles them. */
export const UNPUBLISHED_PARTITION = 'relay#unpublished';
/** The regular shards of open sagas, in the order the reconciler reads them. */
export const openShards = (): string[] => Array.from({ length: OPEN_SHARDS }, (_, i) => `open#${i}`);

/** Items of the reconciler itself: one report per run, one claim per reconciliation check. */
export const reconcilerReportKey = (runId: string) => ({ pk: 'reconciler#report', sk: runId });
export const reconcilerCheckKey = (check: string) => ({ pk: 'reconciler#check', sk: check });

/** Deterministic open-index shard of a saga id, so writers and the reconciler agree. */
export function openShardOf(sagaId: string): string {
  let h = 0;
  for (let i = 0; i < sagaId.length; i++) h = (h * 31 + sagaId.charCodeAt(i)) >>> 0;
  return `open#${h % OPEN_SHARDS}`;
}

/**
 * Lambda event filter for the relay's stream source: only outbox INSERTs (never TTL deletes or the
 * MODIFYs of other items). The constructs and the local stream poller use this same pattern.
 */
export const OUTBOX_STREAM_FILTER = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { [KEY.kind]: { S: [ITEM_KIND.outbox] } } },
} as const;

/** Hash of a string onto `n` buckets; the same function as {@link openShardOf}. */
function bucketOf(value: string, n: number): number {
  let h = 0;
  for (let i = 0; i < value.length; i++) h = (h * 31 + value.charCodeAt(i)) >>> 0;
  return h % n;
}

/**
 * More partitions of the sparse `open-sagas` index (all under `open#`, so the reconciler's
 * `open#*` LeadingKeys permission covers them), each sharded like the open sagas:
 * - `open#reservations#<k>`: TCC tries whose reservation is neither confirmed nor cancelled, sorted
 *   by expiry (the try's barrier record carries the index attributes; confirm/cancel remove them);
 * - `open#pending#<k>`: two-phase messages prepared but neither committed nor discarded;
 * - `open#notify#<k>`: outcome notifications still to be (re)delivered, sorted by next attempt;
 * - `open#notify-flagged`: notifications given up after their maximum attempts, for an operator.
 */
export const reservationShardOf = (sagaId: string): string => `open#reservations#${bucketOf(sagaId, OPEN_SHARDS)}`;
export const pendingShardOf = (txId: string): string => `open#pending#${bucketOf(txId, OPEN_SHARDS)}`;
export const notifyShardOf = (sagaId: string): string => `open#notify#${bucketOf(sagaId, OPEN_SHARDS)}`;
export const NOTIFY_FLAGGED_SHARD = 'open#notify-flagged';
export const reservationShards = (): string[] => Array.from({ length: OPEN_SHARDS }, (_, i) => `open#reservations#${i}`);
export const pendingShards = (): string[] => Array.from({ length: OPEN_SHARDS }, (_, i) => `open#pending#${i}`);
export const notifyShards = (): string[] => Array.from({ length: OPEN_SHARDS }, (_, i) => `open#notify#${i}`);

/** A two-phase message prepared by `producer` (usually the initiator), keyed by its transaction id. */
export const pendingMessageKey = (producer: string, txId: string) => ({ pk: `${producer}#pending#${txId}`, sk: 'message' });

/** Outcome notifications of one saga (one item per endpoint, one per attempt), kept by the notifier. */
export const notificationPartition = (sagaId: string): string => `notifier#notification#${sagaId}`;
export const notificationKey = (sagaId: string, endpointId: string) => ({ pk: notificationPartition(sagaId), sk: `endpoint#${endpointId}` });
export const notificationAttemptKey = (sagaId: string, endpointId: string, attempt: number) => ({
  pk: notificationPartition(sagaId),
  sk: `attempt#${endpointId}#${String(attempt).padStart(3, '0')}`,
});
