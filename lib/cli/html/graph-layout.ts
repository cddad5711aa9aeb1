import { INITIATOR, RECONCILER, TIMEOUT_EVENT, type AnySagaDefinition, type StepSpec } from '../../core/definition.js';
import { failureEvents, isTerminal, participantNames } from '../../core/model.js';

/** A node of the choreography graph: who starts events, the events, the participants' steps. */
export interface GraphNode {
  readonly id: string;
  readonly kind: 'source' | 'event' | 'step';
  readonly label: string;
  /** Step nodes: the participant; its index in the definition picks the colour. */
  readonly participant?: string;
  /** `failure`, `terminal-success`, `terminal-failure` (events); `pivot`, `must-succeed`, `tcc` (steps). */
  readonly tags: readonly string[];
}

export type EdgeKind = 'start' | 'deadline' | 'trigger' | 'emits' | 'fails' | 'compensate' | 'confirm';

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
}

export interface ChoreographyGraph {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

type Participants = Record<string, { readonly steps: Record<string, StepSpec> }>;

export const eventNodeId = (event: string): string => `event:${event}`;
export const stepNodeId = (participant: string, step: string): string => `step:${participant}.${step}`;
const sourceNodeId = (source: string): string => `source:${source}`;

/**
 * The definition as a graph — the same nodes and arrows `saga graph` prints as Mermaid: the
 * initiator starts the start event, the reconciler the timeout; each step is triggered by its
 * event, emits or fails with events, and its compensation and confirmation have their own arrows.
 */
export function choreographyGraph(def: AnySagaDefinition): ChoreographyGraph {
  const participants = def.participants as Participants;
  const failures = new Set(failureEvents(def));
  const nodes: GraphNode[] = [
    { id: sourceNodeId(INITIATOR), kind: 'source', label: INITIATOR, tags: [] },
    { id: sourceNodeId(RECONCILER), kind: 'source', label: RECONCILER, tags: [] },
  ];
  for (const event of new Set([def.start, ...Object.keys(def.events), TIMEOUT_EVENT])) {
    const terminal = isTerminal(def, event);
    nodes.push({ id: eventNodeId(event), kind: 'event', label: event, tags: terminal ? [`terminal-${terminal}`] : failures.has(event) ? ['failure'] : [] });
  }
  const edges: GraphEdge[] = [
    { from: sourceNodeId(INITIATOR), to: eventNodeId(def.start), kind: 'start' },
    { from: sourceNodeId(RECONCILER), to: eventNodeId(TIMEOUT_EVENT), kind: 'deadline' },
  ];
  for (const participant of participantNames(def)) {
    for (const [step, spec] of Object.entries(participants[participant]!.steps)) {
      const id = stepNodeId(participant, step);
      const tags = [spec.pivot ? 'pivot' : '', spec.mustSucceed ? 'must-succeed' : '', spec.confirmation ? 'tcc' : ''].filter(Boolean);
      nodes.push({ id, kind: 'step', label: `${participant}.${step}`, participant, tags });
      edges.push({ from: eventNodeId(spec.on), to: id, kind: 'trigger' });
      for (const e of spec.emits ?? []) edges.push({ from: id, to: eventNodeId(e), kind: 'emits' });
      for (const e of spec.failsWith ?? []) edges.push({ from: id, to: eventNodeId(e), kind: 'fails' });
      for (const e of spec.compensation?.on ?? []) edges.push({ from: eventNodeId(e), to: id, kind: 'compensate' });
      for (const e of spec.compensation?.emits ?? []) edges.push({ from: id, to: eventNodeId(e), kind: 'compensate' });
      for (const e of spec.confirmation?.on ?? []) edges.push({ from: eventNodeId(e), to: id, kind: 'confirm' });
      for (const e of spec.confirmation?.emits ?? []) edges.push({ from: id, to: eventNodeId(e), kind: 'confirm' });
    }
  }
  return { nodes, edges };
}

/** Arrows that define the left-to-right order; compensation arrows may point back. */
const ORDERING: ReadonlySet<EdgeKind> = new Set(['start', 'deadline', 'trigger', 'emits', 'fails', 'confirm']);

/**
 * Layers (columns) for a left-to-right drawing: the longest path from the sources over the
 * forward arrows, cycles broken where a depth-first walk meets a node it is still inside; nodes
 * reached only by compensation arrows go one column after their producer. Then each column is
 * ordered by the mean row of its neighbours (a few sweeps of the barycentre heuristic), so arrows
 * cross less. Deterministic: same graph, same layout.
 */
export function layerGraph(graph: ChoreographyGraph): { readonly layer: ReadonlyMap<string, number>; readonly columns: readonly (readonly string[])[] } {
  const ids = graph.nodes.map((n) => n.id);
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of graph.edges) if (ORDERING.has(e.kind)) out.get(e.from)!.push(e.to);

  // Depth-first: keep the arrows that do not close a cycle.
  const state = new Map<string, 'open' | 'done'>();
  const dag = new Map<string, string[]>(ids.map((id) => [id, []]));
  const order: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 'open');
    for (const next of out.get(id)!) {
      if (state.get(next) === 'open') continue;
      dag.get(id)!.push(next);
      if (!state.has(next)) visit(next);
    }
    state.set(id, 'done');
    order.push(id);
  };
  for (const n of graph.nodes) if (n.kind === 'source' && !state.has(n.id)) visit(n.id);
  const reachedForward = new Set(state.keys());
  for (const id of ids) if (!state.has(id)) visit(id);

  const layer = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const id of [...order].reverse()) for (const next of dag.get(id)!) layer.set(next, Math.max(layer.get(next)!, layer.get(id)! + 1));
  // Events only compensations emit: one column after the step that emits them.
  for (const e of graph.edges) {
    if (e.kind === 'compensate' && e.from.startsWith('step:') && !reachedForward.has(e.to)) layer.set(e.to, Math.max(layer.get(e.to)!, layer.get(e.from)! + 1));
  }

  const width = Math.max(...layer.values()) + 1;
  const columns: string[][] = Array.from({ length: width }, () => []);
  for (const id of ids) columns[layer.get(id)!]!.push(id);
  const neighbours = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of graph.edges) {
    neighbours.get(e.from)!.push(e.to);
    neighbours.get(e.to)!.push(e.from);
  }
  const row = new Map<string, number>();
  const number = () => columns.forEach((c) => c.forEach((id, i) => row.set(id, i)));
  number();
  for (let sweep = 0; sweep < 4; sweep++) {
    const range = sweep % 2 === 0 ? columns.keys() : [...columns.keys()].reverse();
    for (const c of range) {
      const side = sweep % 2 === 0 ? c - 1 : c + 1;
      const centre = (id: string): number => {
        const near = neighbours.get(id)!.filter((n) => layer.get(n) === side).map((n) => row.get(n)!);
        return near.length === 0 ? row.get(id)! : near.reduce((a, b) => a + b, 0) / near.length;
      };
      const keyed = columns[c]!.map((id) => ({ id, key: centre(id), was: row.get(id)! }));
      keyed.sort((a, b) => a.key - b.key || a.was - b.was);
      columns[c] = keyed.map((k) => k.id);
      number();
    }
  }
  return { layer, columns };
}
