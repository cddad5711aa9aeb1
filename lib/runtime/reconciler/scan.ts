import { INITIATOR, RECONCILER, type AnySagaDefinition } from '../../core/definition.js';
import { allProducers, hasTccSteps, participantNames, reactionsTo, type Reaction } from '../../core/model.js';
import type { TrackedSaga } from './types.js';

type Entry = TrackedSaga['timeline'][number];

/**
 * The producers whose outbox partition of a saga the visit of an open saga reads: those where a
 * row it would act on — committed, not in the timeline — can be. Every other partition holds only
 * rows whose events the timeline already has, so reading it would cost items and find nothing.
 *
 * - the initiator's holds the start event only: read while the timeline lacks it;
 * - the reconciler's holds `SagaTimedOut` rows, written in the same transaction that sets the
 *   record's `timeoutPublishedAt`, and — when the definition has TCC steps — `ReservationExpired`
 *   rows, which the expiry check writes without touching the record: read when either is possible;
 * - a participant writes rows only in a reaction to an event it received, all of that reaction's
 *   rows in one transaction, each carrying the trigger's id as `causationId`. Its partition is read
 *   when the timeline holds an event it reacts to whose reaction is not *settled*: settled means
 *   the events it emitted in reply (same producer, that causation) make up a whole outcome list of
 *   that reaction (`emits`, `failsWith`, `compensation.emits`, `confirmation.emits`), so no row of
 *   it can be missing — or no reaction to it may emit anything at all.
 *
 * Why that finds every lost row, step by step: a lost row's trigger is either in the timeline —
 * then its reaction is unsettled (the lost row is missing from it) and its partition is read — or
 * not, and then the trigger's own row (published, since the participant received it) is unseen
 * too, one step earlier in the causal chain; the chain ends at the start event or a reconciler
 * event, whose partitions are read by the first two rules. So a visit repairs the earliest lost
 * row, and the rows after it once the repair reaches the tracker (the next visits).
 *
 * Not covered, by design, because the ended-saga audit reads every partition once when the saga
 * ends (lib/runtime/reconciler/ended.ts): a second event of the same type from one reaction
 * (consumers' barriers take the first and drop it as a duplicate, so the saga never waits for it)
 * and a two-phase message a participant commits outside a reaction (it carries no causation).
 *
 * @example
 * ```ts
 * const producers = producersToScan(orderSaga, saga); // e.g. ['reconciler', 'payment'] for a saga stalled at payment
 * const lost = await findLostRows(store, orderSaga, saga, now, quietMs, maxRepublishes, producers);
 * ```
 */
export function producersToScan(def: AnySagaDefinition, saga: Pick<TrackedSaga, 'timeline' | 'timeoutPublishedAt'>): string[] {
  const out: string[] = [];
  if (!saga.timeline.some((t) => t.type === def.start)) out.push(INITIATOR);
  if (saga.timeoutPublishedAt !== undefined || hasTccSteps(def)) out.push(RECONCILER);
  for (const participant of participantNames(def)) {
    if (saga.timeline.some((trigger) => !settled(def, participant, trigger, saga.timeline))) out.push(participant);
  }
  return out;
}

/** Every producer but a seen start's initiator: what the audit of an ended saga reads. */
export function allProducersToAudit(def: AnySagaDefinition, saga: Pick<TrackedSaga, 'timeline'>): string[] {
  const startSeen = saga.timeline.some((t) => t.type === def.start);
  return allProducers(def).filter((p) => !(p === INITIATOR && startSeen));
}

/** The outcome lists of a reaction: one of them, or a part of one, is what a run of it emits. */
function outcomeLists(r: Reaction): (readonly string[])[] {
  if (r.phase === 'forward') return [r.spec.emits ?? [], r.spec.failsWith ?? []];
  if (r.phase === 'compensate') return [r.spec.compensation?.emits ?? []];
  return [r.spec.confirmation?.emits ?? []];
}

/**
 * True when `participant`'s reaction to `trigger` cannot have left an unseen row: it reacts to it
 * with nothing that emits, or the replies seen make up the whole of every outcome list they fit.
 */
function settled(def: AnySagaDefinition, participant: string, trigger: Entry, timeline: readonly Entry[]): boolean {
  const lists = reactionsTo(def, participant, trigger.type)
    .flatMap(outcomeLists)
    .filter((l) => l.length > 0);
  if (lists.length === 0) return true;
  const seen = new Set(timeline.filter((t) => t.producer === participant && t.causationId === trigger.eventId).map((t) => t.type));
  // Nothing seen: the reaction may have committed with every row lost, or be running now.
  if (seen.size === 0) return false;
  const fitting = lists.filter((l) => [...seen].every((type) => l.includes(type)));
  return fitting.length > 0 && fitting.every((l) => l.every((type) => seen.has(type)));
}
