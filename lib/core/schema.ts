import type { StandardSchemaV1 } from '@standard-schema/spec';
import { typeName } from './schema-issues.js';

/**
 * The few validators the framework's own event schemas need (the envelope, the EventBridge event,
 * the payloads of `SagaTimedOut` and `ReservationExpired`), written by hand.
 *
 * Why not zod: these schemas are in every participant bundle, and zod/mini's core — its object,
 * string and number machinery — costs ≈ 22 KB there even when the application's own schemas use
 * another library (docs/performance.md "Participant bundle size"). This file is ≈ 1.6 KB minified.
 * What it keeps from zod: the accepted values (zod 4's `z.int()` is a safe integer, string lengths
 * count code points, `z.iso.datetime({ offset: true })`'s grammar), unknown keys stripped from
 * objects, and issues with a path and a readable message — the text {@link describeIssues} made
 * of zod/mini's issue codes, so rejection reasons read as before.
 * `test/core/schema.test.ts` holds it to zod on generated values.
 *
 * Internal: the application keeps its own Standard Schema library for its events.
 */

type Issue = StandardSchemaV1.Issue;
type Path = readonly PropertyKey[];

/** Checks one value: pushes what is wrong onto `issues` and returns the value to output. */
export interface Check<T> {
  (value: unknown, path: Path, issues: Issue[]): T;
  /** The key may be absent from its object. */
  readonly optional?: true;
}

/** A Standard Schema V1 whose `validate` is synchronous (the framework's own event schemas). */
export interface FrameworkSchema<T> extends StandardSchemaV1<unknown, T> {
  readonly '~standard': Omit<StandardSchemaV1.Props<unknown, T>, 'validate'> & { readonly validate: (value: unknown) => StandardSchemaV1.Result<T> };
}

/** Output type of a check. */
export type Out<C> = C extends Check<infer T> ? T : never;

type Shape = Readonly<Record<string, Check<unknown>>>;
type Flat<T> = { [K in keyof T]: T[K] } & {};
type ObjectOut<S extends Shape> = Flat<
  { -readonly [K in keyof S as S[K] extends { readonly optional: true } ? never : K]: Out<S[K]> } & {
    -readonly [K in keyof S as S[K] extends { readonly optional: true } ? K : never]?: Out<S[K]>;
  }
>;

const SAFE = Number.MAX_SAFE_INTEGER;

const wrong = (issues: Issue[], path: Path, message: string): void => {
  issues.push({ message, path });
};

/** `expected string, got number` — what zod/mini's `invalid_type` issue reads as. */
const expected = (what: string, value: unknown): string => `expected ${what}, got ${value === undefined ? 'nothing' : typeName(value)}`;

/** Wraps a check as a Standard Schema (vendor `saga-choreography`). */
export function schema<T>(check: Check<T>): FrameworkSchema<T> {
  return {
    '~standard': {
      version: 1,
      vendor: 'saga-choreography',
      validate(value) {
        const issues: Issue[] = [];
        const out = check(value, [], issues);
        return issues.length ? { issues } : { value: out };
      },
    },
  };
}

/** Any value; as an object's field the key must be present (zod's `z.unknown()`). */
export const unknown: Check<unknown> = (value) => value;

/** A string of `min`…`max` characters (code points, as zod counts them). */
export const string =
  (min = 0, max = Infinity): Check<string> =>
  (value, path, issues) => {
    if (typeof value !== 'string') wrong(issues, path, expected('string', value));
    else if (min > 0 || max < Infinity) {
      const length = [...value].length;
      if (length < min) wrong(issues, path, `too short (at least ${min} characters)`);
      if (length > max) wrong(issues, path, `too long (at most ${max} characters)`);
    }
    return value as string;
  };

/** A safe integer, greater than 0 when `positive` (zod's `z.int()`, `.check(z.positive())`). */
export const int =
  (positive = false): Check<number> =>
  (value, path, issues) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) wrong(issues, path, expected('number', value));
    else if (!Number.isInteger(value)) wrong(issues, path, expected('int', value));
    else {
      if (value > SAFE) wrong(issues, path, `too big (at most ${SAFE})`);
      if (value < -SAFE) wrong(issues, path, `too small (at least ${-SAFE})`);
      if (positive && value <= 0) wrong(issues, path, 'too small (more than 0)');
    }
    return value as number;
  };

// RFC 3339 date-time with seconds and a `Z` or ±hh:mm offset; the day is checked against its month below.
const DATETIME = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/** An ISO 8601 date-time with an offset (zod's `z.iso.datetime({ offset: true })`). */
export const datetime: Check<string> = (value, path, issues) => {
  if (typeof value !== 'string') wrong(issues, path, expected('string', value));
  else {
    const m = DATETIME.exec(value);
    const year = Number(m?.[1]);
    const month = Number(m?.[2]);
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
    if (!m || Number(m[3]) > days) wrong(issues, path, 'not a valid datetime');
  }
  return value as string;
};

/** One of the given strings (zod's `z.enum`). */
export const oneOf =
  <const V extends readonly string[]>(values: V): Check<V[number]> =>
  (value, path, issues) => {
    if (!values.includes(value as string)) wrong(issues, path, `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`);
    return value as V[number];
  };

/** An array whose every item passes `item`. */
export const array =
  <T>(item: Check<T>): Check<T[]> =>
  (value, path, issues) => {
    if (!Array.isArray(value)) {
      wrong(issues, path, expected('array', value));
      return value as T[];
    }
    return value.map((v, i) => item(v, [...path, i], issues));
  };

/** Lets an object's key be absent (zod's `z.optional`). */
export const optional = <T>(check: Check<T>): Check<T | undefined> & { readonly optional: true } =>
  Object.assign((value: unknown, path: Path, issues: Issue[]) => (value === undefined ? undefined : check(value, path, issues)), { optional: true as const });

/**
 * An object with these keys; the output holds the declared keys only (unknown keys are dropped,
 * as zod's `z.object` does). Absent optional keys stay absent.
 */
export const object =
  <S extends Shape>(shape: S): Check<ObjectOut<S>> =>
  (value, path, issues) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      wrong(issues, path, expected('object', value));
      return value as ObjectOut<S>;
    }
    const input = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(shape)) {
      const check = shape[key]!;
      if (key in input) out[key] = check(input[key], [...path, key], issues);
      else if (check === unknown) wrong(issues, [...path, key], 'expected a value, got nothing');
      else if (!check.optional) check(undefined, [...path, key], issues);
    }
    return out as ObjectOut<S>;
  };
