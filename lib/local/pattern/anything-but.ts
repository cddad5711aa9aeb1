/**
 * `{"anything-but": ...}` — matches any present leaf value except the excluded ones.
 *
 * Semantics follow EventBridge's matcher (aws/event-ruler), where an exclusion only "catches" a
 * value of the same JSON type: `anything-but: "5"` still matches the number 5, `anything-but: 5`
 * still matches the string "5", and string exclusions (prefix/suffix/equals-ignore-case/wildcard)
 * never catch numbers, booleans or null. A missing field never matches (there is no value to
 * compare), which is why `anything-but` is not a negation of the whole field.
 */

import { PatternError, describeValue, isPlainObject, preview, quoteList } from './errors.js';
import { checkNumericBound } from './numeric.js';
import { compileWildcardSegments, matchSegments } from './wildcard.js';
import type { Scalar, ValueMatcher } from './types.js';

const NESTED_OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'] as const;
type NestedOperator = (typeof NESTED_OPERATORS)[number];

function isNestedOperator(name: string): name is NestedOperator {
  return (NESTED_OPERATORS as readonly string[]).includes(name);
}

/** Plain value exclusion: one string/number, or a list that is all strings or all numbers. */
function compileValueExclusion(operand: unknown, path: string, fragment: unknown): ValueMatcher {
  const values: unknown[] = Array.isArray(operand) ? operand : [operand];
  if (values.length === 0) {
    throw new PatternError(path, `"anything-but" has an empty list []; list at least one value to exclude, e.g. {"anything-but": ["stopped"]}`, fragment);
  }
  let strings = 0;
  let numbers = 0;
  for (const value of values) {
    if (typeof value === 'string') strings++;
    else if (typeof value === 'number') {
      checkNumericBound(value, path, fragment, 'the "anything-but" number');
      numbers++;
    } else {
      throw new PatternError(
        path,
        `"anything-but" accepts a string, a number, a list of strings or of numbers, or an object with one of ${quoteList(NESTED_OPERATORS)}; got ${describeValue(value)}`,
        fragment,
      );
    }
  }
  if (strings > 0 && numbers > 0) {
    throw new PatternError(
      path,
      `"anything-but" list ${preview(operand)} mixes strings and numbers; AWS requires all strings or all numbers — split it or quote/unquote the values consistently`,
      fragment,
    );
  }
  // SameValueZero: 5 and 5.0 are the same excluded number, but "5" never excludes 5.
  const excluded = new Set<Scalar>(values as Scalar[]);
  return (value) => !excluded.has(value);
}

/** String-operand list for the nested forms: one string or a non-empty array of strings. */
function stringList(name: NestedOperator, operand: unknown, path: string, fragment: unknown): string[] {
  const values: unknown[] = Array.isArray(operand) ? operand : [operand];
  if (values.length === 0) {
    throw new PatternError(path, `"anything-but" → ${JSON.stringify(name)} has an empty list []; give at least one string`, fragment);
  }
  return values.map((value) => {
    if (typeof value !== 'string') {
      throw new PatternError(
        path,
        `"anything-but" → ${JSON.stringify(name)} expects a string or a list of strings, got ${describeValue(value)}; e.g. {"anything-but": {${JSON.stringify(name)}: "init"}}`,
        fragment,
      );
    }
    if ((name === 'prefix' || name === 'suffix') && value === '') {
      throw new PatternError(path, `"anything-but" → ${JSON.stringify(name)} cannot be the empty string "" (it would exclude every string); remove the operator or give a real ${name}`, fragment);
    }
    return value;
  });
}

/** `{"anything-but": {"prefix" | "suffix" | "equals-ignore-case" | "wildcard": ...}}`. */
function compileNestedExclusion(operand: Record<string, unknown>, path: string, fragment: unknown): ValueMatcher {
  const keys = Object.keys(operand);
  if (keys.length !== 1) {
    throw new PatternError(
      path,
      `"anything-but" object ${preview(operand)} must have exactly one key, one of ${quoteList(NESTED_OPERATORS)}; got ${keys.length === 0 ? 'none' : quoteList(keys)}`,
      fragment,
    );
  }
  const name = keys[0]!;
  if (!isNestedOperator(name)) {
    const hint =
      name === 'anything-but'
        ? '"anything-but" cannot be nested inside "anything-but"'
        : `${JSON.stringify(name)} is not supported inside "anything-but"`;
    throw new PatternError(
      path,
      `${hint} (got ${preview(operand)}); inside "anything-but" use one of ${quoteList(NESTED_OPERATORS)}, or list the excluded values directly, e.g. {"anything-but": ["a", "b"]}`,
      fragment,
    );
  }
  const operandValue = operand[name];
  switch (name) {
    case 'prefix': {
      const prefixes = stringList(name, operandValue, path, fragment);
      return (value) => typeof value !== 'string' || !prefixes.some((prefix) => value.startsWith(prefix));
    }
    case 'suffix': {
      const suffixes = stringList(name, operandValue, path, fragment);
      return (value) => typeof value !== 'string' || !suffixes.some((suffix) => value.endsWith(suffix));
    }
    case 'equals-ignore-case': {
      const excluded = new Set(stringList(name, operandValue, path, fragment).map((value) => value.toLowerCase()));
      return (value) => typeof value !== 'string' || !excluded.has(value.toLowerCase());
    }
    case 'wildcard': {
      const sources = Array.isArray(operandValue) ? operandValue : [operandValue];
      if (sources.length === 0) stringList(name, sources, path, fragment); // throws the empty-list error
      const programs = sources.map((source) =>
        compileWildcardSegments(source, path, fragment, '"anything-but" → "wildcard"'),
      );
      return (value) => typeof value !== 'string' || !programs.some((segments) => matchSegments(value, segments));
    }
  }
}

/** Validates and compiles an `anything-but` operand. */
export function compileAnythingBut(operand: unknown, path: string, fragment: unknown): ValueMatcher {
  if (isPlainObject(operand)) return compileNestedExclusion(operand, path, fragment);
  return compileValueExclusion(operand, path, fragment);
}
