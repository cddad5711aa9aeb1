import { INITIATOR, RECONCILER, RESERVATION_EXPIRED_EVENT, TIMEOUT_EVENT, type AnySagaDefinition, type StepSpec } from './definition.js';
import { servedVersions } from './versions.js';

/**
 * Which phase of a step an event triggers at a participant. `confirm` exists only for TCC steps
 * (a step with a `confirmation`): there `forward` is the try and `compensate` the cancel.
 */
export type Phase = 'forward' | 'compensate' | 'confirm';

/** One way a participant reacts to one event type. */
export interface Reaction {
  readonly participant: string;
  readonly step: string;
  readonly phase: Phase;
  readonly event: string;
  readonly spec: StepSpec;
  /** Events this reaction may emit (for `forward`: emits ∪ failsWith). */
  readonly mayEmit: readonly string[];
  /**
   * True for the implicit reactions of a TCC step to {@link RESERVATION_EXPIRED_EVENT} (one for the
   * confirm, one for the cancel; the event's payload picks one). The verifier skips them.
   */
  readonly expiry?: boolean;
}

/** A TCC step: it has both a cancel (`compensation`) and a confirm (`confirmation`). */
export const isTccStep = (spec: StepSpec): boolean => spec.confirmation !== undefined && spec.compensation !== undefined;

/** How long a TCC try's reservation is held before the reconciler asks for the saga's decision. */
export const reservationSecondsOf = (def: Pick<AnySagaDefinition, 'deadlineSeconds'>, spec: StepSpec): number => spec.confirmation?.reservationSeconds ?? 2 * def.deadlineSeconds;

/** The confirm and the cancel of a TCC step: the phases that must eventually succeed. */
export const isTccSecondPhase = (r: Pick<Reaction, 'phase' | 'spec'>): boolean => isTccStep(r.spec) && (r.phase === 'confirm' || r.phase === 'compensate');

/**
 * Reactions by definition object: definitions are plain data that is not changed once defined,
 * and the runtime asks for them per record (routing, the relay's emit check, the tracker's step
 * deadlines) — building them each time was ~4 % of a local run's allocations.
 */
const reactionsByDefinition = new WeakMap<AnySagaDefinition, readonly Reaction[]>();

/** Every reaction in the definition, in declaration order. */
export function allReactions(def: AnySagaDefinition): readonly Reaction[] {
  let reactions = reactionsByDefinition.get(def);
  if (!reactions) reactionsByDefinition.set(def, (reactions = Object.freeze(listReactions(def))));
  return reactions;
}

function listReactions(def: AnySagaDefinition): Reaction[] {
  const out: Reaction[] = [];
  for (const [participant, p] of Object.entries(def.participants as Record<string, { steps: Record<string, StepSpec> }>)) {
    for (const [step, spec] of Object.entries(p.steps)) {
      out.push({ participant, step, phase: 'forward', event: spec.on, spec, mayEmit: [...(spec.emits ?? []), ...(spec.failsWith ?? [])] });
      for (const event of spec.compensation?.on ?? []) {
        out.push({ participant, step, phase: 'compensate', event, spec, mayEmit: [...(spec.compensation?.emits ?? [])] });
      }
      for (const event of spec.confirmation?.on ?? []) {
        out.push({ participant, step, phase: 'confirm', event, spec, mayEmit: [...(spec.confirmation?.emits ?? [])] });
      }
      if (isTccStep(spec)) {
        out.push({ participant, step, phase: 'confirm', event: RESERVATION_EXPIRED_EVENT, spec, mayEmit: [...(spec.confirmation?.emits ?? [])], expiry: true });
        out.push({ participant, step, phase: 'compensate', event: RESERVATION_EXPIRED_EVENT, spec, mayEmit: [...(spec.compensation?.emits ?? [])], expiry: true });
      }
    }
  }
  return out;
}

/** True when the definition has at least one TCC step (then the reconciler may send {@link RESERVATION_EXPIRED_EVENT}). */
export function hasTccSteps(def: AnySagaDefinition): boolean {
  return allReactions(def).some((r) => r.expiry === true);
}

/**
 * The reaction that handles one incoming event at a participant. Every event type maps to one
 * reaction, except {@link RESERVATION_EXPIRED_EVENT}, whose payload names the step and the decision
 * (`confirm` / `cancel`); one addressed to another participant has no reaction here.
 */
export function selectReaction(def: AnySagaDefinition, participant: string, event: string, payload: unknown): Reaction | undefined {
  const candidates = reactionsTo(def, participant, event);
  if (event !== RESERVATION_EXPIRED_EVENT) return candidates[0];
  const p = (payload ?? {}) as { participant?: unknown; step?: unknown; decision?: unknown };
  if (p.participant !== participant) return undefined;
  const phase = p.decision === 'confirm' ? 'confirm' : 'compensate';
  return candidates.find((r) => r.step === p.step && r.phase === phase);
}

/** Reactions of one participant to one event type (the verifier guarantees at most one). */
export function reactionsTo(def: AnySagaDefinition, participant: string, event: string): Reaction[] {
  return allReactions(def).filter((r) => r.participant === participant && r.event === event);
}

/** Event types a participant subscribes to (one EventBridge rule per entry). */
export function subscriptionsOf(def: AnySagaDefinition, participant: string): string[] {
  return [...new Set(allReactions(def).filter((r) => r.participant === participant).map((r) => r.event))];
}

/** Names of the definition's participants. */
export function participantNames(def: AnySagaDefinition): string[] {
  return Object.keys(def.participants);
}

/**
 * Producers allowed to emit `event`: participants whose reactions list it, the initiator for the
 * start event and the reconciler for the timeout event.
 */
export function producersOf(def: AnySagaDefinition, event: string): string[] {
  const producers = new Set<string>();
  if (event === def.start) producers.add(INITIATOR);
  if (event === TIMEOUT_EVENT) producers.add(RECONCILER);
  if (event === RESERVATION_EXPIRED_EVENT && hasTccSteps(def)) producers.add(RECONCILER);
  for (const r of allReactions(def)) if (r.mayEmit.includes(event)) producers.add(r.participant);
  return [...producers];
}

/** Events a producer may emit (what the relay accepts from its outbox prefix). */
export function emittableBy(def: AnySagaDefinition, producer: string): string[] {
  if (producer === INITIATOR) return [def.start];
  if (producer === RECONCILER) return hasTccSteps(def) ? [TIMEOUT_EVENT, RESERVATION_EXPIRED_EVENT] : [TIMEOUT_EVENT];
  return [...new Set(allReactions(def).filter((r) => r.participant === producer).flatMap((r) => r.mayEmit))];
}

/** Every producer name of a definition: participants plus the framework's own. */
export function allProducers(def: AnySagaDefinition): string[] {
  return [INITIATOR, RECONCILER, ...participantNames(def)];
}

/** EventBridge `source` for events a producer publishes in a saga. */
export function sourceFor(def: Pick<AnySagaDefinition, 'name'>, producer: string): string {
  return `saga.${def.name}.${producer}`;
}

/** Common prefix of every source of a saga; the tracker subscribes with it. */
export function sourcePrefixFor(def: Pick<AnySagaDefinition, 'name'>): string {
  return `saga.${def.name}.`;
}

/**
 * The EventBridge pattern of one subscription: the event type from its allowed producers. Given the
 * subscribing participant, a {@link RESERVATION_EXPIRED_EVENT} subscription is narrowed to the
 * events addressed to it (the runtime also ignores the others).
 */
export function subscriptionPattern(def: AnySagaDefinition, event: string, participant?: string): Record<string, unknown> {
  return {
    source: producersOf(def, event).map((p) => sourceFor(def, p)).sort(),
    'detail-type': [event],
    // Routed by version: during a rolling upgrade each version's participants get only the events
    // of the sagas they serve (their own version, and any they migrate).
    detail:
      event === RESERVATION_EXPIRED_EVENT && participant
        ? { definition: [def.name], definitionVersion: servedVersions(def), payload: { participant: [participant] } }
        : { definition: [def.name], definitionVersion: servedVersions(def) },
  };
}

/**
 * The EventBridge pattern of a saga's terminal events from any of its producers: what the
 * best-effort notifier subscribes to (the constructs and the local cloud use the same pattern).
 */
export function terminalEventsPattern(def: AnySagaDefinition): Record<string, unknown> {
  return {
    source: [{ prefix: sourcePrefixFor(def) }],
    'detail-type': [...new Set<string>([...def.terminal.success, ...def.terminal.failure])],
    detail: { definition: [def.name] },
  };
}

export function isTerminal(def: AnySagaDefinition, event: string): 'success' | 'failure' | undefined {
  if ((def.terminal.success as readonly string[]).includes(event)) return 'success';
  if ((def.terminal.failure as readonly string[]).includes(event)) return 'failure';
  return undefined;
}

/** Events that mean "something failed, start backward recovery" (business failures + timeout). */
export function failureEvents(def: AnySagaDefinition): string[] {
  const set = new Set<string>([TIMEOUT_EVENT]);
  for (const r of allReactions(def)) for (const e of r.spec.failsWith ?? []) set.add(e);
  return [...set];
}

/**
 * Events only forward steps emit on success (their `emits`), never a compensation or a confirm:
 * such an event in the timeline of a compensated saga is an effect that committed after the end.
 */
export function forwardEffectEvents(def: AnySagaDefinition): string[] {
  const reactions = allReactions(def);
  const other = new Set(reactions.filter((r) => r.phase !== 'forward').flatMap((r) => r.mayEmit));
  return [...new Set(reactions.filter((r) => r.phase === 'forward').flatMap((r) => r.spec.emits ?? []))].filter((e) => !other.has(e));
}

/**
 * Forward steps that can only run after a pivot succeeded: their event is emitted only by a pivot's
 * success or by steps that are themselves past the pivot. The saga can then only move forward, so
 * a timeout no longer stops them (the pivot's compensation ignores it) — the runtime's end marker
 * lets them finish (`lib/runtime/participant/end-marker.ts`). Keys are `participant.step`.
 */
export function postPivotSteps(def: AnySagaDefinition): Set<string> {
  const forward = allReactions(def).filter((r) => r.phase === 'forward' && !r.expiry);
  const post = new Set<string>();
  const postEvents = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const r of forward) {
      const key = `${r.participant}.${r.step}`;
      if (r.spec.pivot || post.has(key)) for (const e of r.spec.emits ?? []) if (!postEvents.has(e)) { postEvents.add(e); changed = true; }
      if (post.has(key) || !postEvents.has(r.event)) continue;
      // Every producer of its event must be past the pivot (a pivot's success, or a post-pivot step).
      const producers = allReactions(def).filter((p) => p.mayEmit.includes(r.event));
      const onlyAfterPivot = r.event !== def.start && producers.length > 0 && producers.every((p) => p.phase === 'forward' && (p.spec.pivot ? (p.spec.emits ?? []).includes(r.event) && !(p.spec.failsWith ?? []).includes(r.event) : post.has(`${p.participant}.${p.step}`)));
      if (onlyAfterPivot) {
        post.add(key);
        changed = true;
      }
    }
  }
  return post;
}
