import type { AnySagaDefinition } from '../../core/definition.js';
import { participantNames } from '../../core/model.js';
import { choreographyGraph, layerGraph, type ChoreographyGraph, type EdgeKind, type GraphNode } from './graph-layout.js';
import { attrs, colourOf, escapeHtml, htmlDocument, textWidth } from './page.js';

const NODE_HEIGHT = 34;
/** Vertical distance between two layers (rows); the arrows between them use the gap. */
const ROW = NODE_HEIGHT + 44;
const NODE_GAP = 28;
const MARGIN = 24;
/** Room on the right for arrows that loop back up (compensations reaching an earlier step). */
const LOOP_ROOM = 160;

// Compensation arrows are many; their colour and dashes say what they are, a label each would clutter.
const EDGE_LABEL: Partial<Record<EdgeKind, string>> = { start: 'start', deadline: 'deadline', fails: 'fails', confirm: 'confirm' };

interface Placed {
  readonly node: GraphNode;
  readonly x: number;
  readonly y: number;
  readonly width: number;
}

/** Node boxes placed layer by layer, top to bottom; each row centred on the widest. */
function place(graph: ChoreographyGraph): { placed: Map<string, Placed>; width: number; height: number } {
  const { columns: rows } = layerGraph(graph);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const widthOf = (id: string) => Math.max(90, textWidth(byId.get(id)!.label, 13) + 28);
  const rowWidth = (row: readonly string[]) => row.reduce((sum, id) => sum + widthOf(id), 0) + NODE_GAP * Math.max(0, row.length - 1);
  const widest = Math.max(...rows.map(rowWidth));
  const placed = new Map<string, Placed>();
  rows.forEach((row, r) => {
    let x = MARGIN + (widest - rowWidth(row)) / 2;
    for (const id of row) {
      placed.set(id, { node: byId.get(id)!, x, y: MARGIN + r * ROW, width: widthOf(id) });
      x += widthOf(id) + NODE_GAP;
    }
  });
  return { placed, width: MARGIN * 2 + widest + LOOP_ROOM, height: MARGIN * 2 + (rows.length - 1) * ROW + NODE_HEIGHT };
}

function nodeSvg(p: Placed, colours: ReadonlyMap<string, string>): string {
  const { node } = p;
  const classes = ['node', node.kind, ...node.tags].join(' ');
  const cy = p.y + NODE_HEIGHT / 2;
  const colour = node.participant ? colours.get(node.participant)! : '#555';
  const shape =
    node.kind === 'source'
      ? `<ellipse cx="${p.x + p.width / 2}" cy="${cy}" rx="${p.width / 2}" ry="${NODE_HEIGHT / 2}"/>`
      : `<rect x="${p.x}" y="${p.y}" width="${p.width}" height="${NODE_HEIGHT}" rx="${node.kind === 'event' ? NODE_HEIGHT / 2 : 4}"${node.kind === 'step' ? ` style="stroke:${colour}"` : ''}/>`;
  const tags = node.tags.length ? ` (${node.tags.join(', ')})` : '';
  const what = node.kind === 'source' ? node.label : `${node.kind} ${node.label}${tags}`;
  return `<g${attrs({ class: classes, 'data-node': node.id, 'data-participant': node.participant })}><title>${escapeHtml(what)}</title>${shape}<text x="${p.x + p.width / 2}" y="${cy + 4}" text-anchor="middle">${escapeHtml(node.label)}</text></g>`;
}

function edgeSvg(from: Placed, to: Placed, kind: EdgeKind): string {
  const down = to.y > from.y;
  let d: string;
  let mx: number;
  let my: number;
  if (down) {
    const sx = from.x + from.width / 2;
    const sy = from.y + NODE_HEIGHT;
    const tx = to.x + to.width / 2;
    const ty = to.y;
    const bend = Math.min(ROW, (ty - sy) / 2 + 10);
    d = `M${sx},${sy} C${sx},${sy + bend} ${tx},${ty - bend} ${tx},${ty}`;
    mx = (sx + tx) / 2 + 4;
    my = (sy + ty) / 2;
  } else {
    // Up or sideways (a compensation reaching an earlier step): a loop out to the right.
    const sx = from.x + from.width;
    const sy = from.y + NODE_HEIGHT / 2 + 4;
    const tx = to.x + to.width;
    const ty = to.y + NODE_HEIGHT / 2 - 4;
    const reach = Math.max(sx, tx) + 30 + Math.min(LOOP_ROOM - 40, Math.abs(sy - ty) / 5);
    d = `M${sx},${sy} C${reach},${sy} ${reach},${ty} ${tx},${ty}`;
    mx = reach - 10;
    my = (sy + ty) / 2;
  }
  const label = EDGE_LABEL[kind];
  return (
    `<g${attrs({ class: `edge ${kind}`, 'data-from': from.node.id, 'data-to': to.node.id })}><path d="${d}" marker-end="url(#arrow-${kind})"/>` +
    (label ? `<text x="${mx}" y="${my}">${label}</text>` : '') +
    '</g>'
  );
}

const MARKERS = (['start', 'deadline', 'trigger', 'emits', 'fails', 'compensate', 'confirm'] as const)
  .map((k) => `<marker id="arrow-${k}" class="arrow ${k}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>`)
  .join('');

/** The SVG diagram of one definition (nodes per step and event, arrows per trigger and emit). */
export function choreographySvg(def: AnySagaDefinition): string {
  const graph = choreographyGraph(def);
  const { placed, width, height } = place(graph);
  const colours = new Map(participantNames(def).map((p, i) => [p, colourOf(i)]));
  const edges = graph.edges.map((e) => edgeSvg(placed.get(e.from)!, placed.get(e.to)!, e.kind)).join('\n');
  const nodes = [...placed.values()].map((p) => nodeSvg(p, colours)).join('\n');
  return `<svg class="graph" xmlns="http://www.w3.org/2000/svg"${attrs({ 'data-saga': def.name, width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `choreography of saga ${def.name}` })}><defs>${MARKERS}</defs>\n${edges}\n${nodes}\n</svg>`;
}

const CSS = `
.graph .node rect, .graph .node ellipse { fill: #fff; stroke: #555; stroke-width: 1.5; }
.graph .node.step rect { fill: #f6f8fa; stroke-width: 2; }
.graph .node.source ellipse { fill: #eee; }
.graph .node.failure rect { fill: #fff3cd; stroke: #b8860b; }
.graph .node.terminal-success rect { fill: #d4edda; stroke: #1e7e34; stroke-width: 3; }
.graph .node.terminal-failure rect { fill: #f8d7da; stroke: #b21f2d; stroke-width: 3; }
.graph .node.pivot rect { stroke-width: 4; }
.graph .node.must-succeed rect { stroke-dasharray: 5 3; }
.graph .node text { font-size: 13px; fill: #1d2125; pointer-events: none; }
.graph .edge path { fill: none; stroke: #666; stroke-width: 1.4; }
.graph .edge text { font-size: 11px; fill: #555; }
.graph .edge.fails path { stroke: #b8860b; }
.graph .edge.compensate path { stroke: #b21f2d; stroke-dasharray: 6 4; }
.graph .edge.confirm path { stroke: #004085; stroke-width: 2.6; }
.graph .edge.deadline path { stroke-dasharray: 2 3; }
.graph marker path { fill: #666; }
.graph marker.compensate path { fill: #b21f2d; }
.graph marker.fails path { fill: #b8860b; }
.graph marker.confirm path { fill: #004085; }
.graph.focus .edge, .graph.focus .node { opacity: 0.25; }
.graph.focus .hl { opacity: 1; }
.swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px; border: 2px solid; }
`;

// Hovering a node brings its arrows and neighbours forward; nothing else runs.
const SCRIPT = `
for (const svg of document.querySelectorAll('svg.graph')) {
  const edges = [...svg.querySelectorAll('.edge')];
  for (const node of svg.querySelectorAll('.node')) {
    const id = node.getAttribute('data-node');
    node.addEventListener('mouseenter', () => {
      svg.classList.add('focus');
      node.classList.add('hl');
      for (const e of edges) {
        const from = e.getAttribute('data-from'), to = e.getAttribute('data-to');
        if (from !== id && to !== id) continue;
        e.classList.add('hl');
        for (const n of svg.querySelectorAll('.node')) if ([from, to].includes(n.getAttribute('data-node'))) n.classList.add('hl');
      }
    });
    node.addEventListener('mouseleave', () => {
      svg.classList.remove('focus');
      for (const el of svg.querySelectorAll('.hl')) el.classList.remove('hl');
    });
  }
}
`;

function legend(def: AnySagaDefinition): string {
  const participants = participantNames(def)
    .map((p, i) => `<span><i class="swatch" style="border-color:${colourOf(i)};background:#f6f8fa"></i>${escapeHtml(p)}</span>`)
    .join('');
  return (
    `<div class="legend">${participants}` +
    '<span><i class="swatch" style="border-color:#b8860b;background:#fff3cd"></i>failure event</span>' +
    '<span><i class="swatch" style="border-color:#1e7e34;background:#d4edda"></i>success terminal</span>' +
    '<span><i class="swatch" style="border-color:#b21f2d;background:#f8d7da"></i>failure terminal</span>' +
    '<span>— — compensation (red, dashed)</span><span>━ confirmation (TCC)</span><span>thick box: pivot; dashed box: must succeed</span></div>'
  );
}

/**
 * `saga graph --html`: one self-contained page with a diagram per definition, drawn as SVG from
 * the definition's graph (layered left to right; no Mermaid, no network).
 *
 * @example
 * ```ts
 * writeFileSync('order.html', choreographyPage([orderSaga]));
 * ```
 */
export function choreographyPage(defs: readonly AnySagaDefinition[]): string {
  const sections = defs.map(
    (def) =>
      `<section class="saga"${attrs({ 'data-saga': def.name })}><h1>Saga "${escapeHtml(def.name)}" v${def.version}</h1>` +
      (def.description ? `<p class="meta">${escapeHtml(def.description)}</p>` : '') +
      `<p class="meta">start ${escapeHtml(def.start)} · deadline ${def.deadlineSeconds} s · success ${escapeHtml(def.terminal.success.join(', ') || '—')} · failure ${escapeHtml(def.terminal.failure.join(', ') || '—')}</p>` +
      `${legend(def)}<div class="figure">${choreographySvg(def)}</div></section>`,
  );
  return htmlDocument({ title: `Choreography: ${defs.map((d) => d.name).join(', ')}`, css: CSS, body: sections.join('\n'), script: SCRIPT });
}
