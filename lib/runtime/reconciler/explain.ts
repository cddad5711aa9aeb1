import type { AnySagaDefinition } from '../../core/definition.js';
import { stepKey } from '../../core/keys.js';
import { allReactions, participantNames, type Phase } from '../../core/model.js';
import type { BarrierRecord, BarrierState } from '../participant/index.js';
import type { SagaFailure, TrackedSaga } from './types.js';
import type { TimelineEntry } from '../shared/saga-record.js';

/** One declared step of a saga and what its step record says. */
export interface StepView {
  readonly participant: string;
  readonly step: string;
  readonly state: BarrierState | 'absent';
  readonly forwardAt?: string;
  readonly compensatedAt?: string;
  readonly reason?: string;
}

/** A reaction whose trigger arrived but whose effect is missing. */
export interface StuckStep {
  readonly participant: string;
  readonly step: string;
  readonly phase: Phase;
  readonly trigger: TimelineEntry;
  readonly state: BarrierState | 'absent';
  readonly why: string;
  readonly failure?: SagaFailure;
}

export interface SagaExplanation {
  readonly steps: readonly StepView[];
  readonly stuck: readonly StuckStep[];
  /** Events a step record says were emitted but that the saga record never saw (lost publishes). */
  readonly lostEvents: readonly { readonly eventId: string; readonly emittedBy: string }[];
  /** One line: why the saga is where it is. */
  readonly summary: string;
}

/** Reads every step record of a saga: one consistent query per participant partition. */
export async function loadStepRecords(def: AnySagaDefinition, sagaId: string, partition: (pk: string) => Promise<Record<string, unknown>[]>): Promise<BarrierRecord[]> {
  const parts = await Promise.all(participantNames(def).map((p) => partition(stepKey(p, sagaId, '').pk)));
  return parts.flat().filter((i) => i.kind === 'step') as unknown as BarrierRecord[];
}

const PHASE_LABEL: Record<string, string> = { forward: 'forward step', compensate: 'compensation', confirm: 'confirmation' };
const label = (s: { participant: string; step: string; phase: Phase }): string => `${s.participant}.${s.step} ${PHASE_LABEL[s.phase] ?? s.phase}`;
/** Step states in which a reaction of the given phase has had its effect. */
const SETTLED: Record<string, readonly string[]> = { compensate: ['compensated', 'voided'], confirm: ['confirmed', 'compensated', 'voided'] };

/**
 * Explains a saga from its definition, its timeline and its participants' step records: which
 * steps are done / compensated / voided, which reaction was triggered but has no effect (the stuck
 * step), and which emitted events never reached the tracker. Pure; used by the reconciler to word
 * a flag and by `saga inspect`.
 */
export function explainSaga(def: AnySagaDefinition, record: TrackedSaga, stepRecords: readonly BarrierRecord[]): SagaExplanation {
  const byStep = new Map(stepRecords.map((r) => [`${r.participant}.${r.step}`, r]));
  const seenTypes = new Map<string, TimelineEntry>();
  for (const t of record.timeline) if (!seenTypes.has(t.type)) seenTypes.set(t.type, t);
  const steps: StepView[] = [];
  for (const [participant, p] of Object.entries(def.participants as Record<string, { steps: Record<string, unknown> }>)) {
    for (const step of Object.keys(p.steps)) {
      const r = byStep.get(`${participant}.${step}`);
      steps.push({
        participant,
        step,
        state: r?.state ?? 'absent',
        ...(r?.forwardAt ? { forwardAt: r.forwardAt } : {}),
        ...(r?.compensatedAt ? { compensatedAt: r.compensatedAt } : {}),
        ...(r?.reason ? { reason: r.reason } : {}),
      });
    }
  }
  const stuck: StuckStep[] = [];
  const reported = new Set<string>();
  for (const r of allReactions(def)) {
    const trigger = seenTypes.get(r.event);
    const key = `${r.participant}.${r.step}.${r.phase}`;
    // Framework-addressed reactions (a TCC reservation's expiry) are not triggered by the saga's own flow.
    if (!trigger || reported.has(key) || ('expiry' in r && r.expiry)) continue;
    const state = byStep.get(`${r.participant}.${r.step}`)?.state ?? 'absent';
    let why: string | undefined;
    if (r.phase === 'forward') {
      // A forward step that never ran is fine once its compensation was triggered (it leaves a tombstone).
      const compensationTriggered = (r.spec.compensation?.on ?? []).some((e) => seenTypes.has(e));
      if (state === 'absent' && !compensationTriggered) why = `has not run although ${r.event} arrived at ${trigger.at}`;
    } else if (!(SETTLED[r.phase] ?? []).includes(state) && !(r.phase === 'compensate' && r.spec.pivot && state === 'done')) {
      why = state === 'absent' ? `has not run (no step record) although ${r.event} arrived at ${trigger.at}` : `has not run: the step is still '${state}' although ${r.event} arrived at ${trigger.at}`;
    }
    if (!why) continue;
    reported.add(key);
    const failure = [...(record.failures ?? [])].reverse().find((f) => f.participant === r.participant && (!f.step || f.step === r.step) && (!f.phase || f.phase === r.phase));
    if (failure) why += `; its message ${failure.messageId} failed ${failure.receiveCount} time(s) (last error: ${failure.error}) and went to the ${r.participant} DLQ`;
    stuck.push({ participant: r.participant, step: r.step, phase: r.phase, trigger, state, why, ...(failure ? { failure } : {}) });
  }
  // Compensations first: they are what keeps a failing saga from ending.
  stuck.sort((a, b) => (a.phase === b.phase ? 0 : a.phase === 'compensate' ? -1 : 1));
  const seenIds = new Set(record.timeline.map((t) => t.eventId));
  const lostEvents = stepRecords.flatMap((r) =>
    [...(r.emitted ?? []), ...(r.compensationEmitted ?? [])].filter((id) => !seenIds.has(id)).map((eventId) => ({ eventId, emittedBy: `${r.participant}.${r.step}` })),
  );
  return { steps, stuck, lostEvents, summary: summarize(record, stuck, lostEvents) };
}

function summarize(record: TrackedSaga, stuck: readonly StuckStep[], lost: SagaExplanation['lostEvents']): string {
  if (record.status === 'completed' || record.status === 'compensated') return `finished: ${record.status} (${record.terminalEvent ?? 'terminal event'})`;
  const first = stuck[0];
  if (first) {
    const more = stuck.length > 1 ? ` (and ${stuck.length - 1} more: ${stuck.slice(1).map(label).join(', ')})` : '';
    return `stuck at ${label(first)}: it ${first.why}${more}`;
  }
  if (lost.length > 0) return `events emitted but never published: ${lost.map((l) => `${l.eventId} by ${l.emittedBy}`).join(', ')}`;
  if (record.status === 'running') return `running; waiting for the next step (deadline ${record.deadline})`;
  return 'no step explains the stall from the step records; check the participants\' logs and DLQs';
}
