import type { AnySagaDefinition } from '../../core/definition.js';
import { participantNames } from '../../core/model.js';
import type { DeadLetterView, Inspection } from '../../runtime/operator/index.js';
import { attrs, colourOf, escapeHtml, htmlDocument } from './page.js';
import { TIMELINE_CSS, TIMELINE_SCRIPT } from './timeline-style.js';
import { eventKind, laneNames, offsetText, terminalOf, timeAxis, timesOf, type EventKind, type TimeAxis } from './timeline-model.js';

const LABEL_WIDTH = 130;
const PLOT_RIGHT = 1180;
const WIDTH = PLOT_RIGHT + 40;
const AXIS_TOP = 46;
const LANE_BASE = 42;
const BAR_ROW = 20;

/** What `saga inspect --html` draws besides the record: the saga's messages now in a DLQ. */
export interface TimelineExtras {
  /** Dead letters of this saga found in the participants' DLQs. */
  readonly deadLetters?: readonly DeadLetterView[];
  /** Why the DLQs could not be read, shown on the page instead of the entries. */
  readonly deadLetterError?: string;
}

const iso = (t: string | undefined) => (t ? t.replace('T', ' ').replace(/Z$/, '') : '—');

/** A mark's shape, centred on (x, y): a circle for forward events, others distinct in shape and colour. */
function shape(kind: EventKind | 'dlq' | 'note', x: number, y: number): string {
  switch (kind) {
    case 'compensation':
      return `<path d="M${x},${y - 8} L${x + 8},${y} L${x},${y + 8} L${x - 8},${y} z"/>`;
    case 'failure':
      return `<path d="M${x},${y - 8} L${x + 8},${y + 6} L${x - 8},${y + 6} z"/>`;
    case 'timeout':
      return `<rect x="${x - 6}" y="${y - 6}" width="12" height="12"/>`;
    case 'dlq':
      return `<rect x="${x - 8}" y="${y - 8}" width="16" height="16" rx="2"/><path class="cross" d="M${x - 4},${y - 4} L${x + 4},${y + 4} M${x + 4},${y - 4} L${x - 4},${y + 4}"/>`;
    case 'note':
      return `<path d="M${x - 6},${y - 7} L${x + 7},${y - 7} L${x + 7},${y + 3} L${x},${y + 8} L${x - 6},${y + 3} z"/>`;
    default:
      return `<circle cx="${x}" cy="${y}" r="${kind === 'confirmation' ? 7 : 6}"/>`;
  }
}

interface Lane {
  readonly name: string;
  readonly top: number;
  readonly height: number;
  readonly markY: number;
}

function layoutLanes(def: AnySagaDefinition, inspection: Inspection): Lane[] {
  const stepsOf = (lane: string) => inspection.explanation.steps.filter((s) => s.participant === lane && (s.forwardAt || s.compensatedAt)).length;
  let top = AXIS_TOP + 20;
  return laneNames(def, inspection).map((name) => {
    const height = LANE_BASE + BAR_ROW * stepsOf(name) + 4;
    const lane = { name, top, height, markY: top + 19 };
    top += height;
    return lane;
  });
}

function axisSvg(axis: TimeAxis, start: number, bottom: number): string {
  return axis.ticks
    .map((t) => {
      const x = axis.x(t);
      return `<g class="tick"><line x1="${x}" y1="${AXIS_TOP}" x2="${x}" y2="${bottom}"/><text x="${x}" y="${AXIS_TOP - 8}" text-anchor="middle">${escapeHtml(offsetText(t - start))}</text></g>`;
    })
    .join('');
}

/** A vertical rule across every lane (deadline, flag, resolution) with a label on top. */
function rule(cls: string, x: number, bottom: number, label: string, title: string): string {
  return `<g class="rule ${cls}"><title>${escapeHtml(title)}</title><line x1="${x}" y1="${AXIS_TOP}" x2="${x}" y2="${bottom}"/><text x="${x + 4}" y="${AXIS_TOP + 14}">${escapeHtml(label)}</text></g>`;
}

function timelineSvg(def: AnySagaDefinition, inspection: Inspection, extras: TimelineExtras): string {
  const { saga, explanation } = inspection;
  const deadLetters = extras.deadLetters ?? [];
  const start = Date.parse(saga.startedAt);
  const deadline = Date.parse(saga.deadline);
  const times = timesOf(inspection, deadLetters);
  const last = Math.max(start, ...times);
  // The deadline widens the axis only when it matters: it passed, or it lies within the saga's span.
  const showDeadline = Number.isFinite(deadline) && (saga.timeoutPublishedAt !== undefined || deadline <= last);
  const axis = timeAxis(start, showDeadline ? [...times, deadline] : times, LABEL_WIDTH + 16, PLOT_RIGHT);
  const lanes = layoutLanes(def, inspection);
  const laneOf = new Map(lanes.map((l) => [l.name, l]));
  const bottom = lanes.length ? lanes[lanes.length - 1]!.top + lanes[lanes.length - 1]!.height : AXIS_TOP + 40;
  const colours = new Map(participantNames(def).map((p, i) => [p, colourOf(i)]));
  const at = (t: string | undefined) => (t ? axis.x(Date.parse(t)) : undefined);
  const parts: string[] = [];

  lanes.forEach((lane, i) => {
    const colour = colours.get(lane.name) ?? '#666';
    parts.push(
      `<g${attrs({ class: `lane${i % 2 ? ' odd' : ''}`, 'data-lane': lane.name })}><rect class="band" x="0" y="${lane.top}" width="${WIDTH}" height="${lane.height}"/>` +
        `<text class="lane-label" x="10" y="${lane.markY + 4}" style="fill:${colour}">${escapeHtml(lane.name)}</text></g>`,
    );
  });
  parts.push(`<g class="axis">${axisSvg(axis, start, bottom)}</g>`);

  // Step bars: how long each step's effect stood (forward → compensation, or to the end of the axis).
  const barIndex = new Map<string, number>();
  for (const s of explanation.steps) {
    const lane = laneOf.get(s.participant);
    const from = at(s.forwardAt ?? s.compensatedAt);
    if (!lane || from === undefined) continue;
    const n = barIndex.get(s.participant) ?? 0;
    barIndex.set(s.participant, n + 1);
    const to = s.compensatedAt ? at(s.compensatedAt)! : s.state === 'failed' ? from : axis.x(last);
    const y = lane.top + LANE_BASE - 4 + n * BAR_ROW;
    parts.push(
      `<g${attrs({ class: `step-bar state-${s.state}`, 'data-step': `${s.participant}.${s.step}` })}><title>${escapeHtml(`${s.participant}.${s.step}: ${s.state}${s.forwardAt ? `, forward ${iso(s.forwardAt)}` : ''}${s.compensatedAt ? `, compensated ${iso(s.compensatedAt)}` : ''}${s.reason ? ` (${s.reason})` : ''}`)}</title>` +
        `<rect x="${from}" y="${y}" width="${Math.max(3, to - from)}" height="7" rx="3" style="fill:${colours.get(s.participant) ?? '#888'}"/><text x="${from + 2}" y="${y - 2}">${escapeHtml(`${s.step} ${s.state}`)}</text></g>`,
    );
  }

  // Causation: a thin line from the event that caused another to it (the flow between lanes).
  const position = new Map<string, { x: number; y: number }>();
  for (const t of saga.timeline) position.set(t.eventId, { x: at(t.at)!, y: (laneOf.get(t.producer) ?? lanes[0]!).markY });
  for (const t of saga.timeline) {
    const from = t.causationId ? position.get(t.causationId) : undefined;
    const to = position.get(t.eventId)!;
    if (from) parts.push(`<line class="cause" x1="${from.x}" y1="${from.y}" x2="${to.x}" y2="${to.y}"/>`);
  }

  if (showDeadline) parts.push(rule('deadline', axis.x(deadline), bottom, 'deadline', `deadline ${iso(saga.deadline)}${saga.deadlineOf ? ` (step ${saga.deadlineOf})` : ''}`));
  else parts.push(`<text class="deadline-note" x="${PLOT_RIGHT}" y="${AXIS_TOP - 26}" text-anchor="end">${escapeHtml(`deadline ${offsetText(deadline - start)} →`)}</text>`);
  if (saga.flaggedAt) parts.push(rule('flag', at(saga.flaggedAt)!, bottom, '⚑ flagged', `flagged ${iso(saga.flaggedAt)}${saga.stuckStep ? ` at ${saga.stuckStep}` : ''}: ${saga.flaggedReason ?? ''}`));
  if (saga.resolvedAt) parts.push(rule('resolved', at(saga.resolvedAt)!, bottom, '✓ resolved', `resolved by an operator ${iso(saga.resolvedAt)}`));

  for (const t of saga.timeline) {
    const kind = eventKind(def, t);
    const terminal = terminalOf(def, t.type);
    const { x, y } = position.get(t.eventId)!;
    const title = `${t.type} (${kind}${terminal ? `, ${terminal} terminal` : ''}) by ${t.producer} at ${iso(t.at)} ${offsetText(Date.parse(t.at) - start)}\nevent ${t.eventId}${t.causationId ? `\ncaused by ${t.causationId}` : ''}`;
    parts.push(
      `<g${attrs({ class: `mark event kind-${kind}${terminal ? ` terminal-${terminal}` : ''}`, 'data-event-id': t.eventId, 'data-type': t.type, 'data-lane': t.producer })}><title>${escapeHtml(title)}</title>${terminal ? `<circle class="ring" cx="${x}" cy="${y}" r="11"/>` : ''}${shape(kind, x, y)}</g>`,
    );
  }

  // Dead letters: the failures the record keeps, and the messages found in a DLQ now.
  const inDlq = new Map(deadLetters.map((d) => [d.messageId, d]));
  const drawn = new Set<string>();
  const dlqMark = (participant: string, when: string | undefined, messageId: string, receives: number | undefined, text: string, current: boolean) => {
    const lane = laneOf.get(participant);
    if (!lane) return;
    const x = when ? at(when)! : axis.x(last);
    const y = lane.markY;
    parts.push(
      `<g${attrs({ class: `mark dlq${current ? ' in-dlq' : ''}`, 'data-message-id': messageId, 'data-lane': participant })}><title>${escapeHtml(text)}</title>${shape('dlq', x, y)}` +
        (receives && receives > 1 ? `<text class="retries" x="${x + 11}" y="${y + 4}">${receives} attempts</text>` : '') +
        '</g>',
    );
    drawn.add(messageId);
  };
  for (const f of saga.failures ?? []) {
    const current = inDlq.has(f.messageId);
    dlqMark(f.participant, f.at, f.messageId, f.receiveCount, `${f.participant}.${f.step ?? '?'} ${f.phase ?? ''} ${f.type ?? ''}: ${f.receiveCount} attempt(s), last ${iso(f.at)}\n${f.error}\nmessage ${f.messageId}${current ? ' (in the DLQ now)' : ''}`, current);
  }
  for (const d of deadLetters) {
    if (!drawn.has(d.messageId)) dlqMark(d.participant, d.failedAt, d.messageId, d.receiveCount, `${d.participant} DLQ: ${d.type ?? '?'} — ${d.reason}\nmessage ${d.messageId}`, true);
  }

  const operator = laneOf.get('operator');
  for (const n of saga.notes ?? []) {
    if (!operator) break;
    parts.push(`<g${attrs({ class: `mark note action-${n.action}`, 'data-lane': 'operator' })}><title>${escapeHtml(`${n.action} ${iso(n.at)}: ${n.note}`)}</title>${shape('note', at(n.at)!, operator.markY)}</g>`);
  }

  const height = bottom + 10;
  return `<svg class="timeline" xmlns="http://www.w3.org/2000/svg"${attrs({ 'data-saga-id': saga.sagaId, width: WIDTH, height, viewBox: `0 0 ${WIDTH} ${height}`, role: 'img', 'aria-label': `timeline of saga ${saga.sagaId}` })}>\n${parts.join('\n')}\n</svg>`;
}

const LEGEND =
  '<div class="legend">' +
  [
    ['start', 'circle', 'start'],
    ['forward', 'circle', 'forward event'],
    ['failure', 'triangle', 'business failure'],
    ['compensation', 'diamond', 'compensation event'],
    ['confirmation', 'circle', 'confirmation (TCC)'],
    ['timeout', 'square', 'timeout'],
  ]
    .map(([kind, , label]) => `<span><svg width="18" height="18" class="key kind-${kind}">${shape(kind as EventKind, 9, 9)}</svg>${label}</span>`)
    .join('') +
  '<span><svg width="18" height="18" class="key dlq">' + shape('dlq', 9, 9) + '</svg>dead-lettered message</span>' +
  '<span><svg width="18" height="18" class="key note">' + shape('note', 9, 9) + '</svg>operator action</span>' +
  '<span><svg width="26" height="18" class="key ring"><circle class="ring" cx="13" cy="9" r="8"/></svg>terminal event</span>' +
  '<span>bars: how long each step\'s effect stood</span></div>';

const table = (head: readonly string[], rows: readonly string[][], rowAttrs: readonly string[] = []): string =>
  `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r, i) => `<tr${rowAttrs[i] ?? ''}>${r.join('')}</tr>`).join('')}</tbody></table>`;
const td = (text: unknown, cls?: string) => `<td${cls ? ` class="${cls}"` : ''}>${escapeHtml(text ?? '')}</td>`;

function detailTables(def: AnySagaDefinition, { saga, explanation }: Inspection, extras: TimelineExtras): string {
  const start = Date.parse(saga.startedAt);
  const out: string[] = [];
  out.push('<h2>Events</h2>');
  out.push(
    table(
      ['offset', 'time', 'producer', 'event', 'kind', 'event id', 'caused by'],
      saga.timeline.map((t) => [td(offsetText(Date.parse(t.at) - start)), td(iso(t.at)), td(t.producer), td(t.type), td(eventKind(def, t)), td(t.eventId, 'mono'), td(t.causationId ?? '', 'mono')]),
      saga.timeline.map((t) => attrs({ 'data-event-id': t.eventId })),
    ),
  );
  out.push('<h2>Steps</h2>');
  out.push(table(['step', 'state', 'forward', 'compensated', 'reason'], explanation.steps.map((s) => [td(`${s.participant}.${s.step}`), td(s.state, `state state-${s.state}`), td(iso(s.forwardAt)), td(iso(s.compensatedAt)), td(s.reason ?? '')])));
  if (explanation.stuck.length) {
    out.push('<h2>Stuck</h2>');
    out.push(table(['step', 'phase', 'why'], explanation.stuck.map((s) => [td(`${s.participant}.${s.step}`), td(s.phase), td(s.why)])));
  }
  if (explanation.lostEvents.length) {
    out.push('<h2>Emitted but not seen by the tracker</h2>');
    out.push(table(['event id', 'emitted by'], explanation.lostEvents.map((l) => [td(l.eventId, 'mono'), td(l.emittedBy)])));
  }
  const failures = saga.failures ?? [];
  const dead = extras.deadLetters ?? [];
  if (failures.length || dead.length || extras.deadLetterError) {
    out.push('<h2>Dead letters and retries</h2>');
    if (failures.length) out.push(table(['step', 'phase', 'event', 'attempts', 'last attempt', 'error', 'message'], failures.map((f) => [td(`${f.participant}.${f.step ?? '?'}`), td(f.phase ?? ''), td(f.type ?? ''), td(f.receiveCount), td(iso(f.at)), td(f.error), td(f.messageId, 'mono')])));
    if (dead.length) out.push('<p>In a DLQ now:</p>', table(['participant', 'event', 'attempts', 'failed', 'reason', 'message'], dead.map((d) => [td(d.participant), td(d.type ?? ''), td(d.receiveCount ?? ''), td(iso(d.failedAt)), td(d.reason), td(d.messageId, 'mono')])));
    if (extras.deadLetterError) out.push(`<p class="warn">The DLQs were not read: ${escapeHtml(extras.deadLetterError)}</p>`);
  }
  if (saga.notes?.length) {
    out.push('<h2>Operator notes</h2>');
    out.push(table(['time', 'action', 'note'], saga.notes.map((n) => [td(iso(n.at)), td(n.action), td(n.note)])));
  }
  return out.join('\n');
}

/**
 * `saga inspect <sagaId> --html`: one self-contained page with the saga's timeline — a lane per
 * participant on a time axis, a mark per event (compensations, failures, timeouts and terminals
 * each their own shape), step bars, dead-lettered messages with their attempts, operator actions,
 * the deadline and the flag — and the same facts as tables.
 *
 * @example
 * ```ts
 * const inspection = await inspectSaga(ctx, sagaId);
 * writeFileSync('saga.html', sagaTimelinePage(ctx.def, inspection));
 * ```
 */
export function sagaTimelinePage(def: AnySagaDefinition, inspection: Inspection, extras: TimelineExtras = {}): string {
  const { saga, explanation } = inspection;
  const header = [
    `<h1>Saga <span class="mono">${escapeHtml(saga.sagaId)}</span> <span class="status status-${escapeHtml(saga.status)}">${escapeHtml(saga.status)}</span>${saga.resolvedAt ? ' <span class="status resolved">resolved by an operator</span>' : ''}</h1>`,
    `<p class="meta">${escapeHtml(saga.definition)} v${saga.definitionVersion} · started ${escapeHtml(iso(saga.startedAt))} · deadline ${escapeHtml(iso(saga.deadline))}${saga.deadlineOf ? ` (step ${escapeHtml(saga.deadlineOf)})` : ''} · last event ${escapeHtml(iso(saga.lastEventAt))}</p>`,
    saga.flaggedReason ? `<p class="flagged">⚑ flagged ${escapeHtml(iso(saga.flaggedAt))}${saga.stuckStep ? ` at ${escapeHtml(saga.stuckStep)}` : ''}: ${escapeHtml(saga.flaggedReason)}</p>` : '',
    saga.contradiction ? `<p class="flagged">contradiction: ${escapeHtml(saga.contradiction)}</p>` : '',
    `<p class="why"><b>why:</b> ${escapeHtml(explanation.summary)}</p>`,
  ].join('\n');
  const body = `${header}\n${LEGEND}\n<div class="figure">${timelineSvg(def, inspection, extras)}</div>\n${detailTables(def, inspection, extras)}`;
  return htmlDocument({ title: `Saga ${saga.sagaId} (${saga.status})`, css: TIMELINE_CSS, body, script: TIMELINE_SCRIPT });
}
