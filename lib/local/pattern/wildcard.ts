/**
 * EventBridge `wildcard` matching. `*` matches any run of characters (including none); `\*` is a
 * literal star and `\\` a literal backslash. AWS rejects consecutive `*` and any other escape, so
 * we do too — a pattern that works locally must also deploy.
 *
 * Matching is done on literal segments rather than with a RegExp: with only `*` as a metacharacter,
 * a greedy left-to-right search for each segment is exact, runs in O(n·m) and cannot hit the
 * catastrophic backtracking that `.*a.*b.*c` style regexes can on long event strings.
 */

import { PatternError, describeValue } from './errors.js';
import type { ValueMatcher } from './types.js';

/**
 * Splits a wildcard expression into the literal segments between its `*` characters.
 * Returns an error description instead of throwing so each caller can attach its own path.
 */
export function parseWildcard(source: string): { segments: string[] } | { error: string } {
  const segments: string[] = [];
  let current = '';
  let previousWasStar = false;
  for (let i = 0; i < source.length; i++) {
    const char = source[i]!;
    if (char === '\\') {
      const next = source[i + 1];
      if (next !== '*' && next !== '\\') {
        const shown = next === undefined ? 'a trailing "\\"' : `the escape ${JSON.stringify(`\\${next}`)}`;
        return {
          error: `wildcard ${JSON.stringify(source)} contains ${shown} at position ${i}; a backslash may only be followed by * (literal star) or \\ (literal backslash)`,
        };
      }
      current += next;
      i++;
      previousWasStar = false;
    } else if (char === '*') {
      if (previousWasStar) {
        return {
          error: `wildcard ${JSON.stringify(source)} contains consecutive "*" at position ${i}, which AWS rejects; use a single "*" (it already matches any run of characters)`,
        };
      }
      segments.push(current);
      current = '';
      previousWasStar = true;
    } else {
      current += char;
      previousWasStar = false;
    }
  }
  segments.push(current);
  return { segments };
}

/** Tests a string against pre-split wildcard segments (see module comment for why not a RegExp). */
export function matchSegments(value: string, segments: readonly string[]): boolean {
  const first = segments[0] ?? '';
  if (segments.length === 1) return value === first;
  const last = segments[segments.length - 1] ?? '';
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  // Middle segments must appear in order, entirely between the fixed prefix and suffix.
  // Taking the leftmost occurrence each time is optimal: it leaves the most room for the rest.
  const end = value.length - last.length;
  let position = first.length;
  for (let i = 1; i < segments.length - 1; i++) {
    const segment = segments[i]!;
    const found = value.indexOf(segment, position);
    if (found < 0 || found + segment.length > end) return false;
    position = found + segment.length;
  }
  return true;
}

/** Validates a `wildcard` operand and returns its segments; `path`/`fragment` locate the error. */
export function compileWildcardSegments(source: unknown, path: string, fragment: unknown, context: string): string[] {
  if (typeof source !== 'string') {
    throw new PatternError(
      path,
      `${context} expects a string such as "dir/*/file.png", got ${describeValue(source)}`,
      fragment,
    );
  }
  const parsed = parseWildcard(source);
  if ('error' in parsed) throw new PatternError(path, parsed.error, fragment);
  return parsed.segments;
}

/** `{"wildcard": "..."}`: matches string values only (numbers, booleans and null never match). */
export function compileWildcard(operand: unknown, path: string, fragment: unknown): ValueMatcher {
  const segments = compileWildcardSegments(operand, path, fragment, '"wildcard"');
  return (value) => typeof value === 'string' && matchSegments(value, segments);
}
