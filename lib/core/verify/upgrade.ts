import type { AnySagaDefinition } from '../definition.js';
import { allReactions, isTerminal, type Reaction } from '../model.js';
import { reactionLabel, type VerificationFinding } from './types.js';

/**
 * What in-flight sagas of `previous` could not survive when `next` takes them over in place
 * (`migratesFrom`): `next`'s participants, tracker and reconciler then serve those sagas, so every
 * reaction a `previous` saga may still need must exist in `next` with the same trigger, every event
 * it may still carry must be declared, terminals must mean the same, and the deadline should not
 * shrink under it. A previous version whose own participants stay deployed needs none of this (its
 * sagas never meet `next`'s participants), so nothing is reported for it.
 *
 * Payload schemas are not compared (a Standard Schema cannot be inspected): keep every field a
 * `previous` event carries readable by `next`'s schemas.
 *
 * @example
 * ```ts
 * const v2 = defineSaga({ ...input, version: 2, previousVersions: [v1], migratesFrom: [1] });
 * verifyUpgrade(v1, v2); // [] when v2 can finish every v1 saga in flight
 * ```
 */
export function verifyUpgrade(previous: AnySagaDefinition, next: AnySagaDefinition): VerificationFinding[] {
  if (!(next.migratesFrom ?? []).includes(previous.version)) return [];
  const out: VerificationFinding[] = [];
  const v = `v${previous.version}`;
  const w = `v${next.version}`;
  const nextReactions = allReactions(next).filter((r) => !r.expiry);
  const sameReaction = (r: Reaction) => nextReactions.some((n) => n.participant === r.participant && n.step === r.step && n.phase === r.phase && n.event === r.event);
  for (const r of allReactions(previous).filter((x) => !x.expiry)) {
    if (sameReaction(r)) continue;
    const label = reactionLabel(r.participant, r.step, r.phase);
    const consequence =
      r.phase === 'compensate'
        ? `a ${v} saga whose ${r.participant}.${r.step} already committed could never be compensated`
        : r.phase === 'confirm'
          ? `a ${v} saga's reservation at ${r.participant}.${r.step} would never be confirmed`
          : `a ${v} saga waiting at ${r.event} would stall`;
    out.push({
      code: 'upgrade-reaction-dropped',
      severity: 'error',
      participant: r.participant,
      step: r.step,
      event: r.event,
      message: `${w} migrates ${v} sagas in flight, but ${v}'s ${label} on "${r.event}" has no counterpart in ${w}: ${consequence}. Keep that reaction (same participant, step and trigger) in ${w}, or keep ${v}'s participants deployed until it drains (drop ${previous.version} from migratesFrom).`,
    });
  }
  for (const event of Object.keys(previous.events)) {
    if (event in next.events) continue;
    out.push({
      code: 'upgrade-event-dropped',
      severity: 'error',
      event,
      message: `${w} migrates ${v} sagas in flight, but does not declare ${v}'s event "${event}": its tracker would reject such an event of a ${v} saga as unknown. Keep "${event}" in ${w}'s events until ${v} has drained.`,
    });
  }
  for (const event of Object.keys(previous.events)) {
    const before = isTerminal(previous, event);
    const after = isTerminal(next, event);
    if (before === after || !(event in next.events)) continue;
    out.push({
      code: 'upgrade-terminal-changed',
      severity: 'error',
      event,
      message: `${w} migrates ${v} sagas in flight, but "${event}" is ${describe(before)} in ${v} and ${describe(after)} in ${w}: a ${v} saga would be judged done or open by rules it never ran under. Keep the terminals of ${v}'s events as they were.`,
    });
  }
  if (next.deadlineSeconds < previous.deadlineSeconds) {
    out.push({
      code: 'upgrade-deadline-shorter',
      severity: 'warning',
      message: `${w} migrates ${v} sagas in flight and shortens the deadline from ${previous.deadlineSeconds} s to ${next.deadlineSeconds} s: ${v} sagas are timed out by ${w}'s deadline once it records their next event, and some may time out at once.`,
    });
  }
  return out;
}

const describe = (t: 'success' | 'failure' | undefined): string => (t === undefined ? 'not terminal' : `a ${t} terminal`);
