import { validation } from '../errors.js';
import type { AttributeValue, Item, KeySchema } from '../types.js';
import type { ConditionNode, Operand } from './ast.js';
import { checkCondition, evaluateCondition, resolvePath, type ResolvedPath } from './evaluate.js';
import type { ExpressionKind } from './lexer.js';
import { parseConditionTree, parseProjectionTree, parseUpdateTree } from './parser.js';
import { project } from './projection.js';
import { applyActions, checkActions, checkOverlaps } from './update.js';
import { ExpressionUsage } from './usage.js';

export { ExpressionUsage, type ExpressionInput } from './usage.js';
export { isReserved, RESERVED_WORDS } from './reserved.js';

/** A compiled ConditionExpression or FilterExpression, bound to one request's placeholders. */
export interface Condition {
  evaluate(item: Item | undefined): boolean;
}

/** A compiled UpdateExpression: `apply` returns a new item; `paths` are the paths it writes. */
export interface Update {
  apply(item: Item): Item;
  readonly paths: readonly ResolvedPath[];
}

/** A compiled ProjectionExpression. */
export interface Projection {
  apply(item: Item): Item;
  readonly paths: readonly ResolvedPath[];
}

export interface KeyCondition {
  readonly hashValue: AttributeValue;
  readonly range?: { readonly op: '=' | '<' | '<=' | '>' | '>=' | 'BETWEEN' | 'begins_with'; readonly values: readonly AttributeValue[] };
}

/**
 * Parses and checks a condition (or filter) against the request's placeholders.
 *
 * @example
 * ```ts
 * const usage = new ExpressionUsage({ values: { ':q': { N: '1' } } });
 * const c = parseCondition('attribute_exists(pk) AND qty >= :q', usage);
 * c.evaluate({ pk: { S: 'a' }, qty: { N: '2' } }); // true
 * ```
 */
export function parseCondition(text: string, usage: ExpressionUsage, kind: 'ConditionExpression' | 'FilterExpression' = 'ConditionExpression'): Condition {
  const { tree, refs } = parseConditionTree(text, kind);
  usage.use(refs, kind);
  checkCondition(tree, usage, kind);
  return { evaluate: (item) => evaluateCondition(tree, item, usage, kind) };
}

export function parseUpdate(text: string, usage: ExpressionUsage): Update {
  const { tree, refs } = parseUpdateTree(text);
  usage.use(refs, 'UpdateExpression');
  const paths = tree.map((action) => resolvePath(action.path, usage));
  checkOverlaps(paths, 'UpdateExpression');
  checkActions(tree, usage);
  return { paths, apply: (item) => applyActions(tree, paths, item, usage) };
}

export function parseProjection(text: string, usage: ExpressionUsage): Projection {
  const { tree, refs } = parseProjectionTree(text);
  usage.use(refs, 'ProjectionExpression');
  const paths = tree.map((p) => resolvePath(p, usage));
  checkOverlaps(paths, 'ProjectionExpression');
  return { paths, apply: (item) => project(item, paths) };
}

const KIND: ExpressionKind = 'KeyConditionExpression';
type RangeOp = NonNullable<KeyCondition['range']>['op'];
const FLIP: Record<string, RangeOp> = { '=': '=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/** Reads a KeyConditionExpression: `hash = :v` and at most one condition on the sort key. */
export function parseKeyCondition(text: string, usage: ExpressionUsage, key: KeySchema): KeyCondition {
  const { tree, refs } = parseConditionTree(text, KIND);
  usage.use(refs, KIND);
  checkCondition(tree, usage, KIND);
  const conjuncts: ConditionNode[] = [];
  const collect = (node: ConditionNode): void => {
    if (node.kind === 'and') {
      collect(node.left);
      collect(node.right);
    } else if (node.kind === 'or' || node.kind === 'not' || node.kind === 'in') throw validation(`Invalid operator used in KeyConditionExpression: ${node.kind.toUpperCase()}`);
    else conjuncts.push(node);
  };
  collect(tree);
  const attributeOf = (op: Operand): string | undefined => {
    if (op.kind !== 'path') return undefined;
    const path = resolvePath(op, usage);
    return path.length === 1 && typeof path[0] === 'string' ? path[0] : undefined;
  };
  const valueOf = (op: Operand): AttributeValue => {
    if (op.kind !== 'value') throw validation('Invalid KeyConditionExpression: The key condition must compare a key attribute with an expression attribute value');
    return usage.values[op.ref]!;
  };
  let hashValue: AttributeValue | undefined;
  let range: KeyCondition['range'];
  for (const c of conjuncts) {
    let attribute: string | undefined;
    let condition: { op: RangeOp; values: AttributeValue[] };
    if (c.kind === 'compare') {
      if (c.op === '<>') throw validation('Unsupported operator in KeyConditionExpression: <>');
      const left = attributeOf(c.left);
      attribute = left ?? attributeOf(c.right);
      condition = left !== undefined ? { op: c.op, values: [valueOf(c.right)] } : { op: FLIP[c.op]!, values: [valueOf(c.left)] };
    } else if (c.kind === 'between') {
      attribute = attributeOf(c.subject);
      condition = { op: 'BETWEEN', values: [valueOf(c.low), valueOf(c.high)] };
    } else if (c.kind === 'function' && c.name === 'begins_with') {
      attribute = attributeOf(c.args[0]!);
      condition = { op: 'begins_with', values: [valueOf(c.args[1]!)] };
    } else {
      throw validation(`Invalid operator used in KeyConditionExpression: ${c.kind === 'function' ? c.name : c.kind}`);
    }
    if (attribute === undefined || (attribute !== key.hash && attribute !== key.range)) throw validation('Query key condition not supported');
    if (attribute === key.hash) {
      if (hashValue !== undefined) throw validation('KeyConditionExpressions must only contain one condition per key');
      if (condition.op !== '=') throw validation('Query key condition not supported');
      hashValue = condition.values[0]!;
    } else {
      if (range !== undefined) throw validation('KeyConditionExpressions must only contain one condition per key');
      range = condition;
    }
  }
  if (hashValue === undefined) throw validation(`Query condition missed key schema element: ${key.hash}`);
  return range ? { hashValue, range } : { hashValue };
}
