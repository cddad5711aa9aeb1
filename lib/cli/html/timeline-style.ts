/** Style of the `saga inspect --html` page: lanes, marks by kind, rules, tables. */
export const TIMELINE_CSS = `
.status { font-size: 13px; padding: 2px 8px; border-radius: 10px; vertical-align: middle; background: #e2e3e5; color: #383d41; }
.status-completed { background: #d4edda; color: #155724; }
.status-compensated { background: #fff3cd; color: #6b4f00; }
.status-compensating { background: #ffe8cc; color: #7a3e00; }
.status-failed-needs-attention { background: #f8d7da; color: #721c24; }
.status.resolved { background: #d1ecf1; color: #0c5460; }
.flagged { color: #a3191f; font-weight: 600; }
.why { margin: 6px 0 10px; }
.warn { color: #a3191f; }
.timeline .band { fill: #fff; }
.timeline .lane.odd .band { fill: #f7f8fa; }
.timeline .lane-label { font-size: 13px; font-weight: 600; }
.timeline .tick line { stroke: #e3e5e8; }
.timeline .tick text { font-size: 11px; fill: #666; }
.timeline .cause { stroke: #9aa0a6; stroke-width: 1; stroke-dasharray: 2 2; }
.timeline .mark { cursor: default; }
.timeline .mark.event circle, .timeline .mark.event path, .timeline .mark.event rect, .key circle, .key path, .key rect { stroke: #fff; stroke-width: 1.5; }
.kind-start circle { fill: #555; }
.kind-forward circle { fill: #1f77b4; }
.kind-confirmation circle { fill: #004085; stroke: #9ec5fe !important; stroke-width: 3 !important; }
.kind-failure path { fill: #d39e00; }
.kind-compensation path { fill: #c0392b; }
.kind-timeout rect { fill: #6f42c1; }
.timeline .ring, .key .ring { fill: none; stroke-width: 2.5; stroke: #1e7e34; }
.timeline .terminal-failure .ring { stroke: #b21f2d; }
.dlq rect { fill: #a3191f; stroke: #fff; }
.dlq .cross { stroke: #fff; stroke-width: 2; fill: none; }
.timeline .dlq.in-dlq rect { stroke: #ffb3b8; stroke-width: 3; }
.timeline .retries { font-size: 11px; fill: #a3191f; font-weight: 600; }
.note path { fill: #0c5460; }
.timeline .step-bar text { font-size: 10px; fill: #555; }
.timeline .step-bar.state-compensated rect, .timeline .step-bar.state-voided rect { opacity: 0.45; }
.timeline .rule line { stroke-width: 1.5; stroke-dasharray: 5 4; }
.timeline .rule text { font-size: 11px; font-weight: 600; }
.timeline .rule.deadline line { stroke: #6f42c1; } .timeline .rule.deadline text { fill: #6f42c1; }
.timeline .rule.flag line { stroke: #a3191f; stroke-width: 2; } .timeline .rule.flag text { fill: #a3191f; }
.timeline .rule.resolved line { stroke: #0c5460; } .timeline .rule.resolved text { fill: #0c5460; }
.timeline .deadline-note { font-size: 11px; fill: #6f42c1; }
.timeline .mark.hl circle, .timeline .mark.hl path, .timeline .mark.hl rect { stroke: #000; stroke-width: 2.5; }
tr.hl td { background: #fff8c5; }
.state-compensated, .state-voided { color: #6b4f00; }
.state-failed { color: #a3191f; }
`;

// Hovering an event's mark highlights its row in the events table, and the other way round.
export const TIMELINE_SCRIPT = `
const rows = new Map([...document.querySelectorAll('tr[data-event-id]')].map((r) => [r.getAttribute('data-event-id'), r]));
const marks = new Map([...document.querySelectorAll('.mark.event')].map((m) => [m.getAttribute('data-event-id'), m]));
const pair = (id, on) => { rows.get(id)?.classList.toggle('hl', on); marks.get(id)?.classList.toggle('hl', on); };
for (const [id, el] of [...marks, ...rows]) {
  el.addEventListener('mouseenter', () => pair(id, true));
  el.addEventListener('mouseleave', () => pair(id, false));
}
`;
