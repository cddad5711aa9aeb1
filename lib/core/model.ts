import { INITIATOR, RECONCILER, TIMEOUT_EVENT, type AnySagaDefinition, type StepSpec } from './definition.js';

/** Which phase of a step an event triggers at a participant. */
export type Phase = 'forward' | 'compensate';

/** One way a participant reacts to one event type. */
export interface Reaction {
  readonly participant: string;
  readonly step: string;
  readonly phase: Phase;
  readonly event: string;
  readonly spec: StepSpec;
  /** Events this reaction may emit (for `forward`: emits ∪ failsWith). */
  readonly mayEmit: readonly string[];
}

/** Every reaction in the definition, in declaration order. */
export function allReactions(def: AnySagaDefinition): Reaction[] {
  const out: Reaction[] = [];
  for (const [participant, p] of Object.entries(def.participants as Record<string, { steps: Record<string, StepSpec> }>)) {
    for (const [step, spec] of Object.entries(p.steps)) {
      out.push({ participant, step, phase: 'forward', event: spec.on, spec, mayEmit: [...(spec.emits ?? []), ...(spec.failsWith ?? [])] });
      for (const event of spec.compensation?.on ?? []) {
        out.push({ participant, step, phase: 'compensate', event, spec, mayEmit: [...(spec.compensation?.emits ?? [])] });
      }
    }
  }
  return out;
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
  for (const r of allReactions(def)) if (r.mayEmit.includes(event)) producers.add(r.participant);
  return [...producers];
}

/** Events a producer may emit (what the relay accepts from its outbox prefix). */
export function emittableBy(def: AnySagaDefinition, producer: string): string[] {
  if (producer === INITIATOR) return [def.start];
  if (producer === RECONCILER) return [TIMEOUT_EVENT];
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

/** The EventBridge pattern of one subscription: the event type from its allowed producers. */
export function subscriptionPattern(def: AnySagaDefinition, event: string): Record<string, unknown> {
  return {
    source: producersOf(def, event).map((p) => sourceFor(def, p)).sort(),
    'detail-type': [event],
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
