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

/**
 * A forward step with an effect that can commit after the saga's outcome was decided — its event
 * was on its way when the deadline passed or a failure was decided — and that nothing on the run
 * undoes or refuses (no compensation of it runs, it is not mustSucceed).
 */
export interface LateEffect {
  readonly participant: string;
  readonly step: string;
  /** The event that was on its way. */
  readonly event: string;
  /** `timeout`: the deadline passed; `failure`: a failure event decided the outcome (named in `decidedBy`). */
  readonly how: 'timeout' | 'failure';
  readonly decidedBy: string;
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
  /** Forward effects that can commit after the outcome is decided, one per step and kind, shortest run. */
  readonly late: readonly LateEffect[];
}

/** A forward reaction that ran (or, after a timeout, could still run) on an event in flight at the decision. */
interface LateCandidate {
  readonly participant: string;
  readonly step: string;
  readonly event: string;
  readonly how: 'timeout' | 'failure';
  readonly decidedBy: string;
  readonly trace: readonly string[];
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
  /** What decided a failed outcome first (a failure event before the pivot, or the timeout), once it happened. */
  decidedBy?: string;
  /** Events on their way when the outcome was decided, and every event their reactions emitted since. */
  inFlight: string[];
  late: LateCandidate[];
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
    ...(s.decidedBy !== undefined ? { decidedBy: s.decidedBy } : {}),
    inFlight: [...s.inFlight],
    late: [...s.late],
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
  const late = new Map<string, LateEffect>();
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
    // A late forward effect is harmless only if this run undoes or refuses it: its compensation
    // runs (after it: undo; before it: the tombstone refuses it), or it must succeed (forward recovery).
    // Only on a run that ends in failure: a timeout nobody handles decides nothing, and the late
    // step then simply finishes the saga forward.
    const endsInFailure = terminals.some((e) => isTerminal(def, e) === 'failure');
    for (const c of endsInFailure ? s.late : []) {
      const spec = reactions.find((r) => r.participant === c.participant && r.step === c.step && r.phase === 'forward')?.spec;
      if (!spec || spec.mustSucceed || s.compensated.has(stepKey(c.participant, c.step))) continue;
      const key = `${stepKey(c.participant, c.step)}\u0000${c.how}`;
      const known = late.get(key);
      if (known && known.path.length <= c.trace.length) continue;
      late.set(key, { participant: c.participant, step: c.step, event: c.event, how: c.how, decidedBy: c.decidedBy, path: c.trace });
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
      t.decidedBy ??= TIMEOUT_EVENT;
      // The pending events are not lost: they may still be delivered after the timeout, and a
      // forward step with an effect may commit then, after the saga's outcome was decided.
      const cutOff = t.trace.length;
      for (const pending of s.queue) {
        for (const r of byEvent.get(pending) ?? []) {
          if (r.phase !== 'forward' || (r.spec.emits ?? []).length === 0 || s.fired.has(reactionKey(r))) continue;
          t.late.push({ participant: r.participant, step: r.step, event: pending, how: 'timeout', decidedBy: TIMEOUT_EVENT, trace: [...t.trace.slice(0, cutOff), DEADLINE_MARK, TIMEOUT_EVENT, `… late ${pending}`, reactionLabel(r.participant, r.step, r.phase)] });
        }
      }
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
    // Was this event on its way when the outcome was decided? Its forward reactions are then late.
    const flight = next.inFlight.indexOf(event);
    const late = flight >= 0;
    if (late) next.inFlight.splice(flight, 1);
    fire(next, byEvent.get(event) ?? [], 0, late ? event : undefined);
  };

  const emit = (s: RunState, event: string): void => {
    s.queue.push(event);
    s.trace.push(event);
    if (isTerminal(def, event)) s.terminalEmitted = true;
  };

  /** Marks the outcome decided by `by` (the first time): the events queued now are on their way. */
  const decide = (s: RunState, by: string): void => {
    if (s.decidedBy !== undefined) return;
    s.decidedBy = by;
    s.inFlight = [...s.queue];
  };

  const fire = (s: RunState, rs: readonly Reaction[], i: number, lateEvent?: string): void => {
    if (capped) return;
    const r = rs[i];
    if (!r) {
      explore(s);
      return;
    }
    if (s.fired.has(reactionKey(r))) {
      fire(s, rs, i + 1, lateEvent);
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
      fire(t, rs, i + 1, lateEvent);
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
      fire(t, rs, i + 1, lateEvent);
      return;
    }
    const successes = r.spec.emits ?? [];
    const failures = r.spec.failsWith ?? [];
    if (successes.length === 0 && failures.length === 0) {
      const t = clone(s);
      t.fired.add(reactionKey(r));
      t.lastReaction = { participant: r.participant, step: r.step };
      t.trace.push(reactionLabel(r.participant, r.step, r.phase));
      fire(t, rs, i + 1, lateEvent);
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
      if (lateEvent !== undefined) {
        // Committed after the outcome was decided; what it emits is on the same late path.
        t.late.push({ participant: r.participant, step: r.step, event: lateEvent, how: t.decidedBy === TIMEOUT_EVENT ? 'timeout' : 'failure', decidedBy: t.decidedBy!, trace: [...t.trace] });
        t.inFlight.push(outcome);
      }
      emit(t, outcome);
      if (isTerminal(def, outcome) === 'failure' && !t.pivotDone) decide(t, outcome);
      // The other reactions to this event run concurrently with this one: once the outcome is decided, they are late too.
      fire(t, rs, i + 1, lateEvent ?? (t.decidedBy !== undefined ? r.event : undefined));
    }
    for (const outcome of failures) {
      if (capped) return;
      const t = clone(s);
      t.fired.add(reactionKey(r));
      t.lastReaction = { participant: r.participant, step: r.step };
      if (!t.pivotDone) {
        t.failures.push({ event: outcome, at: t.trace.length });
        decide(t, outcome);
      }
      t.failed = true;
      t.trace.push(`${reactionLabel(r.participant, r.step, r.phase)} (fails)`);
      emit(t, outcome);
      fire(t, rs, i + 1, lateEvent ?? (t.decidedBy !== undefined ? r.event : undefined));
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
    inFlight: [],
    late: [],
    pivotDone: false,
    terminalEmitted: false,
    failed: false,
    timedOut: false,
  });

  return { runs, capped, reachedTerminals, uncompensated: [...uncompensated.values()], deadEnds: [...deadEnds.values()], tcc: [...tcc.values()], late: [...late.values()] };
}
