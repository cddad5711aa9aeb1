import { verifyUpgrade } from './upgrade.js';
import { TIMEOUT_EVENT, type AnySagaDefinition } from '../definition.js';
import { allReactions, isTerminal, producersOf, type Reaction } from '../model.js';
import { analysePaths, MAX_RUNS, type PathAnalysis } from './paths.js';
import { checkCompensationOnSuccess, checkCycles, checkDuplicates, checkStepDeadlines, checkUnconsumed, checkUnproduced } from './structure.js';
import { sortFindings, VerificationError, type VerificationFinding } from './types.js';

export { FINDING_CODES, VerificationError, type FindingCode, type FindingSeverity, type VerificationFinding } from './types.js';
export { verifyUpgrade } from './upgrade.js';
export { analysePaths, DEADLINE_MARK, MAX_RUNS, type DeadEnd, type LateEffect, type PathAnalysis, type TccProblem, type UncompensatedStep } from './paths.js';

export interface VerifyOptions {
  /** Upper bound on runs the path analysis enumerates. @default 10000 */
  readonly maxRuns?: number;
}

/**
 * Checks a saga definition's choreography statically and returns every finding, errors first,
 * in a deterministic order. An empty list (or warnings only) means the definition is sound:
 * every consumed event is produced, every produced event is consumed or terminal, there is no
 * reaction cycle, no participant reacts twice to one event, every step with an effect is
 * compensated on every failure path before the pivot, no effect can commit after the outcome is
 * decided without being undone or refused, and every run ends in a terminal event.
 */
export function verifyDefinition(def: AnySagaDefinition, options: VerifyOptions = {}): VerificationFinding[] {
  // The implicit ReservationExpired reactions of TCC steps are the reconciler's safety net, not
  // part of the choreography: they are left out of every rule.
  const reactions = allReactions(def).filter((r) => !r.expiry);
  const paths = analysePaths(def, reactions, options.maxRuns ?? MAX_RUNS);
  return sortFindings([
    ...checkUnproduced(def, reactions),
    ...checkUnconsumed(def, reactions),
    ...checkCycles(def, reactions),
    ...checkDuplicates(reactions),
    ...missingCompensation(def, reactions, paths),
    // A step already reported as missing a compensation on that recovery has the same fix.
    ...lateEffects(reactions, paths).filter((l) => !paths.uncompensated.some((u) => u.participant === l.participant && u.step === l.step)),
    ...terminalFindings(def, reactions, paths),
    ...tccFindings(reactions, paths),
    ...checkCompensationOnSuccess(def, reactions),
    ...checkStepDeadlines(def),
    // A version that takes over in-flight sagas of an older one must be able to finish them.
    ...(def.previousVersions ?? []).flatMap((previous) => verifyUpgrade(previous, def)),
    ...(paths.capped
      ? [
          {
            code: 'path-analysis-capped' as const,
            severity: 'warning' as const,
            message:
              `Path analysis stopped after ${paths.runs} runs (the cap); missing compensations and unreachable terminals are only checked on the runs seen ` +
              `and by a coarser graph check. Split the saga or reduce alternative outcomes (emits/failsWith) to get a complete check.`,
          },
        ]
      : []),
  ]);
}

/** Throws {@link VerificationError} listing every error finding; returns the warnings otherwise. */
export function assertValidDefinition(def: AnySagaDefinition, options: VerifyOptions = {}): VerificationFinding[] {
  const findings = verifyDefinition(def, options);
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) throw new VerificationError(def.name, errors);
  return findings;
}

const quoted = (items: readonly string[]): string => items.map((i) => `"${i}"`).join(', ');

function missingCompensation(def: AnySagaDefinition, reactions: readonly Reaction[], paths: PathAnalysis): VerificationFinding[] {
  const out: VerificationFinding[] = [];
  const reported = new Set<string>();
  for (const u of paths.uncompensated) {
    const spec = reactions.find((r) => r.participant === u.participant && r.step === u.step)?.spec;
    const emits = quoted(spec?.emits ?? []);
    const path = u.path.join(' → ');
    const candidates = u.continuation.length > 0 ? quoted(u.continuation) : `"${u.failure}"`;
    reported.add(`${u.participant}.${u.step}`);
    out.push({
      code: 'missing-compensation',
      severity: 'error',
      event: u.failure,
      participant: u.participant,
      step: u.step,
      message: spec?.compensation
        ? `The compensation of ${u.participant}.${u.step} (on ${quoted(spec.compensation.on)}) is not triggered after failure "${u.failure}", ` +
          `so its effect (emits ${emits}) stays in place on the run: ${path}. ` +
          `Add one of the events of that recovery (${candidates}) to its compensation "on", or make a compensation on that path emit one of its triggers.`
        : `Step ${u.participant}.${u.step} has a forward effect (emits ${emits}) but no compensation, and the saga can fail after it with "${u.failure}": ${path}. ` +
          `Add \`compensation: { on: [...], emits: [...] }\` triggered by an event of that recovery (${candidates}), or mark the step pivot / mustSucceed if it cannot be undone.`,
    });
  }
  if (!paths.capped) return out;
  // Coarse fallback when the enumeration was cut short: a step with an effect, no compensation,
  // not pivot/mustSucceed, whose success event is not terminal (so a timeout can follow it).
  for (const r of reactions) {
    if (r.phase !== 'forward' || r.spec.pivot || r.spec.mustSucceed || r.spec.compensation) continue;
    const emits = r.spec.emits ?? [];
    // Even a step whose events are all terminal: its event can arrive after a timeout decided the outcome.
    if (emits.length === 0 || reported.has(`${r.participant}.${r.step}`)) continue;
    out.push({
      code: 'missing-compensation',
      severity: 'error',
      participant: r.participant,
      step: r.step,
      message:
        `Step ${r.participant}.${r.step} has a forward effect (emits ${quoted(emits)}) but no compensation, and the saga can still fail or time out after it. ` +
        `Add \`compensation: { on: [...], emits: [...] }\` (e.g. on "${TIMEOUT_EVENT}" or a failure event), or mark the step pivot / mustSucceed.`,
    });
  }
  return out;
}

function lateEffects(reactions: readonly Reaction[], paths: PathAnalysis): VerificationFinding[] {
  return paths.late.map((l) => {
    const spec = reactions.find((r) => r.participant === l.participant && r.step === l.step && r.phase === 'forward')?.spec;
    const emits = quoted(spec?.emits ?? []);
    const when = l.how === 'timeout' ? `the deadline passed while "${l.event}" was on its way` : `failure "${l.decidedBy}" decided the outcome while "${l.event}" was on its way`;
    const fix = spec?.compensation
      ? `Its compensation (on ${quoted(spec.compensation.on)}) does not run on that recovery: add ${l.how === 'timeout' ? `"${TIMEOUT_EVENT}" or ` : ''}an event of it to the compensation "on"`
      : `Give it a compensation triggered by that recovery (e.g. \`compensation: { on: ["${l.how === 'timeout' ? TIMEOUT_EVENT : l.decidedBy}"], emits: [...] }\`; its null compensation also refuses the late step)`;
    return {
      code: 'late-effect' as const,
      severity: 'error' as const,
      event: l.event,
      participant: l.participant,
      step: l.step,
      message:
        `Step ${l.participant}.${l.step} can commit after the saga's outcome was decided (${when}), and nothing on that run undoes or refuses it: ${l.path.join(' → ')}. ` +
        `Its effect (emits ${emits}) would stand in a saga that ended in failure — atomicity broken. ` +
        `${fix}; or make it the pivot with a compensation on "${TIMEOUT_EVENT}" (ctx.ignore() once it committed); or mark it mustSucceed with forward recovery.`,
    };
  });
}

function terminalFindings(def: AnySagaDefinition, reactions: readonly Reaction[], paths: PathAnalysis): VerificationFinding[] {
  const out: VerificationFinding[] = [];
  const graphReachable = reachableEvents(def, reactions);
  const terminals = [...new Set<string>([...def.terminal.success, ...def.terminal.failure])];
  for (const event of terminals) {
    if (paths.reachedTerminals.has(event)) continue;
    if (paths.capped && graphReachable.has(event)) continue;
    const kind = isTerminal(def, event);
    const producers = producersOf(def, event);
    out.push({
      code: 'unreachable-terminal',
      severity: 'error',
      event,
      message:
        producers.length === 0
          ? `Terminal event "${event}" (${kind}) is never reached: nothing produces it. Emit it from the step that ends the saga, or remove it from terminal.${kind}.`
          : `Terminal event "${event}" (${kind}) is never reached: its producers (${producers.join(', ')}) never emit it on any run of the saga ` +
            `(checked ${paths.runs} runs). Make the step that emits it reachable from "${def.start}" or a failure event, or remove it from terminal.${kind}.`,
    });
  }
  for (const dead of paths.deadEnds) {
    out.push({
      code: 'no-terminal-reachable',
      severity: 'error',
      event: dead.lastEvent,
      ...(dead.lastReaction ? { participant: dead.lastReaction.participant, step: dead.lastReaction.step } : {}),
      message:
        `A run ends without reaching any terminal event (after "${dead.lastEvent}"${dead.lastReaction ? `, last reaction ${dead.lastReaction.participant}.${dead.lastReaction.step}` : ''}): ` +
        `${dead.path.join(' → ')}. The saga would stay open until its deadline. Make the last reaction emit an event that leads to terminal.success / terminal.failure, or declare its event terminal.`,
    });
  }
  return out;
}

function tccFindings(reactions: readonly Reaction[], paths: PathAnalysis): VerificationFinding[] {
  return paths.tcc.map((p) => {
    const spec = reactions.find((r) => r.participant === p.participant && r.step === p.step)?.spec;
    const confirmOn = quoted(spec?.confirmation?.on ?? []);
    const cancelOn = quoted(spec?.compensation?.on ?? []);
    const path = p.path.join(' → ');
    const where = { participant: p.participant, step: p.step, severity: 'error' as const };
    if (p.kind === 'confirm-without-try') {
      return {
        ...where,
        code: 'confirmation-without-try' as const,
        message:
          `The confirm of TCC step ${p.participant}.${p.step} (on ${confirmOn}) can run although its try did not succeed: ${path}. ` +
          `A confirm is the commit of an application-level 2PC and needs the try's "yes" first (vote collection): trigger it with an event that is only produced after the try succeeded, such as the saga's success terminal.`,
      };
    }
    if (p.kind === 'unconfirmed') {
      return {
        ...where,
        code: 'unconfirmed-reservation' as const,
        message:
          `TCC step ${p.participant}.${p.step} reserves on a run that ends in success but neither its confirm (on ${confirmOn}) nor its cancel runs: ${path}. ` +
          `The reservation would stay frozen until it expires. Add the success terminal of that run to its confirmation "on".`,
      };
    }
    return {
      ...where,
      code: 'cancel-after-confirm' as const,
      message:
        `TCC step ${p.participant}.${p.step} is both confirmed (on ${confirmOn}) and cancelled (on ${cancelOn}) on one run: ${path}. ` +
        `The runtime refuses the second phase and flags it; trigger the confirm only with the success terminal and the cancel only with failure events.`,
    };
  });
}

/** Events reachable in the reaction graph from the start and timeout events. */
function reachableEvents(def: AnySagaDefinition, reactions: readonly Reaction[]): Set<string> {
  const seen = new Set<string>([def.start, TIMEOUT_EVENT]);
  const queue = [...seen];
  while (queue.length > 0) {
    const event = queue.shift()!;
    for (const r of reactions) {
      if (r.event !== event) continue;
      for (const e of r.mayEmit) {
        if (!seen.has(e)) {
          seen.add(e);
          queue.push(e);
        }
      }
    }
  }
  return seen;
}
