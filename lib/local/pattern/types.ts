/**
 * Internal shapes of a compiled pattern. Validation and compilation are one pass: the validator
 * produces this tree, and the matcher walks it without ever re-inspecting the raw JSON, which is
 * what keeps matching cheap on the hot path of the local bus.
 */

/** A JSON leaf value as it can appear in an event. Objects and arrays are never leaves. */
export type Scalar = string | number | boolean | null;

/** Test of one event leaf value against one compiled operator. */
export type ValueMatcher = (value: Scalar) => boolean;

/** A pattern field whose value is a match array, e.g. `"state": ["running", {"prefix": "stop"}]`. */
export interface CompiledLeaf {
  readonly kind: 'leaf';
  /**
   * Exact values (strings, numbers, booleans, null). A Set gives O(1) lookups and its SameValueZero
   * equality is exactly what we need: `5` equals `5.0` (same JS number), but `"5"` never equals `5`.
   */
  readonly literals: ReadonlySet<Scalar>;
  /** Operator tests (prefix, numeric, cidr …); the leaf matches if any test accepts any value. */
  readonly tests: readonly ValueMatcher[];
  /** `{"exists": true}` is among the alternatives. */
  readonly existsTrue: boolean;
  /** `{"exists": false}` is among the alternatives. */
  readonly existsFalse: boolean;
}

/** A pattern object: every field must match (AND), and every `$or` group must have one matching alternative. */
export interface CompiledObject {
  readonly kind: 'object';
  readonly fields: readonly CompiledField[];
  /** Alternatives of this level's `$or` (at least two), or null when the level has no `$or`. */
  readonly or: readonly CompiledObject[] | null;
}

export interface CompiledField {
  readonly key: string;
  readonly node: CompiledObject | CompiledLeaf;
}

/** Result of compiling a pattern once; reuse it to match many events. */
export interface CompiledPattern {
  /** True iff the pattern matches the event (a parsed JSON object). */
  matches(event: unknown): boolean;
}
