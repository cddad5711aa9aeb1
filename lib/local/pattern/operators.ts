/**
 * Operator objects inside a match array, e.g. `[{"prefix": "us-"}, {"numeric": [">", 0]}]`.
 * Each object holds exactly one operator; the array's elements are alternatives (OR).
 *
 * String operators (prefix, suffix, equals-ignore-case, wildcard) only ever match JSON strings:
 * EventBridge compares them against the quoted JSON text of the value, so the number 5 never
 * has the prefix "5".
 */

import { compileAnythingBut } from './anything-but.js';
import { compileCidr } from './cidr.js';
import { PatternError, describeValue, isPlainObject, preview, quoteList } from './errors.js';
import { compileNumeric } from './numeric.js';
import { compileWildcard } from './wildcard.js';
import type { ValueMatcher } from './types.js';

/** Every operator EventBridge accepts inside a match array. */
export const OPERATOR_NAMES = [
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
] as const;

/** A compiled operator: `exists` is structural (about presence), everything else tests a value. */
export type CompiledOperator = { readonly kind: 'exists'; readonly exists: boolean } | { readonly kind: 'test'; readonly test: ValueMatcher };

/** Case-insensitive comparisons lower-case both sides once; the pattern side is done at compile time. */
function lower(value: string): string {
  return value.toLowerCase();
}

/** `prefix`/`suffix`: a string, or `{"equals-ignore-case": string}` for the case-insensitive form. */
function compileAffix(name: 'prefix' | 'suffix', operand: unknown, path: string, fragment: unknown): ValueMatcher {
  const usage = `${JSON.stringify(name)} expects a string or {"equals-ignore-case": "<string>"}`;
  const at = name === 'prefix' ? (v: string, a: string) => v.startsWith(a) : (v: string, a: string) => v.endsWith(a);
  if (typeof operand === 'string') {
    return (value) => typeof value === 'string' && at(value, operand);
  }
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') {
      throw new PatternError(
        path,
        `${usage}; the object ${preview(operand)} is not allowed — the only operator that can be nested in ${JSON.stringify(name)} is "equals-ignore-case", e.g. {${JSON.stringify(name)}: {"equals-ignore-case": "abc"}}`,
        fragment,
      );
    }
    const affix = operand['equals-ignore-case'];
    if (typeof affix !== 'string') {
      throw new PatternError(path, `${usage}; "equals-ignore-case" inside ${JSON.stringify(name)} got ${describeValue(affix)}, which is not a string`, fragment);
    }
    const lowered = lower(affix);
    return (value) => typeof value === 'string' && at(lower(value), lowered);
  }
  const example = Array.isArray(operand)
    ? `for several alternatives use one object per ${name}, e.g. [{${JSON.stringify(name)}: "a"}, {${JSON.stringify(name)}: "b"}]`
    : `e.g. {${JSON.stringify(name)}: ${typeof operand === 'number' || typeof operand === 'boolean' ? JSON.stringify(String(operand)) : name === 'prefix' ? '"us-"' : '".png"'}}`;
  throw new PatternError(path, `${usage}, got ${describeValue(operand)}; ${example}`, fragment);
}

function compileEqualsIgnoreCase(operand: unknown, path: string, fragment: unknown): ValueMatcher {
  if (typeof operand !== 'string') {
    throw new PatternError(path, `"equals-ignore-case" expects a string, got ${describeValue(operand)}; e.g. {"equals-ignore-case": "Running"}`, fragment);
  }
  const lowered = lower(operand);
  return (value) => typeof value === 'string' && lower(value) === lowered;
}

/** Levenshtein distance, for "did you mean" hints on misspelled operators (`prefx` → `prefix`). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function unknownOperator(name: string, path: string, fragment: unknown): PatternError {
  const closest = OPERATOR_NAMES.map((candidate) => ({ candidate, distance: editDistance(name.toLowerCase(), candidate) })).sort(
    (x, y) => x.distance - y.distance,
  )[0];
  let hint = '';
  if (name === '$or') hint = ' "$or" is written at object level next to fields, e.g. {"$or": [{"a": ["x"]}, {"b": ["y"]}]}, not inside a match array.';
  else if (closest !== undefined && closest.distance <= 2) hint = ` Did you mean ${JSON.stringify(closest.candidate)}?`;
  return new PatternError(path, `unknown operator ${JSON.stringify(name)} in ${preview(fragment)}; use one of ${quoteList(OPERATOR_NAMES)}.${hint}`, fragment);
}

/**
 * Validates one operator object from a match array and compiles it. `path` is the field the
 * array belongs to (e.g. `detail.amount`) so errors point at the event field the user wrote.
 */
export function compileOperator(object: Record<string, unknown>, path: string): CompiledOperator {
  const keys = Object.keys(object);
  if (keys.length !== 1) {
    const detail =
      keys.length === 0
        ? 'the empty object {} is not an operator'
        : `the operator object ${preview(object)} has ${keys.length} keys (${quoteList(keys)})`;
    throw new PatternError(
      path,
      `${detail}; each object in a match array must hold exactly one operator. Put alternatives in separate elements, e.g. [{"prefix": "a"}, {"suffix": "b"}] (either matches); to require a prefix AND a suffix use {"wildcard": "a*b"}.`,
      object,
    );
  }
  const name = keys[0]!;
  const operand = object[name];
  switch (name) {
    case 'prefix':
    case 'suffix':
      return { kind: 'test', test: compileAffix(name, operand, path, object) };
    case 'equals-ignore-case':
      return { kind: 'test', test: compileEqualsIgnoreCase(operand, path, object) };
    case 'wildcard':
      return { kind: 'test', test: compileWildcard(operand, path, object) };
    case 'anything-but':
      return { kind: 'test', test: compileAnythingBut(operand, path, object) };
    case 'numeric':
      return { kind: 'test', test: compileNumeric(operand, path, object) };
    case 'cidr':
      return { kind: 'test', test: compileCidr(operand, path, object) };
    case 'exists':
      if (typeof operand !== 'boolean') {
        throw new PatternError(
          path,
          `"exists" expects true or false, got ${describeValue(operand)}; use {"exists": true} (field present) or {"exists": false} (field absent)`,
          object,
        );
      }
      return { kind: 'exists', exists: operand };
    default:
      throw unknownOperator(name, path, object);
  }
}
