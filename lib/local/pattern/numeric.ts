/**
 * `{"numeric": [">", 0, "<=", 5]}`. AWS accepts exactly these shapes:
 *   [op, n]                 with op one of <, <=, =, >, >=
 *   [lower, n1, upper, n2]  with lower one of >, >= and upper one of <, <=, and n1 < n2
 * Bounds must be JSON numbers within ±5.0e9 (the documented range of numeric matching).
 */

import { PatternError, describeValue, preview, quoteList } from './errors.js';
import type { ValueMatcher } from './types.js';

/** Numeric matching is documented as limited to -5.0e9 … +5.0e9 inclusive. */
export const NUMERIC_LIMIT = 5e9;

const OPERATORS = ['<', '<=', '=', '>', '>='] as const;
type Operator = (typeof OPERATORS)[number];
const LOWER_BOUND_OPERATORS: readonly string[] = ['>', '>='];
const UPPER_BOUND_OPERATORS: readonly string[] = ['<', '<='];

function isOperator(value: string): value is Operator {
  return (OPERATORS as readonly string[]).includes(value);
}

/** True for numbers EventBridge can compare numerically; values outside the range never match `numeric`. */
export function inNumericRange(value: number): boolean {
  return value >= -NUMERIC_LIMIT && value <= NUMERIC_LIMIT;
}

/** Checks one bound and returns it; rejects numeric strings explicitly because `"5"` is the most common mistake. */
export function checkNumericBound(value: unknown, path: string, fragment: unknown, where: string): number {
  if (typeof value !== 'number') {
    const hint =
      typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))
        ? `; remove the quotes: ${value.trim()}`
        : '';
    throw new PatternError(path, `${where} must be a JSON number, got ${describeValue(value)}${hint}`, fragment);
  }
  if (!Number.isFinite(value) || !inNumericRange(value)) {
    throw new PatternError(
      path,
      `${where} is ${String(value)}, outside the range EventBridge supports for numeric matching; use a number from -5e9 to 5e9 (-5000000000 to 5000000000)`,
      fragment,
    );
  }
  return value;
}

function checkOperator(value: unknown, position: number, operand: readonly unknown[], path: string, fragment: unknown): Operator {
  if (typeof value !== 'string') {
    throw new PatternError(
      path,
      `"numeric" expects a comparison operator at position ${position} of ${preview(operand)}, got ${describeValue(value)}; write e.g. [">", 0, "<=", 5]`,
      fragment,
    );
  }
  if (!isOperator(value)) {
    throw new PatternError(path, `numeric operator ${JSON.stringify(value)} is not supported; use one of ${quoteList(OPERATORS)}.`, fragment);
  }
  return value;
}

function compare(operator: Operator, value: number, bound: number): boolean {
  switch (operator) {
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '=':
      return value === bound;
    case '>':
      return value > bound;
    case '>=':
      return value >= bound;
  }
}

/** Validates a `numeric` operand and compiles it; only JSON numbers match (never numeric strings). */
export function compileNumeric(operand: unknown, path: string, fragment: unknown): ValueMatcher {
  if (!Array.isArray(operand)) {
    throw new PatternError(
      path,
      `"numeric" expects an array such as [">", 0, "<=", 5] or ["=", 3.5], got ${describeValue(operand)}`,
      fragment,
    );
  }
  if (operand.length !== 2 && operand.length !== 4) {
    throw new PatternError(
      path,
      `"numeric" array ${preview(operand)} has ${operand.length} element${operand.length === 1 ? '' : 's'}; use 2 (one comparison, e.g. ["<", 10]) or 4 (lower then upper bound, e.g. [">", 0, "<=", 5])`,
      fragment,
    );
  }
  const first = checkOperator(operand[0], 0, operand, path, fragment);
  const firstBound = checkNumericBound(operand[1], path, fragment, `the bound after ${JSON.stringify(first)}`);
  if (operand.length === 2) {
    return (value) => typeof value === 'number' && inNumericRange(value) && compare(first, value, firstBound);
  }

  const second = checkOperator(operand[2], 2, operand, path, fragment);
  if (!LOWER_BOUND_OPERATORS.includes(first) || !UPPER_BOUND_OPERATORS.includes(second)) {
    throw new PatternError(
      path,
      `"numeric" range ${preview(operand)} must give the lower bound first (">" or ">=") and the upper bound second ("<" or "<="); "=" cannot be combined. Write e.g. [">", 0, "<=", 5]`,
      fragment,
    );
  }
  const secondBound = checkNumericBound(operand[3], path, fragment, `the bound after ${JSON.stringify(second)}`);
  if (firstBound >= secondBound) {
    throw new PatternError(
      path,
      `"numeric" range ${preview(operand)} is empty or inverted: the lower bound ${firstBound} must be less than the upper bound ${secondBound}`,
      fragment,
    );
  }
  return (value) =>
    typeof value === 'number' && inNumericRange(value) && compare(first, value, firstBound) && compare(second, value, secondBound);
}
