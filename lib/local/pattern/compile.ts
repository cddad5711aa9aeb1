/**
 * Public entry points with compile caching. The local bus matches every event against every
 * rule, so validating and compiling a pattern on each call would dominate its cost. Compiled
 * patterns are cached by identity for objects (WeakMap: they disappear with the pattern) and by
 * text for JSON strings (bounded Map: rule definitions are few, but callers may build strings
 * dynamically and we must not grow without limit).
 *
 * Pattern objects are treated as immutable once used: mutating one after the first call is not
 * noticed. Build a new object (or call compilePattern again on a copy) instead.
 */

import { PatternError, preview } from './errors.js';
import { matchObject } from './match.js';
import type { CompiledPattern } from './types.js';
import { compilePatternTree } from './validate.js';

const objectCache = new WeakMap<object, CompiledPattern>();
const stringCache = new Map<string, CompiledPattern>();
/** Enough for any realistic number of rules; beyond it the oldest entry is evicted (FIFO). */
const STRING_CACHE_LIMIT = 1000;

function build(pattern: unknown): CompiledPattern {
  const root = compilePatternTree(pattern);
  return Object.freeze({ matches: (event: unknown) => matchObject(root, event) });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new PatternError('', `the pattern string ${preview(text)} is not valid JSON (${reason}); pass a JSON object such as '{"source": ["my.app"]}'`, text);
  }
}

/**
 * Validates and compiles an EventBridge event pattern once, for matching many events.
 * Results are cached, so calling it repeatedly with the same object or string is cheap.
 *
 * @param pattern - The pattern as an object or as a JSON string.
 * @returns A compiled pattern whose `matches(event)` tests one event.
 * @throws {@link PatternError} if the pattern is invalid.
 *
 * @example
 * ```ts
 * const rule = compilePattern({ source: ['com.example.orders'], detail: { amount: [{ numeric: ['>', 100] }] } });
 * rule.matches({ source: 'com.example.orders', detail: { amount: 250 } }); // true
 * rule.matches({ source: 'com.example.orders', detail: { amount: '250' } }); // false: a string is not a number
 * ```
 */
export function compilePattern(pattern: unknown): CompiledPattern {
  if (typeof pattern === 'string') {
    const cached = stringCache.get(pattern);
    if (cached !== undefined) return cached;
    const compiled = build(parseJson(pattern));
    if (stringCache.size >= STRING_CACHE_LIMIT) {
      const oldest = stringCache.keys().next();
      if (oldest.done !== true) stringCache.delete(oldest.value);
    }
    stringCache.set(pattern, compiled);
    return compiled;
  }
  if (typeof pattern === 'object' && pattern !== null) {
    const cached = objectCache.get(pattern);
    if (cached !== undefined) return cached;
    const compiled = build(pattern);
    objectCache.set(pattern, compiled);
    return compiled;
  }
  return build(pattern); // always throws a PatternError: only objects are patterns
}

/**
 * Returns true iff the EventBridge event pattern matches the event, with AWS semantics
 * (exact values, arrays, prefix/suffix, equals-ignore-case, wildcard, anything-but, numeric,
 * exists, cidr and `$or`). Invalid patterns throw; compiled patterns are cached.
 *
 * @param pattern - The pattern as an object or as a JSON string.
 * @param event - The event as a parsed JSON object.
 * @throws {@link PatternError} if the pattern is invalid.
 *
 * @example
 * ```ts
 * matchesPattern(
 *   { source: ['aws.ec2'], detail: { state: [{ 'anything-but': 'initializing' }] } },
 *   { source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification', detail: { state: 'running' } },
 * ); // true
 * ```
 */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  return compilePattern(pattern).matches(event);
}

/**
 * Throws a {@link PatternError} if the pattern is not a valid EventBridge event pattern; returns
 * nothing otherwise. The message names the location, shows the bad value and says how to fix it.
 *
 * @param pattern - The pattern as an object or as a JSON string.
 *
 * @example
 * ```ts
 * validatePattern({ detail: { amount: [{ numeric: ['>', 0, '<=', 5] }] } }); // ok
 * validatePattern({ source: 'aws.ec2' });
 * // PatternError: Invalid event pattern at "source": expected a match array or a nested object,
 * //   got the string "aws.ec2"; wrap it in an array: ["aws.ec2"]
 * ```
 */
export function validatePattern(pattern: unknown): void {
  compilePattern(pattern);
}
