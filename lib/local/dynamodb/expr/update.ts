import { cloneItem } from '../clone.js';
import { DynamoDbError, validation } from '../errors.js';
import type { AttributeValue, Item } from '../types.js';
import { addNumbers, compareBytes, subtractNumbers, typeOf, valuesEqual } from '../values.js';
import type { Operand, UpdateAction } from './ast.js';
import { getPath, resolvePath, type ResolvedPath } from './evaluate.js';
import type { ExpressionUsage } from './usage.js';

const WRONG_TYPE = 'An operand in the update expression has an incorrect data type';
const MISSING = 'The provided expression refers to an attribute that does not exist in the item';
const BAD_PATH = 'The document path provided in the update expression is invalid for update';

const TYPE_WORDS: Record<string, string> = { S: 'STRING', N: 'NUMBER', B: 'BINARY', BOOL: 'BOOLEAN', NULL: 'NULL', M: 'MAP', L: 'LIST', SS: 'SET', NS: 'SET', BS: 'SET' };

export function showPath(path: ResolvedPath): string {
  return `[${path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join(', ')}]`;
}

/** DynamoDB refuses two paths of which one contains the other, in updates and in projections. */
export function checkOverlaps(paths: readonly ResolvedPath[], kind: 'UpdateExpression' | 'ProjectionExpression'): void {
  for (let i = 0; i < paths.length; i++) {
    for (let j = i + 1; j < paths.length; j++) {
      const [a, b] = [paths[i]!, paths[j]!];
      const n = Math.min(a.length, b.length);
      let prefix = true;
      for (let k = 0; k < n && prefix; k++) prefix = a[k] === b[k];
      if (prefix) throw validation(`Invalid ${kind}: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${showPath(a)}, path two: ${showPath(b)}`);
      let conflict = false;
      for (let k = 0; k < n; k++) {
        if (a[k] === b[k]) continue;
        conflict = typeof a[k] !== typeof b[k];
        break;
      }
      if (conflict) throw validation(`Invalid ${kind}: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: ${showPath(a)}, path two: ${showPath(b)}`);
    }
  }
}

/** Checks what can be checked before reading the item: ADD takes numbers and sets, DELETE sets. */
export function checkActions(actions: readonly UpdateAction[], usage: ExpressionUsage): void {
  for (const action of actions) {
    if (action.kind !== 'ADD' && action.kind !== 'DELETE') continue;
    const type = typeOf(usage.values[action.value.ref]!);
    const ok = action.kind === 'ADD' ? ['N', 'SS', 'NS', 'BS'].includes(type) : ['SS', 'NS', 'BS'].includes(type);
    if (!ok) throw validation(`Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ${action.kind}, operand type: ${TYPE_WORDS[type]}`);
  }
}

function evaluate(op: Operand, item: Item, usage: ExpressionUsage): AttributeValue {
  switch (op.kind) {
    case 'value':
      return usage.values[op.ref]!;
    case 'path': {
      const v = getPath(item, resolvePath(op, usage));
      if (v === undefined) throw validation(MISSING);
      return v;
    }
    case 'arith': {
      const a = evaluate(op.left, item, usage);
      const b = evaluate(op.right, item, usage);
      if (!('N' in a) || !('N' in b)) throw validation(WRONG_TYPE);
      return { N: op.op === '+' ? addNumbers(a.N, b.N) : subtractNumbers(a.N, b.N) };
    }
    case 'call': {
      if (op.name === 'if_not_exists') {
        const existing = getPath(item, resolvePath(op.args[0] as Parameters<typeof resolvePath>[0], usage));
        return existing ?? evaluate(op.args[1]!, item, usage);
      }
      if (op.name === 'list_append') {
        const a = evaluate(op.args[0]!, item, usage);
        const b = evaluate(op.args[1]!, item, usage);
        if (!('L' in a) || !('L' in b)) throw validation(WRONG_TYPE);
        return { L: [...a.L, ...b.L] };
      }
      throw validation(`Invalid UpdateExpression: The function is not allowed in an update expression; function: ${op.name}`);
    }
  }
}

type Mutable = Record<string, AttributeValue>;

/** The container that holds the last step of `path` (a map's members or a list), in the mutable copy. */
function parentOf(item: Mutable, path: ResolvedPath): { container: Mutable | AttributeValue[]; key: string | number } | undefined {
  let container: Mutable | AttributeValue[] = item;
  for (let i = 0; i < path.length - 1; i++) {
    const part = path[i]!;
    const next: AttributeValue | undefined = Array.isArray(container) ? (typeof part === 'number' ? container[part] : undefined) : typeof part === 'string' ? container[part] : undefined;
    if (next === undefined) return undefined;
    const nextPart = path[i + 1]!;
    if (typeof nextPart === 'number' && 'L' in next) container = next.L as AttributeValue[];
    else if (typeof nextPart === 'string' && 'M' in next) container = next.M as Mutable;
    else return undefined;
  }
  return { container, key: path[path.length - 1]! };
}

function setAt(item: Mutable, path: ResolvedPath, value: AttributeValue): void {
  const at = parentOf(item, path);
  if (!at) throw validation(BAD_PATH);
  if (Array.isArray(at.container)) {
    if (typeof at.key !== 'number') throw validation(BAD_PATH);
    if (at.key >= at.container.length) at.container.push(value);
    else at.container[at.key] = value;
  } else {
    if (typeof at.key !== 'string') throw validation(BAD_PATH);
    at.container[at.key] = value;
  }
}

function removeAt(item: Mutable, path: ResolvedPath): void {
  const at = parentOf(item, path);
  if (!at) return;
  if (Array.isArray(at.container)) {
    if (typeof at.key === 'number' && at.key < at.container.length) at.container.splice(at.key, 1);
  } else if (typeof at.key === 'string') delete at.container[at.key];
}

function setUnion(a: AttributeValue, b: AttributeValue): AttributeValue {
  if ('SS' in a && 'SS' in b) return { SS: [...a.SS, ...b.SS.filter((s) => !a.SS.includes(s))] };
  if ('NS' in a && 'NS' in b) return { NS: [...a.NS, ...b.NS.filter((n) => !a.NS.some((m) => valuesEqual({ N: m }, { N: n })))] };
  if ('BS' in a && 'BS' in b) return { BS: [...a.BS, ...b.BS.filter((x) => !a.BS.some((y) => compareBytes(x, y) === 0))] };
  throw validation(WRONG_TYPE);
}

function setDifference(a: AttributeValue, b: AttributeValue): AttributeValue | undefined {
  let out: AttributeValue;
  if ('SS' in a && 'SS' in b) out = { SS: a.SS.filter((s) => !b.SS.includes(s)) };
  else if ('NS' in a && 'NS' in b) out = { NS: a.NS.filter((n) => !b.NS.some((m) => valuesEqual({ N: m }, { N: n }))) };
  else if ('BS' in a && 'BS' in b) out = { BS: a.BS.filter((x) => !b.BS.some((y) => compareBytes(x, y) === 0)) };
  else throw validation(WRONG_TYPE);
  const size = 'SS' in out ? out.SS.length : 'NS' in out ? out.NS.length : (out as { BS: unknown[] }).BS.length;
  return size === 0 ? undefined : out; // a set emptied by DELETE disappears
}

/**
 * Applies an update to a copy of `item`: every operand is read from the item as it was before
 * the update (as DynamoDB does), then the actions are applied; list elements removed by index go
 * highest index first, so each index names the element it named in the original list.
 */
export function applyActions(actions: readonly UpdateAction[], paths: readonly ResolvedPath[], item: Item, usage: ExpressionUsage): Item {
  const sets = actions.map((a) => (a.kind === 'SET' ? evaluate(a.value, item, usage) : undefined));
  const out = cloneItem(item) as Mutable;
  const order = actions.map((_, i) => i);
  order.sort((x, y) => {
    const [a, b] = [actions[x]!, actions[y]!];
    if (a.kind === 'REMOVE' && b.kind === 'REMOVE') {
      const [pa, pb] = [paths[x]!, paths[y]!];
      const la = pa[pa.length - 1];
      const lb = pb[pb.length - 1];
      if (typeof la === 'number' && typeof lb === 'number') return lb - la;
    }
    return x - y;
  });
  for (const i of order) {
    const action = actions[i]!;
    const path = paths[i]!;
    if (action.kind === 'SET') setAt(out, path, sets[i]!);
    else if (action.kind === 'REMOVE') removeAt(out, path);
    else {
      const operand = usage.values[action.value.ref]!;
      const existing = getPath(out, path);
      if (action.kind === 'ADD') {
        if (existing === undefined) setAt(out, path, operand);
        else if ('N' in existing && 'N' in operand) setAt(out, path, { N: addNumbers(existing.N, operand.N) });
        else setAt(out, path, setUnion(existing, operand));
      } else if (existing !== undefined) {
        const rest = setDifference(existing, operand);
        if (rest) setAt(out, path, rest);
        else removeAt(out, path);
      }
    }
  }
  return out;
}

export { DynamoDbError };
