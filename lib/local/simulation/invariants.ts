import { INITIATOR, RECONCILER, type AnySagaDefinition, type StepSpec } from '../../core/definition.js';
import { isTerminal } from '../../core/model.js';
import { definitionForVersion } from '../../core/versions.js';
import type { InjectedPoison } from '../faults.js';
import type { StoredData, StoredStep } from './stored-data.js';

/**
 * The invariants a simulation run is held to. The generic ones hold for every saga definition; an
 * application adds its own (stock, money …) through {@link AppInvariants}.
 */
export const GENERIC_INVARIANTS = [
  /** Every saga is completed, compensated, or flagged `failed-needs-attention` — none left open. */
  'saga-ends',
  /** A flagged saga says why. */
  'flag-has-reason',
  /** A saga ends one way: its timeline never holds both a success and a failure terminal event, and its status matches its terminal event. */
  'terminal-consistent',
  /** A `compensated` step ran forward first; a `voided` one is a null compensation or undoes a failed forward. */
  'compensation-after-forward',
  /** A compensated saga leaves no step `done` that has a compensation: no forward effect survives (or arrived after) its compensation. */
  'compensated-saga-undone',
  /** A TCC reservation is settled when its saga ends: confirmed in a completed saga, never left `done`, never confirmed in a compensated one. */
  'tcc-settled',
  /** Step record and outbox rows were written together: every emitted event has its row, every row its step. */
  'step-atomic',
  /** Every outbox row reached the bus (itself or its republished copy). */
  'outbox-published',
  /** The saga record holds every event the saga's participants published (the tracker missed none). */
  'tracker-complete',
  /** Every injected poison message is kept in a rejection record with its specific reason and its body. */
  'poison-kept',
  /** No genuine message was rejected. */
  'no-unexpected-rejection',
  /** No saga record exists for a saga nobody started. */
  'no-unexpected-saga',
  /** A saga runs on the version it started on: its record and every event it published carry that version, none is flagged for mixed versions. */
  'version-pinned',
] as const;
export type GenericInvariant = (typeof GENERIC_INVARIANTS)[number];

/** One broken invariant, with what the stored data showed. */
export interface Violation {
  readonly invariant: string;
  readonly sagaId?: string;
  readonly subject?: string;
  readonly message: string;
}

export interface SagaSummary {
  total: number;
  completed: number;
  compensated: number;
  flagged: number;
  open: number;
}

export interface GenericCheckInput {
  readonly def: AnySagaDefinition;
  readonly data: StoredData;
  /** Ids of the sagas the simulation started. */
  readonly sagaIds: readonly string[];
  /** Envelope event ids the bus accepted (its archive). */
  readonly published: ReadonlySet<string>;
  readonly poison: readonly InjectedPoison[];
  /** The key-space consumer name a local-cloud consumer writes its rejections under. */
  readonly rejectionConsumerOf: (consumer: string) => string;
  /** The definition version each saga started on (sagaId → version). @default `def.version` for every saga */
  readonly startVersions?: ReadonlyMap<string, number>;
}

export interface GenericCheckResult {
  readonly summary: SagaSummary;
  readonly violations: Violation[];
  readonly openSagas: string[];
}

const TERMINAL = new Set(['completed', 'compensated']);
const FLAGGED = 'failed-needs-attention';

/** The definition a stored saga runs on, served by the newest one (`def`). */
const defOf = (def: AnySagaDefinition, version: number | undefined): AnySagaDefinition => (version === undefined ? def : (definitionForVersion(def, version) ?? def));

function stepSpec(def: AnySagaDefinition, participant: string, step: string): StepSpec | undefined {
  return (def.participants as Record<string, { steps: Record<string, StepSpec> } | undefined>)[participant]?.steps[step];
}

/** Checks the generic invariants against the stored data. */
export function checkGenericInvariants(input: GenericCheckInput): GenericCheckResult {
  const { def, data } = input;
  const violations: Violation[] = [];
  const add = (invariant: GenericInvariant, message: string, where: { sagaId?: string; subject?: string } = {}) => violations.push({ invariant, ...where, message });
  const summary: SagaSummary = { total: input.sagaIds.length, completed: 0, compensated: 0, flagged: 0, open: 0 };
  const openSagas: string[] = [];
  const expected = new Set(input.sagaIds);

  for (const sagaId of input.sagaIds) {
    const saga = data.sagas.get(sagaId);
    if (!saga) {
      summary.open++;
      openSagas.push(sagaId);
      add('saga-ends', 'no saga record: the tracker never saw an event of this saga', { sagaId });
      continue;
    }
    if (saga.status === 'completed') summary.completed++;
    else if (saga.status === 'compensated') summary.compensated++;
    else if (saga.status === FLAGGED) {
      summary.flagged++;
      if (!saga.flaggedReason?.trim()) add('flag-has-reason', 'flagged failed-needs-attention without a reason', { sagaId });
    } else {
      summary.open++;
      openSagas.push(sagaId);
      add('saga-ends', `still ${saga.status}`, { sagaId });
    }
    const sagaDef = defOf(def, saga.definitionVersion);
    const terminals = new Set(saga.timeline.map((t) => isTerminal(sagaDef, t.type)).filter((t) => t !== undefined));
    if (terminals.size > 1) {
      add('terminal-consistent', `timeline holds both success and failure terminal events: ${saga.timeline.filter((t) => isTerminal(sagaDef, t.type)).map((t) => t.type).join(', ')}`, { sagaId });
    }
    if (TERMINAL.has(saga.status)) {
      const wanted = saga.status === 'completed' ? 'success' : 'failure';
      if (!saga.terminalEvent || isTerminal(sagaDef, saga.terminalEvent) !== wanted) {
        add('terminal-consistent', `status ${saga.status} but terminal event ${JSON.stringify(saga.terminalEvent)}`, { sagaId });
      }
    }
  }
  for (const sagaId of data.sagas.keys()) if (!expected.has(sagaId)) add('no-unexpected-saga', 'a saga record exists for a saga the simulation never started', { sagaId });

  checkSteps(input, add);
  checkVersions(input, add);
  checkOutbox(input, add);
  checkRejections(input, add);
  return { summary, violations, openSagas };
}

type Add = (invariant: GenericInvariant, message: string, where?: { sagaId?: string; subject?: string }) => void;

function checkSteps({ def, data }: GenericCheckInput, add: Add): void {
  for (const [sagaId, steps] of data.steps) {
    const status = data.sagas.get(sagaId)?.status;
    for (const s of steps) {
      if (s.participant === INITIATOR) continue;
      const subject = `${s.participant}.${s.step}`;
      const where = { sagaId, subject };
      switch (s.state) {
        case 'compensated':
          if (!s.forwardEventId || !s.forwardAt) add('compensation-after-forward', 'compensated, but the step record shows no forward step', where);
          else if (!s.compensatedAt || s.compensatedAt < s.forwardAt) add('compensation-after-forward', `compensated at ${s.compensatedAt}, before its forward step at ${s.forwardAt}`, where);
          if (!s.compensateEventId) add('compensation-after-forward', 'compensated without the compensating event id', where);
          break;
        case 'voided':
          if (!s.compensateEventId) add('compensation-after-forward', 'voided without the compensating event id', where);
          if (!s.forwardEventId && !/null compensation/.test(s.reason ?? '')) add('compensation-after-forward', `voided without a forward step and not recorded as a null compensation (reason ${JSON.stringify(s.reason)})`, where);
          break;
        case 'done':
        case 'failed':
          if (!s.forwardEventId) add('compensation-after-forward', `${s.state} without the forward event id`, where);
          if (s.compensateEventId) add('compensation-after-forward', `${s.state} but a compensation is recorded on it`, where);
          break;
        case 'confirmed':
          if (!s.forwardEventId || !s.confirmEventId) add('compensation-after-forward', 'confirmed without its try or its confirm event id', where);
          if (s.compensateEventId) add('tcc-settled', 'confirmed and cancelled', where);
          break;
        default:
          add('compensation-after-forward', `unknown barrier state ${JSON.stringify(s.state)}`, where);
      }
      const spec = stepSpec(defOf(def, data.sagas.get(sagaId)?.definitionVersion), s.participant, s.step);
      if (status === 'compensated' && s.state === 'done' && spec?.compensation) {
        add('compensated-saga-undone', 'the saga is compensated but this step is still done: its effect was never undone, or the forward step ran after its compensation', where);
      }
      if ((spec as { confirmation?: unknown } | undefined)?.confirmation && (status === 'completed' || status === 'compensated')) {
        const settled = status === 'completed' ? ['confirmed'] : ['compensated', 'voided', 'failed'];
        if (!settled.includes(s.state)) add('tcc-settled', `the saga is ${status} but its TCC reservation is ${s.state}`, where);
      }
    }
  }
}

function checkVersions({ def, data, startVersions }: GenericCheckInput, add: Add): void {
  const expectedOf = (sagaId: string): number => startVersions?.get(sagaId) ?? def.version;
  for (const saga of data.sagas.values()) {
    const expected = expectedOf(saga.sagaId);
    if (saga.definitionVersion !== undefined && saga.definitionVersion !== expected) {
      add('version-pinned', `the saga started on v${expected}, its record says v${saga.definitionVersion}`, { sagaId: saga.sagaId });
    }
    if (saga.flaggedReason?.startsWith('mixed definition versions')) add('version-pinned', saga.flaggedReason, { sagaId: saga.sagaId });
  }
  for (const r of data.outbox) {
    if (r.definitionVersion !== undefined && data.sagas.has(r.sagaId) && r.definitionVersion !== expectedOf(r.sagaId)) {
      add('version-pinned', `event ${r.type} carries v${r.definitionVersion}; its saga started on v${expectedOf(r.sagaId)}`, { sagaId: r.sagaId, subject: `${r.producer} ${r.type} ${r.eventId}` });
    }
  }
}

function checkOutbox({ data, published, sagaIds }: GenericCheckInput, add: Add): void {
  const rows = new Map<string, Set<string>>(); // pk → sort keys
  for (const r of data.outbox) {
    const set = rows.get(r.pk) ?? new Set<string>();
    set.add(r.sk);
    rows.set(r.pk, set);
  }
  const referenced = new Set<string>();
  const need = (s: StoredStep, producer: string, ids: readonly string[] | undefined, what: string) => {
    for (const id of ids ?? []) {
      const pk = `${producer}#outbox#${s.sagaId}`;
      referenced.add(`${pk}|event#${id}`);
      if (!rows.get(pk)?.has(`event#${id}`)) add('step-atomic', `${what} lists event ${id}, but no outbox row holds it`, { sagaId: s.sagaId, subject: `${s.participant}.${s.step}` });
    }
  };
  for (const steps of data.steps.values()) {
    for (const s of steps) {
      if (s.participant === INITIATOR) need(s, INITIATOR, s.forwardEventId ? [s.forwardEventId] : [], 'the start barrier');
      else {
        need(s, s.participant, s.emitted, 'the forward step');
        need(s, s.participant, s.compensationEmitted, 'the compensation');
        need(s, s.participant, s.confirmationEmitted, 'the confirm');
      }
    }
  }
  const expected = new Set(sagaIds);
  for (const r of data.outbox) {
    const where = { sagaId: r.sagaId, subject: `${r.producer} ${r.type} ${r.eventId}` };
    if (!r.republishOf && r.producer !== RECONCILER && !referenced.has(`${r.pk}|${r.sk}`)) {
      add('step-atomic', 'outbox row without a step record that emitted it: an event for a write that did not commit, or a step record overwritten', where);
    }
    if (!r.envelopeEventId || !published.has(r.envelopeEventId)) add('outbox-published', 'outbox row never reached the bus', where);
    const saga = data.sagas.get(r.sagaId);
    if (expected.has(r.sagaId) && saga && r.envelopeEventId && !saga.timeline.some((t) => t.eventId === r.envelopeEventId)) {
      add('tracker-complete', 'published event missing from the saga record timeline', where);
    }
  }
}

function checkRejections({ data, poison, rejectionConsumerOf }: GenericCheckInput, add: Add): void {
  const byKey = new Map(data.rejections.map((r) => [`${r.consumer}|${r.messageId}`, r]));
  const matched = new Set<string>();
  for (const p of poison) {
    const key = `${rejectionConsumerOf(p.consumer)}|${p.messageId}`;
    const r = byKey.get(key);
    const subject = `${p.consumer} ${p.kind} ${p.messageId}`;
    if (!r) {
      add('poison-kept', `poison message (${p.kind}) has no rejection record`, { subject });
      continue;
    }
    matched.add(key);
    if (r.reason !== p.expectedReason) add('poison-kept', `poison message (${p.kind}) rejected as ${r.reason}, expected ${p.expectedReason}`, { subject });
    const bodyOk = r.bodyTruncated ? p.body.startsWith(r.body) && r.bodyLength === p.body.length : r.body === p.body;
    if (!bodyOk) add('poison-kept', `poison message (${p.kind}) kept with a different body`, { subject });
  }
  for (const r of data.rejections) {
    if (!matched.has(`${r.consumer}|${r.messageId}`)) {
      add('no-unexpected-rejection', `message rejected as ${r.reason} by ${r.consumer}, but it was not injected poison`, { subject: `${r.consumer} ${r.messageId}`, ...(r.sagaId ? { sagaId: r.sagaId } : {}) });
    }
  }
}
