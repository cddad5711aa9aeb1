/**
 * Evaluation of a compiled pattern tree against an event.
 *
 * EventBridge flattens events into leaf paths, "crushing" arrays: a value inside an array (at any
 * depth) counts as a value of the field holding the array. We get the same result by walking the
 * event alongside the pattern:
 * - a leaf field matches if ANY of its leaf values matches ANY alternative of the match array;
 * - a nested pattern object facing an array of objects must match within ONE element — EventBridge
 *   is array-consistent and never combines fields taken from different elements of one array;
 * - objects are not leaves: `{"exists": true}` does not match a field holding an object, and a
 *   value test never sees one.
 */

import type { CompiledLeaf, CompiledObject, Scalar } from './types.js';

const hasOwn = Object.prototype.hasOwnProperty;

function isScalar(value: unknown): value is Scalar {
  const type = typeof value;
  return value === null || type === 'string' || type === 'number' || type === 'boolean';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function scalarMatches(leaf: CompiledLeaf, value: Scalar): boolean {
  if (leaf.existsTrue || leaf.literals.has(value)) return true;
  for (const test of leaf.tests) {
    if (test(value)) return true;
  }
  return false;
}

/**
 * Walks the scalars of a (possibly nested) event array. Returns 'match' as soon as one matches,
 * 'present' if scalars exist but none matched, 'absent' if the array holds no scalar at all.
 */
function scanArray(leaf: CompiledLeaf, values: readonly unknown[]): 'match' | 'present' | 'absent' {
  let result: 'present' | 'absent' = 'absent';
  for (const value of values) {
    if (Array.isArray(value)) {
      const inner = scanArray(leaf, value);
      if (inner === 'match') return 'match';
      if (inner === 'present') result = 'present';
    } else if (isScalar(value)) {
      if (scalarMatches(leaf, value)) return 'match';
      result = 'present';
    }
    // Objects inside the array are not leaf values of this field.
  }
  return result;
}

/** Matches one leaf field; `value` is undefined when the event does not have the field. */
function matchLeaf(leaf: CompiledLeaf, value: unknown): boolean {
  // Fast path first: most event fields are plain scalars.
  if (isScalar(value)) return scalarMatches(leaf, value);
  if (Array.isArray(value)) {
    const scanned = scanArray(leaf, value);
    return scanned === 'match' || (scanned === 'absent' && leaf.existsFalse);
  }
  // Missing field, or an object (not a leaf): only {"exists": false} can match.
  return leaf.existsFalse;
}

/** Checks all fields and the `$or` of one pattern level against one event object (or nothing). */
function matchLevel(node: CompiledObject, object: Record<string, unknown> | undefined): boolean {
  for (const field of node.fields) {
    const value = object !== undefined && hasOwn.call(object, field.key) ? object[field.key] : undefined;
    const matched = field.node.kind === 'leaf' ? matchLeaf(field.node, value) : matchObject(field.node, value);
    if (!matched) return false;
  }
  if (node.or !== null) {
    for (const alternative of node.or) {
      if (matchLevel(alternative, object)) return true;
    }
    return false;
  }
  return true;
}

/** Collects the objects of a (possibly nested) event array: each is a candidate for array-consistent matching. */
function collectObjects(values: readonly unknown[], into: Record<string, unknown>[]): void {
  for (const value of values) {
    if (Array.isArray(value)) collectObjects(value, into);
    else if (isObject(value)) into.push(value);
  }
}

/**
 * Matches a pattern object against an event value. A missing or scalar value has no sub-fields,
 * which still lets `{"exists": false}` inside the pattern match (as in AWS).
 */
export function matchObject(node: CompiledObject, value: unknown): boolean {
  if (isObject(value)) return matchLevel(node, value);
  if (Array.isArray(value)) {
    const candidates: Record<string, unknown>[] = [];
    collectObjects(value, candidates);
    if (candidates.length === 0) return matchLevel(node, undefined);
    for (const candidate of candidates) {
      if (matchLevel(node, candidate)) return true;
    }
    return false;
  }
  return matchLevel(node, undefined);
}
