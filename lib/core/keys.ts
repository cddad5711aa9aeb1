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

export const ITEM_KIND = { outbox: 'outbox', step: 'step', saga: 'saga', rejection: 'rejection', report: 'report' } as const;

/** Number of GSI partitions for open sagas; spreads reconciler reads, bounded so a pass stays cheap. */
export const OPEN_SHARDS = 4;

export const ownPrefix = (participant: string): string => `${participant}#`;
export const stepKey = (participant: string, sagaId: string, step: string) => ({ pk: `${participant}#saga#${sagaId}`, sk: `step#${step}` });
export const outboxPartition = (producer: string, sagaId: string): string => `${producer}#outbox#${sagaId}`;
export const outboxKey = (producer: string, sagaId: string, eventId: string) => ({ pk: outboxPartition(producer, sagaId), sk: `event#${eventId}` });
export const sagaKey = (sagaId: string) => ({ pk: `saga#${sagaId}`, sk: 'saga' });
export const rejectionKey = (consumer: string, messageId: string) => ({ pk: `${consumer}#rejected`, sk: messageId });

/** Prefixes inside a participant's space that only the framework writes. */
export const reservedInfixes = (participant: string): string[] => [`${participant}#saga#`, `${participant}#outbox#`, `${participant}#rejected`];

/** The producer that owns an outbox row, read from its key — never from the row's content. */
export function producerOfOutboxKey(pk: string): string | undefined {
  const match = /^([a-z][a-z0-9-]*)#outbox#/.exec(pk);
  return match?.[1];
}

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
