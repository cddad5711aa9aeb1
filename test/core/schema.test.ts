import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { array, datetime, int, object, oneOf, optional, schema, string, unknown, type FrameworkSchema } from '../../lib/core/schema.js';
import { describeIssues } from '../../lib/core/schema-issues.js';

// The framework's own event schemas were zod/mini schemas; lib/core/schema.ts replaced them to keep
// zod out of participant bundles. Here each kit schema is held to the zod schema it replaced: the
// same values pass, with the same output, and the same values fail, with the same reasons.

const zodShape = z.object({
  id: z.string().check(z.minLength(8), z.maxLength(12)),
  name: z.string(),
  n: z.int().check(z.positive()),
  any: z.int(),
  maybe: z.optional(z.string()),
  at: z.iso.datetime({ offset: true }),
  pick: z.enum(['confirm', 'cancel']),
  tags: z.array(z.string()),
  payload: z.unknown(),
});
const kitShape = schema(
  object({
    id: string(8, 12),
    name: string(),
    n: int(true),
    any: int(),
    maybe: optional(string()),
    at: datetime,
    pick: oneOf(['confirm', 'cancel']),
    tags: array(string()),
    payload: unknown,
  }),
);

/** zod's words for a required `z.unknown()` key that is absent; the kit says it plainly. */
const normalise = (text: string) => text.replaceAll('expected nonoptional, got nothing', 'expected a value, got nothing');

/**
 * zod's issues less its one redundant kind: after "expected string, got array" zod still runs the
 * length checks on the array ("too few items"); the kit stops at the wrong type.
 */
function zodIssues(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const wrongType = new Set(issues.filter((i) => i.code === 'invalid_type').map((i) => JSON.stringify(i.path)));
  return issues.filter((i) => i.code === 'invalid_type' || !wrongType.has(JSON.stringify(i.path)));
}

function compare(value: unknown): void {
  const byZod = zodShape.safeParse(value);
  const byKit = kitShape['~standard'].validate(value);
  if (byZod.success) {
    expect(byKit.issues, `kit rejected what zod accepts: ${JSON.stringify(value)}`).toBeUndefined();
    expect((byKit as { value?: unknown }).value).toStrictEqual(byZod.data);
  } else {
    expect(byKit.issues, `kit accepted what zod rejects: ${JSON.stringify(value)}`).toBeDefined();
    expect(describeIssues(byKit.issues!, value)).toBe(normalise(describeIssues(zodIssues(byZod.error.issues), value)));
  }
}

const valid = { id: 'abcdefgh', name: 'x', n: 1, any: -3, at: '2026-03-02T09:15:27.412Z', pick: 'cancel', tags: ['a'], payload: { x: 1 } };

const anything = fc.oneof(
  fc.constantFrom(undefined, null, 0, -0, 1, -1, 1.5, Number.NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53), 1e20, -1e20, '', 'confirm', 'cancel', [], {}, ['a', 1]),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 3 }),
);
const pad = (n: number, width: number) => String(n).padStart(width, '0');
/** Near-valid date-times: every field drawn a little beyond its range, with and without fraction and offset. */
const dateTimeish = fc
  .record({
    y: fc.integer({ min: 0, max: 2400 }),
    mo: fc.integer({ min: 0, max: 13 }),
    d: fc.integer({ min: 0, max: 32 }),
    h: fc.integer({ min: 0, max: 25 }),
    mi: fc.integer({ min: 0, max: 61 }),
    s: fc.integer({ min: 0, max: 61 }),
    frac: fc.constantFrom('', '.1', '.412', '.123456789', '.'),
    zone: fc.constantFrom('Z', 'z', '+01:00', '-23:59', '+24:00', '+01:60', '+0100', '', ' Z'),
    sep: fc.constantFrom('T', 'T', 'T', ' ', 't'),
  })
  .map(({ y, mo, d, h, mi, s, frac, zone, sep }) => `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}${sep}${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${frac}${zone}`);

describe('framework schemas (lib/core/schema.ts) against the zod/mini schemas they replaced', () => {
  it('accepts a valid value with the same output, unknown keys dropped', () => {
    compare(valid);
    compare({ ...valid, extra: 1, maybe: 'here' });
    compare({ ...valid, maybe: undefined, payload: undefined });
    expect((kitShape['~standard'].validate({ ...valid, extra: 1 }) as { value?: unknown }).value).not.toHaveProperty('extra');
  });

  it.each([
    ['a root that is not an object', 7],
    ['null', null],
    ['an array', []],
    ['every field missing', {}],
    ['a string too short', { ...valid, id: 'short' }],
    ['a string too long', { ...valid, id: 'abcdefghijklm' }],
    ['code points counted, not UTF-16 units', { ...valid, id: '😀😀😀😀' }],
    ['a fraction for an int', { ...valid, n: 1.5 }],
    ['zero for a positive int', { ...valid, n: 0 }],
    ['an unsafe integer', { ...valid, n: -1e20, any: 1e20 }],
    ['NaN', { ...valid, any: Number.NaN }],
    ['a bad date-time', { ...valid, at: '2026-02-29T00:00:00Z' }],
    ['a value outside the enum', { ...valid, pick: 'maybe' }],
    ['bad array items', { ...valid, tags: [1, 'a', null] }],
    ['null for an optional string', { ...valid, maybe: null }],
  ])('rejects %s for the same reasons', (_name, value) => {
    compare(value);
    if (value !== valid) expect(zodShape.safeParse(value).success).toBe(false);
  });

  it('says a required unknown key that is absent is missing', () => {
    const { payload: _, ...withoutPayload } = valid;
    const result = kitShape['~standard'].validate(withoutPayload);
    expect(describeIssues(result.issues!, withoutPayload)).toBe('payload: expected a value, got nothing');
    compare(withoutPayload);
  });

  it('agrees with zod on generated objects', () => {
    const field = (good: fc.Arbitrary<unknown>) => fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: anything });
    const candidate = fc.record(
      {
        id: field(fc.string({ minLength: 6, maxLength: 14, unit: 'grapheme' })),
        name: field(fc.string()),
        n: field(fc.integer({ min: -2, max: 3 })),
        any: field(fc.integer()),
        maybe: field(fc.string()),
        at: field(dateTimeish),
        pick: field(fc.constantFrom('confirm', 'cancel', 'Confirm')),
        tags: field(fc.array(fc.string(), { maxLength: 2 })),
        payload: anything,
        extra: anything,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(candidate, (value) => compare(value)),
      { numRuns: 2000, seed: 20261208 },
    );
  });

  it('accepts exactly the date-times zod accepts', () => {
    const zodAt = z.iso.datetime({ offset: true });
    fc.assert(
      fc.property(dateTimeish, (text) => {
        expect(datetime(text, [], []) === text && schema(datetime)['~standard'].validate(text).issues === undefined).toBe(zodAt.safeParse(text).success);
      }),
      { numRuns: 5000, seed: 7 },
    );
    // Leap years: every fourth, not centuries, except every fourth century.
    for (const [text, ok] of [['2024-02-29T00:00:00Z', true], ['2100-02-29T00:00:00Z', false], ['2000-02-29T00:00:00Z', true], ['2026-04-31T00:00:00+02:00', false]] as const) {
      expect(schema(datetime)['~standard'].validate(text).issues === undefined).toBe(ok);
      expect(zodAt.safeParse(text).success).toBe(ok);
    }
  });

  it('is a Standard Schema V1 of its own vendor, validating synchronously', () => {
    const s: FrameworkSchema<{ a: string }> = schema(object({ a: string() }));
    expect(s['~standard'].version).toBe(1);
    expect(s['~standard'].vendor).toBe('saga-choreography');
    expect(s['~standard'].validate({ a: 1 })).toStrictEqual({ issues: [{ message: 'expected string, got number', path: ['a'] }] });
  });
});
