import { INITIATOR, RECONCILER, TIMEOUT_EVENT, type AnySagaDefinition, type StepSpec } from './definition.js';
import { allReactions, failureEvents, isTerminal, producersOf } from './model.js';

type Participants = Record<string, { readonly description?: string; readonly steps: Record<string, StepSpec> }>;

/** Every event of the definition in a stable order: start, declared events, the timeout event. */
function orderedEvents(def: AnySagaDefinition): string[] {
  return [...new Set<string>([def.start, ...Object.keys(def.events), TIMEOUT_EVENT])];
}

const safe = (s: string): string => s.replace(/[^A-Za-z0-9]/g, '_');
const eventId = (event: string): string => `ev_${safe(event)}`;
const stepId = (participant: string, step: string): string => `st_${safe(participant)}__${safe(step)}`;
/** Mermaid labels are quoted; a double quote inside becomes its entity. */
const label = (text: string): string => `"${text.replace(/"/g, '#quot;')}"`;

/**
 * Draws the choreography as a Mermaid `flowchart LR`: events are stadium nodes, participant steps
 * rectangles (`participant.step`, grouped per participant), solid arrows for forward triggers and
 * emits, dashed arrows labelled "compensate" for compensation triggers and emits. Failure events,
 * success terminals and failure terminals are styled with class definitions; the initiator and the
 * reconciler appear as the sources of the start and timeout events. Same definition → same text.
 */
export function toMermaid(def: AnySagaDefinition): string {
  const participants = def.participants as Participants;
  const failures = new Set(failureEvents(def));
  const lines: string[] = ['flowchart LR', `  %% saga "${def.name}" v${def.version}`];

  lines.push(`  src_${INITIATOR}((${label(INITIATOR)}))`, `  src_${RECONCILER}((${label(RECONCILER)}))`);
  for (const event of orderedEvents(def)) lines.push(`  ${eventId(event)}([${label(event)}])`);
  for (const [participant, p] of Object.entries(participants)) {
    lines.push(`  subgraph p_${safe(participant)}[${label(participant)}]`);
    for (const step of Object.keys(p.steps)) lines.push(`    ${stepId(participant, step)}[${label(`${participant}.${step}`)}]`);
    lines.push('  end');
  }

  lines.push(`  src_${INITIATOR} -->|start| ${eventId(def.start)}`, `  src_${RECONCILER} -.->|deadline| ${eventId(TIMEOUT_EVENT)}`);
  for (const [participant, p] of Object.entries(participants)) {
    for (const [step, spec] of Object.entries(p.steps)) {
      const id = stepId(participant, step);
      lines.push(`  ${eventId(spec.on)} --> ${id}`);
      for (const e of spec.emits ?? []) lines.push(`  ${id} --> ${eventId(e)}`);
      for (const e of spec.failsWith ?? []) lines.push(`  ${id} -->|fails| ${eventId(e)}`);
      for (const e of spec.compensation?.on ?? []) lines.push(`  ${eventId(e)} -.->|compensate| ${id}`);
      for (const e of spec.compensation?.emits ?? []) lines.push(`  ${id} -.->|compensate| ${eventId(e)}`);
      for (const e of spec.confirmation?.on ?? []) lines.push(`  ${eventId(e)} ==>|confirm| ${id}`);
      for (const e of spec.confirmation?.emits ?? []) lines.push(`  ${id} ==>|confirm| ${eventId(e)}`);
    }
  }

  const byClass: Record<'terminalSuccess' | 'terminalFailure' | 'failure', string[]> = { terminalSuccess: [], terminalFailure: [], failure: [] };
  for (const event of orderedEvents(def)) {
    const terminal = isTerminal(def, event);
    if (terminal === 'success') byClass.terminalSuccess.push(eventId(event));
    else if (terminal === 'failure') byClass.terminalFailure.push(eventId(event));
    else if (failures.has(event)) byClass.failure.push(eventId(event));
  }
  const pivots: string[] = [];
  const mustSucceed: string[] = [];
  for (const [participant, p] of Object.entries(participants)) {
    for (const [step, spec] of Object.entries(p.steps)) {
      if (spec.pivot) pivots.push(stepId(participant, step));
      if (spec.mustSucceed) mustSucceed.push(stepId(participant, step));
    }
  }
  lines.push(
    '  classDef source fill:#eeeeee,stroke:#555555,color:#222222',
    '  classDef failure fill:#fff3cd,stroke:#b8860b,color:#4d3800',
    '  classDef terminalSuccess fill:#d4edda,stroke:#1e7e34,stroke-width:3px,color:#0b3d17',
    '  classDef terminalFailure fill:#f8d7da,stroke:#b21f2d,stroke-width:3px,color:#5a0d14',
    '  classDef pivot stroke:#004085,stroke-width:3px',
    '  classDef mustSucceed stroke:#004085,stroke-dasharray:4 2',
    `  class src_${INITIATOR},src_${RECONCILER} source`,
  );
  for (const [cls, ids] of Object.entries(byClass)) if (ids.length > 0) lines.push(`  class ${ids.join(',')} ${cls}`);
  if (pivots.length > 0) lines.push(`  class ${pivots.join(',')} pivot`);
  if (mustSucceed.length > 0) lines.push(`  class ${mustSucceed.join(',')} mustSucceed`);
  return `${lines.join('\n')}\n`;
}

/**
 * A plain-text summary of the definition (participants, their steps, events with producers and
 * consumers, terminals) for terminals that cannot render Mermaid.
 */
export function toTextSummary(def: AnySagaDefinition): string {
  const participants = def.participants as Participants;
  const reactions = allReactions(def);
  const lines: string[] = [`Saga "${def.name}" v${def.version}${def.description ? ` — ${def.description}` : ''}`];
  lines.push(`  start: ${def.start} (from ${INITIATOR})`);
  lines.push(`  deadline: ${def.deadlineSeconds}s, then ${TIMEOUT_EVENT} (from ${RECONCILER})`);
  lines.push('', 'Participants:');
  for (const [participant, p] of Object.entries(participants)) {
    lines.push(`  ${participant}${p.description ? ` — ${p.description}` : ''}`);
    for (const [step, spec] of Object.entries(p.steps)) {
      const flags = [spec.pivot ? 'pivot' : '', spec.mustSucceed ? 'must succeed' : '', spec.confirmation ? 'TCC: try / confirm / cancel' : ''].filter(Boolean);
      const outcomes = [
        (spec.emits ?? []).length > 0 ? `emits ${(spec.emits ?? []).join(' | ')}` : 'emits nothing',
        ...((spec.failsWith ?? []).length > 0 ? [`fails with ${(spec.failsWith ?? []).join(' | ')}`] : []),
      ];
      lines.push(`    ${step}: on ${spec.on} → ${outcomes.join('; ')}${flags.length > 0 ? ` [${flags.join(', ')}]` : ''}`);
      if (spec.compensation) {
        const emits = spec.compensation.emits.length > 0 ? spec.compensation.emits.join(', ') : 'nothing';
        lines.push(`      compensation: on ${spec.compensation.on.join(' | ')} → emits ${emits}`);
      }
      if (spec.confirmation) {
        const emits = (spec.confirmation.emits ?? []).length > 0 ? (spec.confirmation.emits ?? []).join(', ') : 'nothing';
        lines.push(`      confirmation: on ${spec.confirmation.on.join(' | ')} → emits ${emits}`);
      }
    }
  }
  lines.push('', 'Events:');
  const events = orderedEvents(def);
  const width = Math.max(...events.map((e) => e.length));
  for (const event of events) {
    const producers = producersOf(def, event);
    const consumers = reactions
      .filter((r) => r.event === event)
      .map((r) => `${r.participant}.${r.step}${r.phase === 'compensate' ? ' (compensation)' : r.phase === 'confirm' ? ' (confirm)' : ''}`);
    const terminal = isTerminal(def, event);
    lines.push(
      `  ${event.padEnd(width)}  from ${producers.length > 0 ? producers.join(', ') : '(nobody)'}; ` +
        `to ${consumers.length > 0 ? consumers.join(', ') : '(nobody)'}${terminal ? `; terminal ${terminal}` : ''}`,
    );
  }
  lines.push('', 'Terminals:');
  lines.push(`  success: ${def.terminal.success.join(', ') || '(none)'}`);
  lines.push(`  failure: ${def.terminal.failure.join(', ') || '(none)'}`);
  return `${lines.join('\n')}\n`;
}
