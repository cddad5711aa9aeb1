import { RECONCILER, TIMEOUT_EVENT, type AnySagaDefinition } from '../../core/definition.js';
import { ITEM_KIND, KEY, outboxPartition } from '../../core/keys.js';
import { DAY_SECONDS, OUTBOX_TTL_DAYS, buildOutboxRow, outboxPut, type OutboxRow } from '../shared/outbox.js';
import { allProducersToAudit } from './scan.js';
import type { ReconcilerStore } from './store.js';
import type { TrackedSaga } from './types.js';

/** Claim attributes the reconciler sets on an outbox row it republished. */
export interface RepublishClaim {
  readonly republishedAs?: string;
  readonly republishedAt?: string;
  readonly republishCount?: number;
}
type StoredRow = OutboxRow & RepublishClaim;

export interface LostRowScan {
  /** Rows committed, not seen by the tracker, older than the quiet period: to republish now. */
  readonly due: readonly StoredRow[];
  /** Rows already republished `maxRepublishes` times; the stall will flag the saga. */
  readonly exhausted: readonly StoredRow[];
  /**
   * Rows not seen by the tracker that are younger than the quiet period (or were republished
   * within it): a step committed recently, or a repair is in flight — the saga is not stalled.
   */
  readonly young: readonly StoredRow[];
}

const age = (iso: string | undefined, now: number): number => (iso ? now - Date.parse(iso) : Number.POSITIVE_INFINITY);

/**
 * Finds outbox rows of a saga that were committed but never published: one consistent query per
 * producer partition (`<producer>#outbox#<sagaId>`) of `producers` — by default every producer
 * but the initiator once the start event is seen (its partition holds that one row); the visit
 * of an open saga passes `producersToScan` (scan.ts): only the partitions where such a
 * row can be — keeping rows whose event id the saga's timeline does not hold and which are older
 * than the quiet period. Republished copies are not candidates themselves: the original row
 * carries the claim.
 */
export async function findLostRows(
  store: ReconcilerStore,
  def: AnySagaDefinition,
  saga: TrackedSaga,
  now: number,
  quietMs: number,
  maxRepublishes: number,
  producers: readonly string[] = allProducersToAudit(def, saga),
): Promise<LostRowScan> {
  const seen = new Set(saga.timeline.map((t) => t.eventId));
  const partitions = await Promise.all(producers.map((p) => store.partition(outboxPartition(p, saga.sagaId))));
  const due: StoredRow[] = [];
  const exhausted: StoredRow[] = [];
  const young: StoredRow[] = [];
  for (const item of partitions.flat()) {
    const row = item as unknown as StoredRow;
    if (row.kind !== ITEM_KIND.outbox || row.republishOf || seen.has(row.eventId)) continue;
    // A republished row waits longer each time (quiet × 2^(n−1)): a slow system is not asked to redo work faster than it does it.
    const backoff = quietMs * 2 ** Math.max(0, (row.republishCount ?? 1) - 1);
    if (age(row.createdAt, now) < quietMs || age(row.republishedAt, now) < backoff) young.push(row);
    else ((row.republishCount ?? 0) >= maxRepublishes ? exhausted : due).push(row);
  }
  return { due, exhausted, young };
}

/**
 * What became of one republish: the copy is in (`republished`); a concurrent run claimed the row
 * first and put its own copy in (`claimed`); or this run's republish budget is spent and the row
 * waits for a later run (`deferred`) — the caller must keep whatever makes it look again.
 */
export type RepublishOutcome = 'republished' | 'claimed' | 'deferred';

/**
 * Republishes a lost row by inserting a copy (same detail, same envelope event id, sort key
 * `event#<id>#r<n>`) — the relay publishes the copy, consumers dedupe on the envelope id — in one
 * transaction with a claim on the original row, so two concurrent reconcilers republish once.
 */
export async function republishRow(store: ReconcilerStore, row: StoredRow, now: number): Promise<RepublishOutcome> {
  // Bounded per run: the rest stay due and are republished by later runs.
  if (store.stats.republished >= store.republishBudget) {
    store.stats.republishesDeferred++;
    return 'deferred';
  }
  const n = (row.republishCount ?? 0) + 1;
  const copySk = `${row.sk.split('#r')[0]}#r${n}`;
  const at = new Date(now).toISOString();
  const copy: OutboxRow = {
    pk: row.pk,
    sk: copySk,
    kind: ITEM_KIND.outbox,
    eventId: row.eventId,
    sagaId: row.sagaId,
    type: row.type,
    detail: row.detail,
    createdAt: at,
    expiresAt: Math.floor(now / 1000) + OUTBOX_TTL_DAYS * DAY_SECONDS,
    republishOf: row.sk,
  };
  const claim = {
    Update: {
      TableName: store.tableName,
      Key: { [KEY.partition]: row.pk, [KEY.sort]: row.sk },
      UpdateExpression: 'SET republishedAs = :sk, republishedAt = :at, republishCount = :n',
      ConditionExpression: row.republishedAs ? 'republishedAs = :prev' : 'attribute_exists(pk) AND attribute_not_exists(republishedAs)',
      ExpressionAttributeValues: { ':sk': copySk, ':at': at, ':n': n, ...(row.republishedAs ? { ':prev': row.republishedAs } : {}) },
    },
  };
  return (await store.transact([claim, outboxPut(store.tableName, copy)])) ? 'republished' : 'claimed';
}

/** The `SagaTimedOut` outbox row the reconciler (or an operator) publishes for a saga. */
export async function timeoutRow(def: AnySagaDefinition, saga: TrackedSaga, reason: string, eventId: string, now: number): Promise<OutboxRow> {
  return buildOutboxRow({
    def,
    producer: RECONCILER,
    sagaId: saga.sagaId,
    emission: { type: TIMEOUT_EVENT, payload: { deadline: saga.deadline, reason } },
    eventId,
    now,
    // Pinned: the timeout reaches the participants of the version the saga started on.
    definitionVersion: saga.definitionVersion,
  });
}
