/**
 * Readable text for schema validation issues, whichever Standard Schema library produced them.
 *
 * Why this exists: `zod/mini` (zod's tree-shakable API, the one a Lambda bundle can afford)
 * loads no locale, so every issue's `message` is just "Invalid input". Its issues still carry
 * `code`, `expected`, `minimum`, … — enough to say what is wrong. Issues from other libraries
 * (valibot, classic zod, the framework's own schemas in `schema.ts`) keep their own message.
 *
 * @example
 * ```ts
 * const result = await schema['~standard'].validate(payload);
 * if (result.issues) throw new Error(`payload rejected: ${describeIssues(result.issues, payload)}`);
 * // → "payload rejected: quantity: expected int, got string; sku: too short (at least 1 character)"
 * ```
 */

/** The parts of an issue this module reads; Standard Schema guarantees `message` and `path`. */
export interface SchemaIssueLike {
  readonly message: string;
  readonly path?: readonly unknown[] | undefined;
  readonly code?: unknown;
  readonly expected?: unknown;
  readonly minimum?: unknown;
  readonly maximum?: unknown;
  readonly inclusive?: unknown;
  readonly origin?: unknown;
  readonly format?: unknown;
  readonly values?: unknown;
  readonly keys?: unknown;
}

const GENERIC_MESSAGE = 'Invalid input';
const MAX_LISTED = 5;

/** `a.b.0` for a path (Standard Schema path segments may be `{ key }` objects). */
export function issuePath(path: readonly unknown[] | undefined): string {
  const parts = (path ?? []).map((p) => (typeof p === 'object' && p !== null && 'key' in p ? String((p as { key: unknown }).key) : String(p)));
  return parts.join('.') || '(root)';
}

/** The value found at `path` inside `input`, or undefined. */
function valueAt(input: unknown, path: readonly unknown[] | undefined): unknown {
  let current = input;
  for (const p of path ?? []) {
    const key = typeof p === 'object' && p !== null && 'key' in p ? (p as { key: PropertyKey }).key : (p as PropertyKey);
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** What a value is, for "expected X, got Y": `null`, `array`, `number 1.5`, `string` … */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isInteger(value)) return `number ${value}`;
  return typeof value;
}

function bound(issue: SchemaIssueLike, kind: 'small' | 'big'): string {
  const limit = kind === 'small' ? issue.minimum : issue.maximum;
  const inclusive = issue.inclusive !== false;
  const relation = kind === 'small' ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than';
  if (issue.origin === 'string') return `too ${kind === 'small' ? 'short' : 'long'} (${relation} ${String(limit)} characters)`;
  if (issue.origin === 'array' || issue.origin === 'set') return `too ${kind === 'small' ? 'few' : 'many'} items (${relation} ${String(limit)})`;
  return `too ${kind} (${relation} ${String(limit)})`;
}

/** One issue as text: the library's own message when it has one, else built from its code. */
export function describeIssue(issue: SchemaIssueLike, input?: unknown): string {
  const where = issuePath(issue.path);
  if (issue.message && issue.message !== GENERIC_MESSAGE) return `${where}: ${issue.message}`;
  switch (issue.code) {
    case 'invalid_type': {
      const got = valueAt(input, issue.path);
      return `${where}: expected ${String(issue.expected)}, got ${got === undefined ? 'nothing' : typeName(got)}`;
    }
    case 'too_small':
      return `${where}: ${bound(issue, 'small')}`;
    case 'too_big':
      return `${where}: ${bound(issue, 'big')}`;
    case 'invalid_format':
      return `${where}: not a valid ${String(issue.format)}`;
    case 'invalid_value':
      return `${where}: must be one of ${Array.isArray(issue.values) ? issue.values.map((v) => JSON.stringify(v)).join(', ') : String(issue.values)}`;
    case 'unrecognized_keys':
      return `${where}: unexpected keys ${Array.isArray(issue.keys) ? issue.keys.join(', ') : String(issue.keys)}`;
    case 'invalid_union':
      return `${where}: matches none of the allowed shapes`;
    default:
      return `${where}: ${issue.message || GENERIC_MESSAGE}${typeof issue.code === 'string' ? ` (${issue.code})` : ''}`;
  }
}

/** Up to five issues joined with `; `, and how many more there were. */
export function describeIssues(issues: readonly SchemaIssueLike[], input?: unknown): string {
  const listed = issues.slice(0, MAX_LISTED).map((i) => describeIssue(i, input));
  const more = issues.length - listed.length;
  return more > 0 ? `${listed.join('; ')}; and ${more} more` : listed.join('; ');
}
