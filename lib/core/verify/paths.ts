import { TIMEOUT_EVENT, type AnySagaDefinition } from '../definition.js';
import { isTerminal, type Reaction } from '../model.js';
import { reactionLabel } from './types.js';

/** Upper bound on enumerated runs; beyond it the analysis stops and reports a warning. */
export const MAX_RUNS = 10_000;

/** Marker in a run's trace where the deadline passes (the reconciler injects the timeout event). */
export const DEADLINE_MARK = '(deadline passes)';

/** A step with a forward effect that a failure left without compensation on one run. */
export interface UncompensatedStep {
  readonly participant: string;
  readonly step: string;
  /** The failure: a `failsWith` event or {@link TIMEOUT_EVENT}. */
  readonly failure: string;
  /** The run, as labels (events, reactions, the deadline mark). */
  readonly path: readonly string[];
  /** Events seen after the failure on that run (candidates for the compensation's `on`). */
  readonly continuation: readonly string[];
}

/** A run that ended with no terminal event although every event on it was consumed. */
export interface DeadEnd {
  readonly path: readonly string[];
  readonly lastEvent: string;
  readonly lastReaction?: { readonly participant: string; readonly step: string };
}

/** A TCC step whose phases disagree on one run (see the `kind`). */
export interface TccProblem {
  readonly participant: string;
  readonly step: string;
  /**
   * `confirm-without-try`: the confirm fires although the try did not succeed before it (the vote
   * was not collected); `unconfirmed`: the run ends in success with the reservation neither
   * confirmed nor cancelled; `cancel-after-confirm`: both phases fire.
   */
  readonly kind: 'confirm-without-try' | 'unconfirmed' | 'cancel-after-confirm';
  readonly path: readonly string[];
}

export interface PathAnalysis {
  readonly runs: number;
  readonly capped: boolean;
  readonly reachedTerminals: ReadonlySet<string>;
  readonly uncompensated: readonly UncompensatedStep[];
  readonly deadEnds: readonly DeadEnd[];
  /** Problems of TCC steps (try / confirm / cancel), one per step and kind, shortest run. */
  readonly tcc: readonly TccProblem[];
}

interface Failure {
  readonly event: string;
  readonly at: number;
}

interface Effect {
  readonly participant: string;
  readonly step: string;
  readonly at: number;
}

interface RunState {
  queue: string[];
  trace: string[];
  /** Trace indices of processed events (to list the continuation after a failure). */
  eventAt: { event: string; at: number }[];
  fired: Set<string>;
  effects: Effect[];
  /** step key → trace indices where its compensation ran. */
  compensated: Map<string, number[]>;
  /** step key → trace indices where its confirm (TCC) ran. */
  confirmed: Map<string, number[]>;
  /** Failures that happened before any pivot succeeded (they demand compensation). */
  failures: Failure[];
  lastReaction?: { participant: string; step: string };
  pivotDone: boolean;
  terminalEmitted: boolean;
  failed: boolean;
  timedOut: boolean;
}

const stepKey = (participant: string, step: string): string => `${participant}\u0000${step}`;
const reactionKey = (r: Reaction): string => `${r.participant}\u0000${r.step}\u0000${r.phase}`;

function clone(s: RunState): RunState {
  return {
    queue: [...s.queue],
    trace: [...s.trace],
    eventAt: [...s.eventAt],
    fired: new Set(s.fired),
    effects: [...s.effects],
    compensated: new Map([...s.compensated].map(([k, v]) => [k, [...v]])),
    confirmed: new Map([...s.confirmed].map(([k, v]) => [k, [...v]])),
    failures: [...s.failures],
    ...(s.lastReaction ? { lastReaction: s.lastReaction } : {}),
    pivotDone: s.pivotDone,
    terminalEmitted: s.terminalEmitted,
    failed: s.failed,
    timedOut: s.timedOut,
  };
}

/**
 * Enumerates the runs of a choreography and checks each one.
 *
 * The trace lists each event when it is emitted, so a timeout shows the events it cut off.
 *
 * Model: events are processed first-in first-out; processing an event fires every reaction to it
 * at once. A forward reaction takes ONE of its outcomes (one `emits` event = success with effect,
 * or one `failsWith` event = business failure); a compensation emits all of its `emits`. Each
 * reaction (participant, step, phase) fires at most once per run — later deliveries are
 * duplicates the barrier absorbs — so runs are finite even when the graph has cycles.
 * Before any event is processed (and when the run is over), as long as nothing has failed, no
 * pivot has succeeded and no terminal event was emitted, the deadline may pass: pending forward
 * events are dropped and {@link TIMEOUT_EVENT} is processed instead.
 */
export function analysePaths(def: AnySagaDefinition, reactions: readonly Reaction[], maxRuns = MAX_RUNS): PathAnalysis {
  const byEvent = new Map<string, Reaction[]>();
  for (const r of reactions) byEvent.set(r.event, [...(byEvent.get(r.event) ?? []), r]);
  const needsCompensation = (r: Reaction): boolean => !r.spec.pivot && !(r.spec.mustSucceed && !r.spec.compensation);

  let runs = 0;
  let capped = false;
  const reachedTerminals = new Set<string>();
  const uncompensated = new Map<string, UncompensatedStep>();
  const deadEnds = new Map<string, DeadEnd>();
  const tcc = new Map<string, TccProblem>();
  const tccProblem = (participant: string, step: string, kind: TccProblem['kind'], path: readonly string[]): void => {
    const key = `${stepKey(participant, step)}\u0000${kind}`;
    const known = tcc.get(key);
    if (!known || known.path.length > path.length) tcc.set(key, { participant, step, kind, path });
  };
  const isTcc = (participant: string, step: string): boolean =>
    reactions.some((r) => r.participant === participant && r.step === step && r.spec.confirmation !== undefined && r.spec.compensation !== undefined);

  const finish = (s: RunState): void => {
    runs++;
    if (runs >= maxRuns) capped = true;
    const events = s.eventAt.map((e) => e.event);
    const terminals = events.filter((e) => isTerminal(def, e));
    terminals.forEach((e) => reachedTerminals.add(e));
    const last = events[events.length - 1];
    const stalledOnUnconsumed = events.some((e) => !byEvent.has(e) && !isTerminal(def, e));
    if (terminals.length === 0 && last !== undefined && !stalledOnUnconsumed) {
      const known = deadEnds.get(last);
      if (!known || known.path.length > s.trace.length) {
        deadEnds.set(last, { path: s.trace, lastEvent: last, ...(s.lastReaction ? { lastReaction: s.lastReaction } : {}) });
      }
    }
    // TCC: a run that ends in success must confirm every reservation it made and not cancelled;
    // no run may both confirm and cancel one reservation.
    const succeeded = terminals.some((e) => isTerminal(def, e) === 'success');
    for (const effect of s.effects) {
      if (!isTcc(effect.participant, effect.step)) continue;
      const key = stepKey(effect.participant, effect.step);
      const confirmedAt = (s.confirmed.get(key) ?? []).filter((at) => at > effect.at);
      const cancelledAt = (s.compensated.get(key) ?? []).filter((at) => at > effect.at);
      if (confirmedAt.length > 0 && cancelledAt.length > 0) tccProblem(effect.participant, effect.step, 'cancel-after-confirm', s.trace);
      else if (succeeded && confirmedAt.length === 0 && cancelledAt.length === 0) tccProblem(effect.participant, effect.step, 'unconfirmed', s.trace);
    }
    for (const failure of s.failures) {
      for (const effect of s.effects) {
        if (effect.at >= failure.at) continue;
        const undone = (s.compensated.get(stepKey(effect.participant, effect.step)) ?? []).some((at) => at > effect.at);
        if (undone) continue;
        const key = `${stepKey(effect.participant, effect.step)}\u0000${failure.event}`;
        const known = uncompensated.get(key);
        if (known && known.path.length <= s.trace.length) continue;
        uncompensated.set(key, {
          participant: effect.participant,
          step: effect.step,
          failure: failure.event,
          path: s.trace,
          continuation: [...new Set(s.eventAt.filter((e) => e.at > failure.at).map((e) => e.event))],
        });
      }
    }
  };

  const explore = (s: RunState): void => {
    if (capped) return;
    if (!s.failed && !s.pivotDone && !s.terminalEmitted && !s.timedOut) {
      const t = clone(s);
      t.timedOut = true;
      t.failed = true;
      t.queue = [TIMEOUT_EVENT];
      t.failures.push({ event: TIMEOUT_EVENT, at: t.trace.length });
      t.trace.push(DEADLINE_MARK, TIMEOUT_EVENT);
      explore(t);
      if (capped) return;
    }
    const [event, ...rest] = s.queue;
    if (event === undefined) {
      finish(s);
      return;
    }
    const next = clone(s);
    next.queue = rest;
    next.eventAt.push({ event, at: next.trace.length });
    fire(next, byEvent.get(event) ?? [], 0);
  };

  const emit = (s: RunState, event: string): void => {
    s.queue.push(event);
    s.trace.push(event);
    if (isTerminal(def, event)) s.terminalEmitted = true;
  };

  const fire = (s: RunState, rs: readonly Reaction[], i: number): void => {
    if (capped) return;
    const r = rs[i];
    if (!r) {
      explore(s);
      return;
    }
    if (s.fired.has(reactionKey(r))) {
      fire(s, rs, i + 1);
      return;
    }
    if (r.phase === 'confirm') {
      const t = clone(s);
      t.fired.add(reactionKey(r));
      const key = stepKey(r.participant, r.step);
      // Vote collection: a confirm is only sound after its own try succeeded on the same run.
      if (!t.effects.some((e) => e.participant === r.participant && e.step === r.step)) tccProblem(r.participant, r.step, 'confirm-without-try', [...t.trace, reactionLabel(r.participant, r.step, r.phase)]);
      t.confirmed.set(key, [...(t.confirmed.get(key) ?? []), t.trace.length]);
      t.lastReaction = { participant: r.participant, step: r.step };
      t.trace.push(reactionLabel(r.participant, r.step, r.phase));
      r.mayEmit.forEach((e) => emit(t, e));
      fire(t, rs, i + 1);
      return;
    }
    if (r.phase === 'compensate') {
      const t = clone(s);
      t.fired.add(reactionKey(r));
      const key = stepKey(r.participant, r.step);
      t.compensated.set(key, [...(t.compensated.get(key) ?? []), t.trace.length]);
      t.lastReaction = { participant: r.participant, step: r.step };
      t.trace.push(reactionLabel(r.participant, r.step, r.phase));
      r.mayEmit.forEach((e) => emit(t, e));
      fire(t, rs, i + 1);
      return;
    }
    const successes = r.spec.emits ?? [];
    const failures = r.spec.failsWith ?? [];
    if (successes.length === 0 && failures.length === 0) {
      const t = clone(s);
      t.fired.add(reactionKey(r));
      t.lastReaction = { participant: r.participant, step: r.step };
      t.trace.push(reactionLabel(r.participant, r.step, r.phase));
      fire(t, rs, i + 1);
      return;
    }
    for (const outcome of successes) {
      if (capped) return;
      const t = clone(s);
      t.fired.add(reactionKey(r));
      t.lastReaction = { participant: r.participant, step: r.step };
      if (needsCompensation(r)) t.effects.push({ participant: r.participant, step: r.step, at: t.trace.length });
      if (r.spec.pivot) t.pivotDone = true;
      t.trace.push(reactionLabel(r.participant, r.step, r.phase));
      emit(t, outcome);
      fire(t, rs, i + 1);
    }
    for (const outcome of failures) {
      if (capped) return;
      const t = clone(s);
      t.fired.add(reactionKey(r));
      t.lastReaction = { participant: r.participant, step: r.step };
      if (!t.pivotDone) t.failures.push({ event: outcome, at: t.trace.length });
      t.failed = true;
      t.trace.push(`${reactionLabel(r.participant, r.step, r.phase)} (fails)`);
      emit(t, outcome);
      fire(t, rs, i + 1);
    }
  };

  explore({
    queue: [def.start],
    trace: [def.start],
    eventAt: [],
    fired: new Set(),
    effects: [],
    compensated: new Map(),
    confirmed: new Map(),
    failures: [],
    pivotDone: false,
    terminalEmitted: false,
    failed: false,
    timedOut: false,
  });

  return { runs, capped, reachedTerminals, uncompensated: [...uncompensated.values()], deadEnds: [...deadEnds.values()], tcc: [...tcc.values()] };
}
