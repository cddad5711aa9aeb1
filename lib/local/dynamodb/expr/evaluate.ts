import { validation } from '../errors.js';
import type { AttributeValue, Item } from '../types.js';
import { compareBytes, compareValues, typeOf, valuesEqual } from '../values.js';
import type { ConditionNode, Operand, PathNode } from './ast.js';
import type { ExpressionKind } from './lexer.js';
import type { ExpressionUsage } from './usage.js';

export type ResolvedPath = readonly (string | number)[];

/** A path with its `#placeholders` replaced by the request's names. */
export function resolvePath(path: PathNode, usage: ExpressionUsage): ResolvedPath {
  return path.parts.map((p) => (typeof p === 'number' ? p : p.placeholder ? usage.names[p.name]! : p.name));
}

/** The value at a path, or undefined when any step of it is missing or of the wrong kind. */
export function getPath(item: Item | undefined, path: ResolvedPath): AttributeValue | undefined {
  if (!item) return undefined;
  let current: AttributeValue | undefined = item[path[0] as string];
  for (let i = 1; i < path.length && current; i++) {
    const part = path[i]!;
    if (typeof part === 'number') current = 'L' in current ? current.L[part] : undefined;
    else current = 'M' in current ? current.M[part] : undefined;
  }
  return current;
}

const TYPE_NAMES = ['S', 'SS', 'N', 'NS', 'B', 'BS', 'BOOL', 'NULL', 'L', 'M'];

function sizeOf(value: AttributeValue): number | undefined {
  if ('S' in value) return [...value.S].length;
  if ('B' in value) return value.B.byteLength;
  if ('SS' in value) return value.SS.length;
  if ('NS' in value) return value.NS.length;
  if ('BS' in value) return value.BS.length;
  if ('L' in value) return value.L.length;
  if ('M' in value) return Object.keys(value.M).length;
  return undefined;
}

/** What an operand evaluates to against an item (undefined: a missing attribute). */
export function operandValue(op: Operand, item: Item | undefined, usage: ExpressionUsage, kind: ExpressionKind): AttributeValue | undefined {
  switch (op.kind) {
    case 'value':
      return usage.values[op.ref];
    case 'path':
      return getPath(item, resolvePath(op, usage));
    case 'call': {
      if (op.name !== 'size') throw validation(`Invalid ${kind}: The function is not allowed in a ${kind}; function: ${op.name}`);
      const target = op.args[0]!;
      if (target.kind !== 'path') throw validation(`Invalid ${kind}: Operator or function requires a document path; operator or function: size`);
      const value = operandValue(target, item, usage, kind);
      const size = value === undefined ? undefined : sizeOf(value);
      return size === undefined ? undefined : { N: String(size) };
    }
    default:
      throw validation(`Invalid ${kind}: Syntax error; token: "${op.op}", near: "${op.op}"`);
  }
}

const isScalarType = (v: AttributeValue): boolean => 'S' in v || 'N' in v || 'B' in v;

/** Statically refuses what DynamoDB refuses before reading data (wrong function operand types, bad bounds). */
export function checkCondition(node: ConditionNode, usage: ExpressionUsage, kind: ExpressionKind): void {
  const constant = (op: Operand) => (op.kind === 'value' ? usage.values[op.ref] : undefined);
  switch (node.kind) {
    case 'and':
    case 'or':
      checkCondition(node.left, usage, kind);
      checkCondition(node.right, usage, kind);
      return;
    case 'not':
      checkCondition(node.inner, usage, kind);
      return;
    case 'between': {
      const [low, high] = [constant(node.low), constant(node.high)];
      if (low && high) {
        const c = compareValues(low, high);
        if (c === undefined || c > 0) {
          throw validation(
            `Invalid ${kind}: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {${typeOf(low)}:${show(low)}}, upper bound operand: AttributeValue: {${typeOf(high)}:${show(high)}}`,
          );
        }
      }
      return;
    }
    case 'function': {
      const expected = { attribute_exists: 1, attribute_not_exists: 1, attribute_type: 2, begins_with: 2, contains: 2 }[node.name];
      if (node.args.length !== expected) {
        throw validation(`Invalid ${kind}: Incorrect number of operands for operator or function; operator or function: ${node.name}, number of operands: ${node.args.length}`);
      }
      if ((node.name === 'attribute_exists' || node.name === 'attribute_not_exists' || node.name === 'attribute_type') && node.args[0]!.kind !== 'path') {
        throw validation(`Invalid ${kind}: Operator or function requires a document path; operator or function: ${node.name}`);
      }
      if (node.name === 'attribute_type') {
        const t = constant(node.args[1]!);
        if (t && !('S' in t)) throw validation(`Invalid ${kind}: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: ${typeOf(t)}`);
        if (t && 'S' in t && !TYPE_NAMES.includes(t.S)) throw validation(`Invalid ${kind}: Invalid attribute type name found; type: ${t.S}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`);
      }
      if (node.name === 'begins_with') {
        const prefix = constant(node.args[1]!);
        if (prefix && !('S' in prefix) && !('B' in prefix)) throw validation(`Invalid ${kind}: Incorrect operand type for operator or function; operator or function: begins_with, operand type: ${typeOf(prefix)}`);
      }
      return;
    }
    default:
      return;
  }
}

function show(v: AttributeValue): string {
  if ('S' in v) return v.S;
  if ('N' in v) return v.N;
  return JSON.stringify(v);
}

function contains(haystack: AttributeValue, needle: AttributeValue): boolean {
  if ('S' in haystack) return 'S' in needle && haystack.S.includes(needle.S);
  if ('B' in haystack) return 'B' in needle && Buffer.from(haystack.B).includes(Buffer.from(needle.B));
  if ('SS' in haystack) return 'S' in needle && haystack.SS.includes(needle.S);
  if ('NS' in haystack) return 'N' in needle && haystack.NS.some((n) => valuesEqual({ N: n }, needle));
  if ('BS' in haystack) return 'B' in needle && haystack.BS.some((b) => compareBytes(b, needle.B) === 0);
  if ('L' in haystack) return haystack.L.some((v) => valuesEqual(v, needle));
  return false;
}

/** Evaluates a condition against an item (undefined: no item). */
export function evaluateCondition(node: ConditionNode, item: Item | undefined, usage: ExpressionUsage, kind: ExpressionKind): boolean {
  const value = (op: Operand) => operandValue(op, item, usage, kind);
  switch (node.kind) {
    case 'and':
      return evaluateCondition(node.left, item, usage, kind) && evaluateCondition(node.right, item, usage, kind);
    case 'or':
      return evaluateCondition(node.left, item, usage, kind) || evaluateCondition(node.right, item, usage, kind);
    case 'not':
      return !evaluateCondition(node.inner, item, usage, kind);
    case 'compare': {
      const a = value(node.left);
      const b = value(node.right);
      if (node.op === '=') return a !== undefined && b !== undefined && valuesEqual(a, b);
      // A missing attribute is "not equal" to anything, as in DynamoDB.
      if (node.op === '<>') return a === undefined || b === undefined || !valuesEqual(a, b);
      if (a === undefined || b === undefined || !isScalarType(a)) return false;
      const c = compareValues(a, b);
      if (c === undefined) return false;
      return node.op === '<' ? c < 0 : node.op === '<=' ? c <= 0 : node.op === '>' ? c > 0 : c >= 0;
    }
    case 'between': {
      const x = value(node.subject);
      const low = value(node.low);
      const high = value(node.high);
      if (!x || !low || !high) return false;
      const c1 = compareValues(x, low);
      const c2 = compareValues(x, high);
      return c1 !== undefined && c2 !== undefined && c1 >= 0 && c2 <= 0;
    }
    case 'in': {
      const x = value(node.subject);
      return x !== undefined && node.list.some((op) => {
        const v = value(op);
        return v !== undefined && valuesEqual(x, v);
      });
    }
    case 'function': {
      const [first, second] = node.args as [Operand, Operand | undefined];
      switch (node.name) {
        case 'attribute_exists':
          return value(first) !== undefined;
        case 'attribute_not_exists':
          return value(first) === undefined;
        case 'attribute_type': {
          const v = value(first);
          const t = value(second!);
          return v !== undefined && t !== undefined && 'S' in t && typeOf(v) === t.S;
        }
        case 'begins_with': {
          const v = value(first);
          const p = value(second!);
          if (!v || !p) return false;
          if ('S' in v && 'S' in p) return v.S.startsWith(p.S);
          if ('B' in v && 'B' in p) return v.B.length >= p.B.length && compareBytes(v.B.subarray(0, p.B.length), p.B) === 0;
          return false;
        }
        case 'contains': {
          const v = value(first);
          const n = value(second!);
          return v !== undefined && n !== undefined && contains(v, n);
        }
      }
    }
  }
  return false;
}
