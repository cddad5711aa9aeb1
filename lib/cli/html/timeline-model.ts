import { INITIATOR, RECONCILER, RESERVATION_EXPIRED_EVENT, TIMEOUT_EVENT, type AnySagaDefinition, type StepSpec } from '../../core/definition.js';
import { isTerminal, participantNames } from '../../core/model.js';
import type { DeadLetterView, Inspection } from '../../runtime/operator/index.js';
import type { TimelineEntry } from '../../runtime/shared/index.js';

/** What an event on the timeline is, for its mark's shape and colour. */
export type EventKind = 'start' | 'forward' | 'failure' | 'compensation' | 'confirmation' | 'timeout';

type Participants = Record<string, { readonly steps: Record<string, StepSpec> }>;

/**
 * The kind of a timeline event, from who produced it and what the producer's steps declare:
 * emitted by a compensation → `compensation`, declared in `failsWith` → `failure`, by a
 * confirmation → `confirmation`; the start and the framework's timeout events by name.
 */
export function eventKind(def: AnySagaDefinition, entry: Pick<TimelineEntry, 'type' | 'producer'>): EventKind {
  if (entry.type === TIMEOUT_EVENT || entry.type === RESERVATION_EXPIRED_EVENT) return 'timeout';
  if (entry.producer === INITIATOR && entry.type === def.start) return 'start';
  const steps = Object.values((def.participants as Participants)[entry.producer]?.steps ?? {});
  if (steps.some((s) => s.compensation?.emits.includes(entry.type))) return 'compensation';
  if (steps.some((s) => s.failsWith?.includes(entry.type))) return 'failure';
  if (steps.some((s) => s.confirmation?.emits?.includes(entry.type))) return 'confirmation';
  return 'forward';
}

/** `success` / `failure` when the event ends the saga. */
export const terminalOf = (def: AnySagaDefinition, type: string): 'success' | 'failure' | undefined => isTerminal(def, type);

/**
 * Lanes top to bottom: the initiator, each participant in the definition's order, the reconciler,
 * then any other producer found in the timeline (e.g. the notifier) and, when the saga has notes,
 * the operator.
 */
export function laneNames(def: AnySagaDefinition, inspection: Inspection): string[] {
  const lanes = [INITIATOR, ...participantNames(def), RECONCILER];
  for (const t of inspection.saga.timeline) if (!lanes.includes(t.producer)) lanes.push(t.producer);
  if (inspection.saga.notes?.length) lanes.push('operator');
  return lanes;
}

/** Every time the page draws, as epoch ms: the axis spans them. */
export function timesOf(inspection: Inspection, deadLetters: readonly DeadLetterView[]): number[] {
  const { saga, explanation } = inspection;
  const iso = [
    saga.startedAt,
    ...saga.timeline.map((t) => t.at),
    ...explanation.steps.flatMap((s) => [s.forwardAt, s.compensatedAt]),
    ...(saga.failures ?? []).map((f) => f.at),
    ...deadLetters.map((d) => d.failedAt),
    ...(saga.notes ?? []).map((n) => n.at),
    saga.flaggedAt,
    saga.resolvedAt,
    saga.timeoutPublishedAt,
  ];
  return iso.filter((t): t is string => typeof t === 'string').map((t) => Date.parse(t)).filter((t) => Number.isFinite(t));
}

/** A linear time axis over [from, to] onto [left, right] px, with round tick values. */
export interface TimeAxis {
  readonly from: number;
  readonly to: number;
  x(t: number): number;
  readonly ticks: readonly number[];
}

const NICE = [1, 2, 5];

/** The axis for the saga's times, padded a little, ticks at 1/2/5 × 10^k ms from the start. */
export function timeAxis(start: number, times: readonly number[], left: number, right: number): TimeAxis {
  const end = Math.max(start + 1, ...times);
  const pad = (end - start) * 0.03;
  const from = start - pad;
  const to = end + pad;
  const x = (t: number) => left + ((t - from) / (to - from)) * (right - left);
  const rough = (end - start) / 6;
  let step = 1;
  for (let p = 1; step < rough; p *= 10) for (const n of NICE) if (step < rough) step = n * p;
  const ticks: number[] = [];
  for (let t = start; t <= end + 1e-9 && ticks.length < 40; t += step) ticks.push(t);
  return { from, to, x, ticks };
}

/** An offset from the start, short: `+850 ms`, `+12.4 s`, `+3 min 5 s`. */
export function offsetText(ms: number): string {
  if (ms < 1000) return `+${Math.round(ms)} ms`;
  if (ms < 60_000) return `+${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `+${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}
