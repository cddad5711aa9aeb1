import { ITEM_KIND, KEY, reservationShardOf, stepKey } from '../../core/keys.js';
import type { Phase } from '../../core/model.js';
import { DAY_SECONDS } from '../shared/outbox.js';
import type { StepData } from './step-types.js';

/**
 * Barrier states of one (saga, participant, step). The barrier item is also the participant's
 * own step record (its saga bookkeeping), so it costs no extra item in the transaction.
 *
 *   (absent) --forward ok--> done --compensate--> compensated
 *   (absent) --forward business failure--> failed --compensate--> voided
 *   (absent) --compensate first (null compensation)--> voided   (a late forward is refused)
 *
 * A TCC step (try / confirm / cancel) adds one state: `done --confirm--> confirmed`. Its cancel is
 * the compensation (`done → compensated`, null cancel `→ voided`); see lib/runtime/participant/tcc.ts.
 */
export type BarrierState = 'done' | 'failed' | 'compensated' | 'voided' | 'confirmed';

/** Barrier tombstones must outlive every late delivery: EventBridge retries 24 h, DLQs keep 14 days. */
export const BARRIER_TTL_DAYS = 30;

export interface BarrierRecord {
  readonly pk: string;
  readonly sk: string;
  readonly kind: 'step';
  readonly participant: string;
  readonly step: string;
  readonly sagaId: string;
  readonly state: BarrierState;
  readonly forwardEventId?: string;
  readonly forwardAt?: string;
  readonly compensateEventId?: string;
  readonly compensatedAt?: string;
  readonly data?: StepData;
  readonly reason?: string;
  readonly emitted?: string[];
  readonly compensationEmitted?: string[];
  /** TCC try only: when the reservation expires unless confirmed or cancelled (ISO time). */
  readonly reservationExpiresAt?: string;
  readonly confirmEventId?: string;
  readonly confirmedAt?: string;
  readonly confirmationEmitted?: string[];
  /** While a TCC reservation is open: the `open#reservations#<k>` index partition and its expiry. */
  readonly openShard?: string;
  readonly nextCheckAt?: string;
}

interface BarrierArgs {
  readonly tableName: string;
  readonly participant: string;
  readonly step: string;
  readonly sagaId: string;
  readonly eventId: string;
  readonly now: number;
  readonly emitted: string[];
}

const ttl = (now: number): number => Math.floor(now / 1000) + BARRIER_TTL_DAYS * DAY_SECONDS;

/**
 * Forward barrier: insert the step record only if none exists. One condition covers both
 * idempotency (a duplicate finds `done`/`failed`) and anti-hanging (a late forward finds the
 * compensation's tombstone), checked at commit time inside the step's transaction.
 */
export function forwardBarrierPut(a: BarrierArgs & { readonly outcome: 'done' | 'failed'; readonly data?: StepData; readonly reason?: string; readonly reservationExpiresAt?: number }) {
  // A TCC try that reserved is listed in the sparse index until its confirm or cancel removes it,
  // so the reconciler finds expired reservations without scanning the table.
  const reservation =
    a.outcome === 'done' && a.reservationExpiresAt !== undefined
      ? { reservationExpiresAt: new Date(a.reservationExpiresAt).toISOString(), [KEY.openPartition]: reservationShardOf(a.sagaId), [KEY.openSort]: new Date(a.reservationExpiresAt).toISOString() }
      : {};
  const item: BarrierRecord = {
    ...stepKey(a.participant, a.sagaId, a.step),
    kind: ITEM_KIND.step,
    participant: a.participant,
    step: a.step,
    sagaId: a.sagaId,
    state: a.outcome,
    forwardEventId: a.eventId,
    forwardAt: new Date(a.now).toISOString(),
    emitted: a.emitted,
    ...(a.data ? { data: a.data } : {}),
    ...(a.reason ? { reason: a.reason } : {}),
    ...reservation,
  };
  return {
    Put: {
      TableName: a.tableName,
      Item: { ...item, [KEY.ttl]: ttl(a.now) } as Record<string, unknown>,
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/**
 * Compensation barrier, chosen from the state read before the handler ran and re-checked at
 * commit: `done` → `compensated`; `failed` → `voided`; absent → a `voided` tombstone (null
 * compensation). If the state moved in between (a concurrent forward committed), the condition
 * fails and the step re-runs with the new state.
 */
export function compensationBarrierWrite(a: BarrierArgs & { readonly seen: BarrierState | undefined }) {
  const key = stepKey(a.participant, a.sagaId, a.step);
  const at = new Date(a.now).toISOString();
  if (a.seen === undefined) {
    const item: BarrierRecord = {
      ...key,
      kind: ITEM_KIND.step,
      participant: a.participant,
      step: a.step,
      sagaId: a.sagaId,
      state: 'voided',
      compensateEventId: a.eventId,
      compensatedAt: at,
      compensationEmitted: a.emitted,
      reason: 'null compensation: the forward step had not run',
    };
    return { Put: { TableName: a.tableName, Item: { ...item, [KEY.ttl]: ttl(a.now) } as Record<string, unknown>, ConditionExpression: 'attribute_not_exists(pk)' } };
  }
  const next: BarrierState = a.seen === 'done' ? 'compensated' : 'voided';
  return {
    Update: {
      TableName: a.tableName,
      Key: key,
      UpdateExpression: 'SET #state = :next, compensateEventId = :eid, compensatedAt = :at, compensationEmitted = :emitted',
      ConditionExpression: '#state = :seen',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':next': next, ':eid': a.eventId, ':at': at, ':emitted': a.emitted, ':seen': a.seen },
    },
  };
}

/** What a phase finds in an existing barrier when its own barrier condition failed. */
export function classifyExisting(phase: Phase, record: Pick<BarrierRecord, 'state' | 'forwardEventId'> | undefined): 'duplicate' | 'hanging-refused' | 'moved' {
  const state = record?.state;
  if (phase === 'forward') {
    if (state === 'done' || state === 'failed' || state === 'confirmed') return 'duplicate';
    // Compensated after the forward ran (a failed forward is compensated to `voided`): a
    // redelivery of the forward is a duplicate. Only a tombstone (no forward ever) refuses it.
    if (state === 'compensated' || state === 'voided') return record?.forwardEventId ? 'duplicate' : 'hanging-refused';
    return 'moved';
  }
  if (state === 'compensated' || state === 'voided') return 'duplicate';
  return 'moved';
}

export const BARRIER_PHASES: readonly Phase[] = ['forward', 'compensate', 'confirm'];
