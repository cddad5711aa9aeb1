import { validation } from './errors.js';
import { compareNumbers, normalizeNumber, significantDigits } from './numbers.js';
import type { AttributeType, AttributeValue, Item } from './types.js';

export { addNumbers, compareNumbers, normalizeNumber, subtractNumbers } from './numbers.js';

const TYPES: readonly AttributeType[] = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL'];

/** The type descriptor of a stored value (`attribute_type`'s names). */
export function typeOf(value: AttributeValue): AttributeType {
  for (const t of TYPES) if (t in value) return t;
  throw validation('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
}

/**
 * Strings order by their UTF-8 bytes in DynamoDB, which is code point order. JavaScript compares
 * UTF-16 code units; the two differ only when a surrogate pair meets a character in U+E000–U+FFFF,
 * so the cheap comparison is used unless a surrogate is present.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  if (!/[\uD800-\uDFFF]/.test(a) && !/[\uD800-\uDFFF]/.test(b)) return a < b ? -1 : 1;
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return x.length - y.length < 0 ? -1 : x.length === y.length ? 0 : 1;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Order of two scalars of one type (S, N, B); undefined when the types differ or are not ordered. */
export function compareValues(a: AttributeValue, b: AttributeValue): number | undefined {
  if ('S' in a) return 'S' in b ? compareStrings(a.S, b.S) : undefined;
  if ('N' in a) return 'N' in b ? compareNumbers(a.N, b.N) : undefined;
  if ('B' in a) return 'B' in b ? compareBytes(a.B, b.B) : undefined;
  return undefined;
}

function sameMembers<T>(a: readonly T[], b: readonly T[], equal: (x: T, y: T) => boolean): boolean {
  return a.length === b.length && a.every((x) => b.some((y) => equal(x, y)));
}

/** Equality as DynamoDB's `=` and `IN` see it: sets in any order, numbers by value, documents deeply. */
export function valuesEqual(a: AttributeValue, b: AttributeValue): boolean {
  if ('S' in a) return 'S' in b && a.S === b.S;
  if ('N' in a) return 'N' in b && compareNumbers(a.N, b.N) === 0;
  if ('B' in a) return 'B' in b && compareBytes(a.B, b.B) === 0;
  if ('BOOL' in a) return 'BOOL' in b && a.BOOL === b.BOOL;
  if ('NULL' in a) return 'NULL' in b;
  if ('SS' in a) return 'SS' in b && sameMembers(a.SS, b.SS, (x, y) => x === y);
  if ('NS' in a) return 'NS' in b && sameMembers(a.NS, b.NS, (x, y) => compareNumbers(x, y) === 0);
  if ('BS' in a) return 'BS' in b && sameMembers(a.BS, b.BS, (x, y) => compareBytes(x, y) === 0);
  if ('L' in a) return 'L' in b && a.L.length === b.L.length && a.L.every((v, i) => valuesEqual(v, b.L[i]!));
  if ('M' in a) {
    if (!('M' in b)) return false;
    const keys = Object.keys(a.M);
    return keys.length === Object.keys(b.M).length && keys.every((k) => b.M[k] !== undefined && valuesEqual(a.M[k]!, b.M[k]!));
  }
  return false;
}

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * Bytes a value counts for in the 400 KB item limit and capacity units, by AWS's published rules:
 * strings and binaries by length, numbers one byte per two significant digits plus one, NULL and
 * BOOL one byte, lists and maps 3 bytes plus one per element plus their contents, sets the sum of
 * their elements.
 */
export function attributeValueSize(value: AttributeValue): number {
  if ('S' in value) return utf8(value.S);
  if ('N' in value) return Math.ceil(significantDigits(value.N) / 2) + 1;
  if ('B' in value) return value.B.byteLength;
  if ('BOOL' in value || 'NULL' in value) return 1;
  if ('SS' in value) return value.SS.reduce((n, s) => n + utf8(s), 0);
  if ('NS' in value) return value.NS.reduce((n, s) => n + Math.ceil(significantDigits(s) / 2) + 1, 0);
  if ('BS' in value) return value.BS.reduce((n, b) => n + b.byteLength, 0);
  if ('L' in value) return value.L.reduce((n, v) => n + attributeValueSize(v) + 1, 3);
  if ('M' in value) return Object.entries(value.M).reduce((n, [k, v]) => n + utf8(k) + attributeValueSize(v) + 1, 3);
  return 0;
}

export function itemSize(item: Item): number {
  let size = 0;
  for (const name in item) size += utf8(name) + attributeValueSize(item[name]!);
  return size;
}

const MAX_DEPTH = 32;

function checkSet<T>(values: readonly T[], kind: 'SS' | 'NS' | 'BS', show: (v: T) => string, key: (v: T) => string): void {
  if (values.length === 0) {
    throw validation(kind === 'BS' ? 'One or more parameter values were invalid: Binary sets should not be empty' : `One or more parameter values were invalid: An ${kind === 'SS' ? 'string' : 'number'} set  may not be empty`);
  }
  const seen = new Set<string>();
  for (const v of values) {
    const k = key(v);
    if (seen.has(k)) throw validation(`One or more parameter values were invalid: Input collection [${values.map(show).join(', ')}] contains duplicates.`);
    seen.add(k);
  }
}

/**
 * A client value checked (exactly one type, valid numbers, non-empty sets without duplicates,
 * NULL true, nesting ≤ 32) and copied with numbers in canonical form — the engine's own copy.
 */
export function canonicalValue(raw: unknown, depth = 0): AttributeValue {
  if (raw === null || typeof raw !== 'object') throw validation('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  if (depth > MAX_DEPTH) throw validation('Nesting Levels have exceeded supported limits');
  const value = raw as Record<string, unknown>;
  let found: string | undefined;
  for (const key in value) {
    if (value[key] === undefined || !TYPES.includes(key as AttributeType)) continue;
    if (found) throw validation('Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes');
    found = key;
  }
  const v = found === undefined ? undefined : value[found];
  switch (found) {
    case 'S':
      if (typeof v !== 'string') break;
      return { S: v };
    case 'N':
      if (typeof v !== 'string') break;
      return { N: normalizeNumber(v) };
    case 'B':
      if (!(v instanceof Uint8Array)) break;
      return { B: new Uint8Array(v) };
    case 'BOOL':
      if (typeof v !== 'boolean') break;
      return { BOOL: v };
    case 'NULL':
      if (v !== true) throw validation('One or more parameter values were invalid: Null attribute value types must have the value of true');
      return { NULL: true };
    case 'SS': {
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) break;
      checkSet(v as string[], 'SS', (s) => s, (s) => s);
      return { SS: [...(v as string[])] };
    }
    case 'NS': {
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) break;
      const ns = (v as string[]).map(normalizeNumber);
      checkSet(ns, 'NS', (s) => s, (s) => s);
      return { NS: ns };
    }
    case 'BS': {
      if (!Array.isArray(v) || !v.every((b) => b instanceof Uint8Array)) break;
      checkSet(v as Uint8Array[], 'BS', (b) => Buffer.from(b).toString('base64'), (b) => Buffer.from(b).toString('base64'));
      return { BS: (v as Uint8Array[]).map((b) => new Uint8Array(b)) };
    }
    case 'L':
      if (!Array.isArray(v)) break;
      return { L: v.map((e) => canonicalValue(e, depth + 1)) };
    case 'M':
      if (v === null || typeof v !== 'object' || Array.isArray(v)) break;
      return { M: canonicalMap(v as Record<string, unknown>, depth + 1) };
    default:
      throw validation('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  }
  throw validation(`One or more parameter values were invalid: the ${found} member of an AttributeValue has the wrong type (${Array.isArray(v) ? 'array' : typeof v})`);
}

function canonicalMap(raw: Record<string, unknown>, depth: number): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const name in raw) {
    if (raw[name] === undefined) continue;
    if (name.length === 0) throw validation('One or more parameter values were invalid: An attribute name must not be empty');
    out[name] = canonicalValue(raw[name], depth);
  }
  return out;
}

/** A map of AttributeValues from a request (an Item, a Key, ExpressionAttributeValues), checked and copied. */
export function canonicalItem(raw: Item | Record<string, unknown>, what = 'Item'): Item {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw validation(`1 validation error detected: Value null at '${what.charAt(0).toLowerCase()}${what.slice(1)}' failed to satisfy constraint: Member must not be null`);
  }
  return canonicalMap(raw as Record<string, unknown>, 1);
}

/** Checks a whole item without keeping the copy. */
export function validateItem(item: Item): void {
  canonicalItem(item);
}
