import { SagaError } from '../../core/errors.js';

/**
 * The single error type of the pattern matcher, plus the small formatting helpers every
 * validator uses so that all messages read the same way: where, what is wrong (with the bad
 * value shown), what is allowed, and how to fix it.
 */

/**
 * Thrown when an EventBridge event pattern is invalid, i.e. when AWS `PutRule` /
 * `TestEventPattern` would reject it. A {@link SagaError}, like every framework error.
 *
 * @example
 * ```ts
 * try {
 *   validatePattern({ detail: { amount: [{ numeric: ['=>', 5] }] } });
 * } catch (err) {
 *   if (err instanceof PatternError) {
 *     err.path;    // 'detail.amount'
 *     err.pattern; // { numeric: ['=>', 5] }
 *   }
 * }
 * ```
 */
export class PatternError extends SagaError {
  /** Dotted location of the problem inside the pattern, e.g. `detail.amount` or `detail.$or[1].state`; `''` for the whole pattern. */
  readonly path: string;
  /** The offending pattern fragment (the operator object, array or value that failed validation). */
  readonly pattern: unknown;

  constructor(path: string, problem: string, pattern: unknown) {
    super(path === '' ? `Invalid event pattern: ${problem}` : `Invalid event pattern at "${path}": ${problem}`, { path, pattern });
    this.name = 'PatternError';
    this.path = path;
    this.pattern = pattern;
  }
}

/** Longest rendering of a pattern fragment inside a message; big fragments would drown the actual problem. */
const PREVIEW_LIMIT = 120;

/** Compact JSON rendering of a fragment (falls back to `String()` for values JSON cannot represent). */
export function preview(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined; // circular structures; String() below still says something useful
  }
  if (text === undefined) text = String(value);
  return text.length > PREVIEW_LIMIT ? `${text.slice(0, PREVIEW_LIMIT - 3)}...` : text;
}

/** "the string \"a\"", "the number 5", "null", "the object {...}" — names the JSON type, because most mistakes are type mistakes. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `the array ${preview(value)}`;
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value)}`;
    case 'number':
      return `the number ${String(value)}`;
    case 'boolean':
      return `the boolean ${String(value)}`;
    case 'object':
      return `the object ${preview(value)}`;
    default:
      return `a ${typeof value}`;
  }
}

/** Joins pattern path segments the way the docs write event paths (`detail.amount`). */
export function joinPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/** Quoted, comma-separated list for "use one of …" hints. */
export function quoteList(items: readonly string[]): string {
  return items.map((item) => JSON.stringify(item)).join(', ');
}

/** A plain JSON object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
