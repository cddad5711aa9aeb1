import type { VersionStatus, DeadLetterView, Inspection } from '../../runtime/operator/index.js';

const time = (iso: string | undefined): string => (iso ? iso.replace('T', ' ').replace(/Z$/, '') : '-');

/** `saga inspect` as text: status, why it is stuck, timeline, steps, failures, notes. */
export function formatInspection({ saga, explanation }: Inspection): string[] {
  const lines: string[] = [];
  const start = Date.parse(saga.startedAt);
  lines.push(`saga ${saga.sagaId} (${saga.definition} v${saga.definitionVersion})  status: ${saga.status.toUpperCase()}${saga.resolvedAt ? ' (resolved by an operator)' : ''}`);
  lines.push(`  started ${time(saga.startedAt)}   deadline ${time(saga.deadline)}${saga.deadlineOf ? ` (step ${saga.deadlineOf})` : ''}   last event ${time(saga.lastEventAt)}`);
  if (saga.timeoutPublishedAt) lines.push(`  timeout published ${time(saga.timeoutPublishedAt)}`);
  if (saga.flaggedReason) lines.push(`  flagged ${time(saga.flaggedAt)}${saga.stuckStep ? ` at ${saga.stuckStep}` : ''}: ${saga.flaggedReason}`);
  lines.push(`  why: ${explanation.summary}`);
  lines.push('', 'timeline');
  for (const t of saga.timeline) lines.push(`  +${String(Date.parse(t.at) - start).padStart(8)} ms  ${t.producer.padEnd(11)} ${t.type.padEnd(18)} ${t.eventId}`);
  lines.push('', 'steps');
  for (const s of explanation.steps) {
    const when = s.compensatedAt ? `compensated ${time(s.compensatedAt)}` : s.forwardAt ? `forward ${time(s.forwardAt)}` : '';
    lines.push(`  ${`${s.participant}.${s.step}`.padEnd(28)} ${s.state.padEnd(12)} ${when}${s.reason ? `  (${s.reason})` : ''}`);
  }
  if (explanation.stuck.length) {
    lines.push('', 'stuck');
    for (const s of explanation.stuck) lines.push(`  ${s.participant}.${s.step} ${s.phase}: ${s.why}`);
  }
  if (explanation.lostEvents.length) {
    lines.push('', 'emitted but not seen by the tracker');
    for (const l of explanation.lostEvents) lines.push(`  ${l.eventId} by ${l.emittedBy}`);
  }
  if (saga.failures?.length) {
    lines.push('', 'failures (messages that went to a DLQ)');
    for (const f of saga.failures) lines.push(`  ${f.participant}.${f.step ?? '?'} ${f.phase ?? ''} ${f.type ?? ''}: message ${f.messageId}, ${f.receiveCount} receive(s), ${time(f.at)}: ${f.error}`);
  }
  if (saga.notes?.length) {
    lines.push('', 'notes');
    for (const n of saga.notes) lines.push(`  ${time(n.at)}  ${n.action}: ${n.note}`);
  }
  return lines;
}

/** `saga dlq list` as a table, one line per message, with the recorded reason. */
export function formatDeadLetters(letters: readonly DeadLetterView[], participants: readonly string[]): string[] {
  const lines: string[] = [];
  for (const p of participants) {
    const mine = letters.filter((l) => l.participant === p);
    lines.push(`${p}: ${mine.length} message(s) in its DLQ`);
    for (const l of mine) {
      lines.push(`  ${l.messageId}  saga ${l.sagaId ?? '?'}  ${l.type ?? '?'}  receives ${l.receiveCount ?? '?'}${l.failedAt ? `  failed ${time(l.failedAt)}` : ''}`);
      lines.push(`      reason: ${l.reason}`);
    }
  }
  return lines;
}

/** `saga versions`: one line per deployed version, and what to do about a drained one. */
export function formatVersions(status: readonly VersionStatus[]): string[] {
  const lines = status.map((v) => {
    const state =
      v.role === 'newest'
        ? 'newest: new sagas start here'
        : v.role === 'migrated'
          ? 'taken over by the newest version (migratesFrom)'
          : v.drained
            ? 'DRAINED: remove its participants and drop it from previousVersions'
            : 'still draining';
    return `v${v.version}  ${String(v.openSagas).padStart(6)} open  ${String(v.flaggedSagas).padStart(4)} flagged  ${String(v.deadLetters).padStart(4)} in DLQs  ${state}`;
  });
  return ['version   sagas open / flagged / dead letters', ...lines];
}
