import { describe, expect, it } from 'vitest';
import * as mini from 'zod/mini';
import { z } from 'zod';
import { describeIssue, describeIssues, issuePath } from '../../lib/core/schema-issues.js';

const issuesOf = async (schema: { '~standard': { validate: (v: unknown) => unknown } }, value: unknown) => {
  const result = (await schema['~standard'].validate(value)) as { issues?: readonly { message: string; path?: readonly unknown[] }[] };
  return result.issues ?? [];
};

describe('describeIssues: readable reasons from zod/mini issues (which say only "Invalid input")', () => {
  const schema = mini.object({
    sku: mini.string().check(mini.minLength(1), mini.maxLength(3)),
    quantity: mini.int().check(mini.positive()),
    at: mini.iso.datetime({ offset: true }),
    kind: mini.enum(['a', 'b']),
    tags: mini.array(mini.string()).check(mini.maxLength(1)),
  });

  it.each([
    ['a wrong type names what was expected and what came', { quantity: '3' }, 'quantity: expected number, got string'],
    ['a fractional number is not an int', { quantity: 1.5 }, 'quantity: expected int, got number 1.5'],
    ['a missing field says nothing came', {}, 'sku: expected string, got nothing'],
    ['a short string says how short', { sku: '' }, 'sku: too short (at least 1 characters)'],
    ['a long string says how long', { sku: 'abcd' }, 'sku: too long (at most 3 characters)'],
    ['an exclusive bound says "more than"', { quantity: 0 }, 'quantity: too small (more than 0)'],
    ['a bad format names the format', { at: 'yesterday' }, 'at: not a valid datetime'],
    ['an enum lists the allowed values', { kind: 'c' }, 'kind: must be one of "a", "b"'],
    ['an array bound counts items', { tags: ['x', 'y'] }, 'tags: too many items (at most 1)'],
  ])('%s', async (_name, patch, expected) => {
    // GIVEN an otherwise valid value with one field wrong
    const value = { sku: 'abc', quantity: 1, at: '2026-01-01T00:00:00Z', kind: 'a', tags: [], ...patch };
    if (!('sku' in patch) && Object.keys(patch).length === 0) delete (value as Record<string, unknown>).sku;
    // WHEN it is validated and described
    const issues = await issuesOf(schema, value);
    // THEN the one issue reads as expected
    expect(issues).toHaveLength(1);
    expect(describeIssues(issues, value)).toBe(expected);
  });

  it('describes a wrong root and counts issues beyond five', async () => {
    expect(describeIssues(await issuesOf(schema, 7), 7)).toBe('(root): expected object, got number');
    const many = await issuesOf(schema, { sku: 1, quantity: 'x', at: 1, kind: 1, tags: 1 });
    expect(many.length).toBe(5);
    const seven = [...many, ...many.slice(0, 2)];
    expect(describeIssues(seven, {})).toMatch(/; and 2 more$/);
  });

  it("keeps a library's own message (classic zod, valibot, …)", async () => {
    // GIVEN classic zod, which ships English messages
    const issues = await issuesOf(z.object({ n: z.number() }), { n: 'x' });
    // THEN its message is used as it is
    expect(describeIssues(issues)).toBe(`n: ${issues[0]!.message}`);
    expect(issues[0]!.message).not.toBe('Invalid input');
  });

  it('falls back to the code for unknown issue kinds, and reads { key } path segments', () => {
    expect(describeIssue({ message: 'Invalid input', code: 'custom', path: [{ key: 'a' }, 0] })).toBe('a.0: Invalid input (custom)');
    expect(issuePath(undefined)).toBe('(root)');
  });
});
