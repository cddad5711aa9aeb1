/**
 * Structural validation of an event pattern, producing the compiled tree in the same pass.
 *
 * The rules mirror what EventBridge (aws/event-ruler's JsonRuleCompiler) enforces:
 * - the pattern is a non-empty JSON object; nested objects are non-empty too;
 * - every field holds either a nested object or a non-empty match array;
 * - match array elements are strings, numbers, booleans, null or one-operator objects;
 * - `"$or"` is an array of at least two non-empty objects, and inside an `$or` branch field
 *   names that are operator keywords are rejected (they almost always mean a misplaced operator).
 */

import { PatternError, describeValue, isPlainObject, joinPath, preview } from './errors.js';
import { OPERATOR_NAMES, compileOperator } from './operators.js';
import type { CompiledField, CompiledLeaf, CompiledObject, Scalar, ValueMatcher } from './types.js';

/** Field names EventBridge refuses inside `$or` branches: operators, comparison symbols and reserved words. */
const RESERVED_IN_OR: ReadonlySet<string> = new Set([
  ...OPERATOR_NAMES,
  'exactly',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

const OPERATOR_SET: ReadonlySet<string> = new Set(OPERATOR_NAMES);

/** Compiles a match array such as `["a", 5, null, {"prefix": "x"}]`. */
function compileLeaf(values: readonly unknown[], path: string): CompiledLeaf {
  if (values.length === 0) {
    throw new PatternError(
      path,
      `the match array [] is empty; list at least one value or operator, e.g. ["value"] — to match a field that is missing use [{"exists": false}]`,
      values,
    );
  }
  const literals = new Set<Scalar>();
  const tests: ValueMatcher[] = [];
  let existsTrue = false;
  let existsFalse = false;
  for (const value of values) {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') {
      literals.add(value);
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        throw new PatternError(path, `match value ${String(value)} is not a finite number and cannot appear in JSON; use a finite number`, values);
      }
      literals.add(value);
    } else if (isPlainObject(value)) {
      const compiled = compileOperator(value, path);
      if (compiled.kind === 'exists') {
        if (compiled.exists) existsTrue = true;
        else existsFalse = true;
      } else {
        tests.push(compiled.test);
      }
    } else {
      const hint = Array.isArray(value) ? ' Arrays cannot be nested: put all alternatives in one flat array, e.g. ["a", "b"].' : '';
      throw new PatternError(
        path,
        `match values must be strings, numbers, booleans, null or operator objects such as {"prefix": "a"}, got ${describeValue(value)}.${hint}`,
        values,
      );
    }
  }
  return { kind: 'leaf', literals, tests, existsTrue, existsFalse };
}

/** Error for a field whose value is a bare scalar instead of an array/object — the most common mistake. */
function notArrayOrObject(key: string, value: unknown, path: string): PatternError {
  let fix = `wrap it in an array: ${preview([value])}`;
  if (OPERATOR_SET.has(key)) {
    // {"source": {"prefix": "a"}} — the operator object lost its surrounding array.
    const parent = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '<field>';
    fix = `${JSON.stringify(key)} looks like an operator; operators go inside the match array: "${parent.split('.').pop() ?? parent}": [{${JSON.stringify(key)}: ${preview(value)}}]`;
  }
  return new PatternError(path, `expected a match array or a nested object, got ${describeValue(value)}; ${fix}`, value);
}

/** Compiles `"$or": [ {...}, {...} ]` found at `path`. */
function compileOr(value: unknown, path: string): CompiledObject[] {
  const orPath = joinPath(path, '$or');
  if (!Array.isArray(value)) {
    throw new PatternError(
      orPath,
      `"$or" must be an array of at least two pattern objects, got ${describeValue(value)}; e.g. "$or": [{"state": ["running"]}, {"code": [500]}]`,
      value,
    );
  }
  if (value.length < 2) {
    throw new PatternError(
      orPath,
      `"$or" needs at least two alternatives, got ${value.length} in ${preview(value)}; with one alternative, move its fields into the enclosing object instead`,
      value,
    );
  }
  return value.map((alternative, index) => {
    const alternativePath = `${orPath}[${index}]`;
    if (!isPlainObject(alternative)) {
      throw new PatternError(
        alternativePath,
        `every "$or" alternative must be a pattern object such as {"state": ["running"]}, got ${describeValue(alternative)}`,
        alternative,
      );
    }
    return compileObject(alternative, alternativePath, true);
  });
}

/** Compiles a (nested) pattern object. `insideOr` enables AWS's reserved-name check for `$or` branches. */
function compileObject(object: Record<string, unknown>, path: string, insideOr: boolean): CompiledObject {
  const keys = Object.keys(object);
  if (keys.length === 0) {
    throw new PatternError(
      path,
      `empty objects {} are not allowed; add at least one field with a match array, or remove ${path === '' ? 'the pattern' : 'this field'}`,
      object,
    );
  }
  const fields: CompiledField[] = [];
  let or: CompiledObject[] | null = null;
  for (const key of keys) {
    const value = object[key];
    if (key === '$or') {
      or = compileOr(value, path);
      continue;
    }
    const fieldPath = joinPath(path, key);
    if (insideOr && RESERVED_IN_OR.has(key)) {
      throw new PatternError(
        fieldPath,
        `${JSON.stringify(key)} is a reserved keyword and cannot be used as a field name inside "$or"; if it is an operator, put it inside the field's match array, e.g. {"state": [{${JSON.stringify(key)}: ...}]}`,
        value,
      );
    }
    if (Array.isArray(value)) {
      fields.push({ key, node: compileLeaf(value, fieldPath) });
    } else if (isPlainObject(value)) {
      fields.push({ key, node: compileObject(value, fieldPath, insideOr) });
    } else {
      throw notArrayOrObject(key, value, fieldPath);
    }
  }
  return { kind: 'object', fields, or };
}

/**
 * Validates a parsed pattern (already an object, not a JSON string) and returns its compiled tree.
 * Throws {@link PatternError} on the first problem found.
 */
export function compilePatternTree(pattern: unknown): CompiledObject {
  if (!isPlainObject(pattern)) {
    throw new PatternError(
      '',
      `an event pattern must be a JSON object such as {"source": ["my.app"]}, got ${describeValue(pattern)}`,
      pattern,
    );
  }
  return compileObject(pattern, '', false);
}
