import { TIMEOUT_EVENT, type AnySagaDefinition, type ParticipantSpec } from '../definition.js';
import { isTerminal, producersOf, type Reaction } from '../model.js';
import { compareStrings, reactionLabel, type VerificationFinding } from './types.js';

/** Every event name the definition knows: start, declared events, the timeout event. */
export function eventNames(def: AnySagaDefinition): string[] {
  return [...new Set<string>([def.start, ...Object.keys(def.events), TIMEOUT_EVENT])];
}

/** `unproduced-event`: consumed by a reaction, emitted by nobody. */
export function checkUnproduced(def: AnySagaDefinition, reactions: readonly Reaction[]): VerificationFinding[] {
  const out: VerificationFinding[] = [];
  for (const event of eventNames(def)) {
    const consumers = reactions.filter((r) => r.event === event);
    const first = consumers[0];
    if (!first || producersOf(def, event).length > 0) continue;
    out.push({
      code: 'unproduced-event',
      severity: 'error',
      event,
      participant: first.participant,
      step: first.step,
      message:
        `Event "${event}" is consumed by ${consumers.map((r) => reactionLabel(r.participant, r.step, r.phase)).join(', ')} ` +
        `but nothing produces it, so ${consumers.length === 1 ? 'that reaction' : 'those reactions'} can never run. ` +
        `Add "${event}" to the "emits", "failsWith" or compensation "emits" of the step that should produce it, or remove the reaction.`,
    });
  }
  return out;
}

/** `unconsumed-event` / `timeout-ignored` / `unused-event`. */
export function checkUnconsumed(def: AnySagaDefinition, reactions: readonly Reaction[]): VerificationFinding[] {
  const out: VerificationFinding[] = [];
  for (const event of eventNames(def)) {
    if (reactions.some((r) => r.event === event)) continue;
    if (event === TIMEOUT_EVENT) {
      out.push({
        code: 'timeout-ignored',
        severity: 'warning',
        event,
        message:
          `No participant reacts to "${TIMEOUT_EVENT}": when the deadline (${def.deadlineSeconds}s) passes, nothing compensates. ` +
          `Add "${TIMEOUT_EVENT}" to the compensation "on" of the newest step before the pivot, so a deadline starts backward recovery (newest first).`,
      });
      continue;
    }
    if (isTerminal(def, event)) continue;
    const producers = producersOf(def, event);
    if (producers.length === 0) {
      out.push({
        code: 'unused-event',
        severity: 'warning',
        event,
        message: `Event "${event}" is declared but nothing produces or consumes it; remove it from "events" or wire it into a step.`,
      });
      continue;
    }
    const emitters = reactions.filter((r) => r.mayEmit.includes(event));
    const by = [...(event === def.start ? ['the initiator (start event)'] : []), ...emitters.map((r) => reactionLabel(r.participant, r.step, r.phase))];
    const first = emitters[0];
    out.push({
      code: 'unconsumed-event',
      severity: 'error',
      event,
      ...(first ? { participant: first.participant, step: first.step } : {}),
      message:
        `Event "${event}" is produced by ${by.join(', ')} but no reaction consumes it and it is not a terminal event, so a saga that emits it stalls until its deadline. ` +
        `Make a step react to it ("on" or compensation "on"), or list it under terminal.success / terminal.failure.`,
    });
  }
  return out;
}

/** `duplicate-reaction`: one participant reacting to one event in two places. */
export function checkDuplicates(reactions: readonly Reaction[]): VerificationFinding[] {
  const groups = new Map<string, Reaction[]>();
  for (const r of reactions) {
    const key = `${r.participant}\u0000${r.event}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: VerificationFinding[] = [];
  for (const group of groups.values()) {
    const first = group[0];
    if (!first || group.length < 2) continue;
    out.push({
      code: 'duplicate-reaction',
      severity: 'error',
      event: first.event,
      participant: first.participant,
      step: first.step,
      message:
        `Participant "${first.participant}" reacts to "${first.event}" in ${group.length} places (${group.map((r) => reactionLabel(r.participant, r.step, r.phase)).join(', ')}); ` +
        `the runtime routes one event to one reaction per participant. Merge them into one step, or let one of them react to a different event.`,
    });
  }
  return out;
}

/** `compensation-on-success-path`: a compensation triggered by a success terminal. */
export function checkCompensationOnSuccess(def: AnySagaDefinition, reactions: readonly Reaction[]): VerificationFinding[] {
  return reactions
    .filter((r) => r.phase === 'compensate' && isTerminal(def, r.event) === 'success')
    .map((r) => ({
      code: 'compensation-on-success-path' as const,
      severity: 'warning' as const,
      event: r.event,
      participant: r.participant,
      step: r.step,
      message:
        `The compensation of ${r.participant}.${r.step} is triggered by "${r.event}", a success terminal: every successful saga would undo that step. ` +
        `Trigger it with a failure event instead (a "failsWith" event, "${TIMEOUT_EVENT}" or an event emitted by another compensation).`,
    }));
}

/** Node of the reaction graph: an event or a reaction. */
type Node = { kind: 'event'; event: string } | { kind: 'reaction'; reaction: Reaction };

/**
 * `reaction-cycle`: a cycle event → reaction → emitted event → … One finding per strongly
 * connected component, with its shortest cycle through the component's first node.
 */
export function checkCycles(def: AnySagaDefinition, reactions: readonly Reaction[]): VerificationFinding[] {
  const nodes: Node[] = [
    ...eventNames(def).map((event): Node => ({ kind: 'event', event })),
    ...reactions.map((reaction): Node => ({ kind: 'reaction', reaction })),
  ];
  const eventIndex = new Map(eventNames(def).map((e, i) => [e, i]));
  const offset = eventIndex.size;
  const succ: number[][] = nodes.map((n) => {
    if (n.kind === 'event') return reactions.flatMap((r, i) => (r.event === n.event ? [offset + i] : []));
    return [...new Set(n.reaction.mayEmit)].flatMap((e) => {
      const idx = eventIndex.get(e);
      return idx === undefined ? [] : [idx];
    });
  });

  const components = stronglyConnected(succ);
  const out: VerificationFinding[] = [];
  for (const comp of components) {
    const members = new Set(comp);
    const start = Math.min(...comp);
    const selfLoop = (succ[start] ?? []).includes(start);
    if (comp.length < 2 && !selfLoop) continue;
    const cycle = shortestCycle(start, succ, members);
    const labels = cycle.map((i) => {
      const n = nodes[i]!;
      return n.kind === 'event' ? n.event : reactionLabel(n.reaction.participant, n.reaction.step, n.reaction.phase);
    });
    const firstReaction = cycle.map((i) => nodes[i]!).find((n): n is Extract<Node, { kind: 'reaction' }> => n.kind === 'reaction');
    const firstEvent = nodes[start]!;
    out.push({
      code: 'reaction-cycle',
      severity: 'error',
      ...(firstEvent.kind === 'event' ? { event: firstEvent.event } : {}),
      ...(firstReaction ? { participant: firstReaction.reaction.participant, step: firstReaction.reaction.step } : {}),
      message:
        `Reaction cycle: ${labels.join(' → ')}. A choreography must move forward to a terminal event; ` +
        `break the cycle by emitting a new event type in one of these steps instead of one that re-triggers an earlier reaction.`,
    });
  }
  return out.sort((a, b) => compareStrings(a.message, b.message));
}

/** Tarjan's algorithm (iterative), components in discovery order. */
function stronglyConnected(succ: readonly (readonly number[])[]): number[][] {
  const index = new Array<number>(succ.length).fill(-1);
  const low = new Array<number>(succ.length).fill(0);
  const onStack = new Array<boolean>(succ.length).fill(false);
  const stack: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  for (let root = 0; root < succ.length; root++) {
    if (index[root] !== -1) continue;
    const work: { node: number; next: number }[] = [{ node: root, next: 0 }];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = true;
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const edges = succ[frame.node] ?? [];
      if (frame.next < edges.length) {
        const w = edges[frame.next++]!;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = true;
          work.push({ node: w, next: 0 });
        } else if (onStack[w]) {
          low[frame.node] = Math.min(low[frame.node]!, index[w]!);
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent.node] = Math.min(low[parent.node]!, low[frame.node]!);
      if (low[frame.node] === index[frame.node]) {
        const comp: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = false;
          comp.push(w);
        } while (w !== frame.node);
        out.push(comp.sort((a, b) => a - b));
      }
    }
  }
  return out;
}

/** Shortest path start → … → start inside one component (BFS); returns the closed path. */
function shortestCycle(start: number, succ: readonly (readonly number[])[], members: ReadonlySet<number>): number[] {
  const prev = new Map<number, number>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of succ[v] ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let x = v; x !== start; x = prev.get(x)!) path.push(x);
        path.push(start);
        // path is start, v, …, (first hop) reversed after the head; rebuild in forward order.
        return [start, ...path.slice(1, -1).reverse(), start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}


/** `step-deadline-too-late`: a step deadline that cannot pass before the saga's own deadline does. */
export function checkStepDeadlines(def: AnySagaDefinition): VerificationFinding[] {
  const out: VerificationFinding[] = [];
  for (const [participant, spec] of Object.entries(def.participants as Readonly<Record<string, ParticipantSpec>>)) {
    for (const [step, s] of Object.entries(spec.steps)) {
      if (s.deadlineSeconds === undefined || s.deadlineSeconds < def.deadlineSeconds) continue;
      out.push({
        code: 'step-deadline-too-late',
        severity: 'warning',
        participant,
        step,
        message:
          `Step ${participant}.${step} has deadlineSeconds ${s.deadlineSeconds}, not less than the saga's ${def.deadlineSeconds}: counted from a later event, it can never pass first, so it changes nothing. ` +
          `Make it shorter than the saga's deadline, or remove it.`,
      });
    }
  }
  return out;
}
