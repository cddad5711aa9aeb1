import { DynamoDbError, validation } from './errors.js';
import type { AttributeType, AttributeValue, Item } from './types.js';

export { cloneItem, cloneValue } from './clone.js';

/*
 * DynamoDB's values: type descriptors, exact decimal numbers, ordering and equality, item sizes,
 * and the checks DynamoDB applies to every AttributeValue a client sends.
 *
 * Messages are DynamoDB's own, as recorded by dynalite's tests against the real service and by
 * real-service error reports (moto accepts most invalid values; see the conformance DIVERGENCES.md).
 */

// ---- types ------------------------------------------------------------------------------------

/**
 * The type descriptor of a value (`attribute_type`'s names).
 *
 * @throws ValidationException when the value has no type member.
 */
export function typeOf(value: AttributeValue): AttributeType {
  // Ordered by how common the type is in stored items.
  if ('S' in value) return 'S';
  if ('N' in value) return 'N';
  if ('M' in value) return 'M';
  if ('BOOL' in value) return 'BOOL';
  if ('L' in value) return 'L';
  if ('B' in value) return 'B';
  if ('SS' in value) return 'SS';
  if ('NS' in value) return 'NS';
  if ('NULL' in value) return 'NULL';
  if ('BS' in value) return 'BS';
  throw validation(EMPTY_VALUE);
}

// ---- numbers ----------------------------------------------------------------------------------

/**
 * A parsed number: `digits` are the significant digits (no leading or trailing zeros; '' for zero)
 * and the value is `(negative ? -1 : 1) × 0.digits × 10^point`, i.e. `point` is the number of
 * digits before the decimal point (may be ≤ 0 or larger than `digits.length`).
 */
interface Decimal {
  readonly negative: boolean;
  readonly digits: string;
  readonly point: number;
}

const MAX_DIGITS = 38;
// 9.99…E+125 has its leading digit at 10^125, i.e. point 126; 1E-130 has point -129.
const MAX_POINT = 126;
const MIN_POINT = -129;

const OVERFLOW = 'Number overflow. Attempting to store a number with magnitude larger than supported range';
const UNDERFLOW = 'Number underflow. Attempting to store a number with magnitude smaller than supported range';
const TOO_PRECISE = 'Attempting to store more than 38 significant digits in a Number';

function notANumber(text: string): DynamoDbError {
  // DynamoDB leaves the value out of the message when it is empty.
  return validation(text === '' ? 'The parameter cannot be converted to a numeric value' : `The parameter cannot be converted to a numeric value: ${text}`);
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Parses DynamoDB's number syntax (Java BigDecimal's: optional sign, digits with an optional
 * fraction, optional exponent; no whitespace, no Infinity/NaN/hex) and applies the limits.
 */
function parseDecimal(text: string, rangeFirst = false): Decimal {
  const n = text.length;
  let i = 0;
  let negative = false;
  const first = text.charCodeAt(0);
  if (first === 45 /* - */ || first === 43 /* + */) {
    negative = first === 45;
    i = 1;
  }
  const intStart = i;
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  const intEnd = i;
  let fracStart = i;
  let fracEnd = i;
  if (i < n && text.charCodeAt(i) === 46 /* . */) {
    fracStart = ++i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    fracEnd = i;
  }
  if (intEnd === intStart && fracEnd === fracStart) throw notANumber(text);
  let exponent = 0;
  if (i < n && (text.charCodeAt(i) | 32) === 101 /* e */) {
    i++;
    let expNegative = false;
    if (text.charCodeAt(i) === 45 || text.charCodeAt(i) === 43) expNegative = text.charCodeAt(i++) === 45;
    const expStart = i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    if (i === expStart) throw notANumber(text);
    // Exponents beyond what any valid number can use are clamped: they are range errors anyway.
    exponent = Math.min(Number(text.slice(expStart, i)), 1e6) * (expNegative ? -1 : 1);
  }
  if (i !== n) throw notANumber(text);

  // All digits, integer then fraction, as one run; the decimal point sits after the integer part.
  let all = text.slice(intStart, intEnd) + text.slice(fracStart, fracEnd);
  let lead = 0;
  while (lead < all.length && all.charCodeAt(lead) === 48) lead++;
  if (lead === all.length) return ZERO;
  let trail = all.length;
  while (all.charCodeAt(trail - 1) === 48) trail--;
  const point = intEnd - intStart - lead + exponent;
  all = all.slice(lead, trail);
  // A client's number is checked for precision first (as DynamoDB does); an arithmetic result for
  // range first, since a sum beyond the range is an overflow whatever its digits.
  if (!rangeFirst && all.length > MAX_DIGITS) throw validation(TOO_PRECISE);
  if (point > MAX_POINT) throw validation(OVERFLOW);
  if (point < MIN_POINT) throw validation(UNDERFLOW);
  if (all.length > MAX_DIGITS) throw validation(TOO_PRECISE);
  return { negative, digits: all, point };
}

const ZERO: Decimal = { negative: false, digits: '', point: 0 };

/** Plain decimal notation, as DynamoDB returns numbers: no exponent, no leading or trailing zeros. */
function formatDecimal(d: Decimal): string {
  if (d.digits === '') return '0';
  const { digits, point } = d;
  let text: string;
  if (point <= 0) text = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) text = digits + '0'.repeat(point - digits.length);
  else text = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return d.negative ? `-${text}` : text;
}

/**
 * True when `text` is already in canonical form (what `normalizeNumber` returns). Stored numbers
 * always are, so the hot paths (comparison, sizes) check this and skip parsing.
 */
function isCanonical(text: string): boolean {
  const n = text.length;
  let i = text.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n) return false;
  const c0 = text.charCodeAt(i);
  if (c0 === 48) {
    // "0" alone, or "0." followed by a fraction.
    if (i + 1 === n) return i === 0; // "-0" is not canonical
    if (text.charCodeAt(i + 1) !== 46) return false;
  } else if (!isDigit(c0)) return false;
  let dot = -1;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (dot >= 0) return false;
      dot = i;
    } else if (!isDigit(c)) return false;
  }
  if (dot < 0) return true;
  return dot < n - 1 && text.charCodeAt(n - 1) !== 48;
}

/**
 * Validates a client's number string and returns DynamoDB's canonical form of it ("1.50" → "1.5",
 * "-0" → "0", "1e2" → "100", "0100" → "100", ".5" → "0.5").
 *
 * @throws ValidationException `The parameter cannot be converted to a numeric value: …`,
 *   `Attempting to store more than 38 significant digits in a Number`, `Number overflow. …`,
 *   `Number underflow. …`.
 */
export function normalizeNumber(text: string): string {
  if (isCanonical(text)) {
    // Still subject to the limits.
    const d = parseDecimal(text);
    return d.digits === '' ? '0' : text;
  }
  return formatDecimal(parseDecimal(text));
}

/** Orders two parsed decimals. */
function compareDecimals(a: Decimal, b: Decimal): number {
  const sa = a.digits === '' ? 0 : a.negative ? -1 : 1;
  const sb = b.digits === '' ? 0 : b.negative ? -1 : 1;
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  let c: number;
  if (a.point !== b.point) c = a.point < b.point ? -1 : 1;
  else c = a.digits === b.digits ? 0 : a.digits < b.digits ? -1 : 1; // digit strings: ASCII order = numeric here
  return sa < 0 ? -c : c;
}

/**
 * Two canonical numbers, ordered without parsing: by sign, then by the length of the integer part,
 * then character by character (equal integer lengths align the decimal points).
 */
function compareCanonical(a: string, b: string): number {
  const na = a.charCodeAt(0) === 45;
  const nb = b.charCodeAt(0) === 45;
  if (na !== nb) return na ? -1 : 1;
  let c: number;
  const ia = integerLength(a);
  const ib = integerLength(b);
  if (ia !== ib) c = ia < ib ? -1 : 1;
  else c = a < b ? -1 : a > b ? 1 : 0;
  return na ? -c : c;
}

function integerLength(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? text.length : dot;
}

/** Numeric order of two number strings: negative, 0 or positive. Exact (no floating point). */
export function compareNumbers(a: string, b: string): number {
  if (a === b) return 0;
  if (isCanonical(a) && isCanonical(b)) return compareCanonical(a, b);
  return compareDecimals(parseDecimal(a), parseDecimal(b));
}

function toScaled(d: Decimal): { value: bigint; scale: number } {
  // value × 10^-scale
  if (d.digits === '') return { value: 0n, scale: 0 };
  const v = BigInt(d.digits);
  return { value: d.negative ? -v : v, scale: d.digits.length - d.point };
}

function arithmetic(a: string, b: string, negateB: boolean): string {
  const x = toScaled(parseDecimal(a));
  const y = toScaled(parseDecimal(b));
  const scale = Math.max(x.scale, y.scale);
  const xv = x.value * 10n ** BigInt(scale - x.scale);
  let yv = y.value * 10n ** BigInt(scale - y.scale);
  if (negateB) yv = -yv;
  const sum = xv + yv;
  if (sum === 0n) return '0';
  // Back through the parser so the result meets the limits of any stored number.
  return formatDecimal(parseDecimal(`${sum.toString()}E${-scale}`, true));
}

/** `a + b`, exact; the result is canonical and checked against DynamoDB's number limits. */
export function addNumbers(a: string, b: string): string {
  return arithmetic(a, b, false);
}

/** `a - b`, exact; the result is canonical and checked against DynamoDB's number limits. */
export function subtractNumbers(a: string, b: string): string {
  return arithmetic(a, b, true);
}

/** Significant digits of a number (leading and trailing zeros trimmed; zero counts one). */
export function significantDigits(text: string): number {
  if (isCanonical(text)) {
    let count = 0;
    let started = false;
    let trailingZeros = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) continue;
      if (!started && c === 48) continue;
      started = true;
      count++;
      trailingZeros = c === 48 ? trailingZeros + 1 : 0;
    }
    return count === 0 ? 1 : count - trailingZeros;
  }
  const d = parseDecimal(text);
  return d.digits === '' ? 1 : d.digits.length;
}

// ---- order and equality -----------------------------------------------------------------------

/**
 * Strings order by their UTF-8 bytes in DynamoDB, which is code point order. JavaScript's `<`
 * compares UTF-16 code units; the two disagree only where a surrogate (U+D800–U+DFFF, half of a
 * character above U+FFFF) meets a unit in U+E000–U+FFFF. At the first differing unit, surrogates
 * are moved above U+FFFF and U+E000–U+FFFF down, which gives code point order without allocating.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x <= 0xdfff ? x + 0x2000 : x - 0x800;
      y = y <= 0xdfff ? y + 0x2000 : y - 0x800;
    }
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** Unsigned byte order, shorter first on a common prefix (how DynamoDB orders binary values). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/**
 * Order of two scalars of one type, as DynamoDB sorts keys and evaluates `<`, `BETWEEN`…:
 * N numerically, S by UTF-8 bytes, B by unsigned bytes. Undefined when the types differ or a value
 * is not a scalar.
 */
export function compareValues(a: AttributeValue, b: AttributeValue): number | undefined {
  if ('S' in a) return 'S' in b ? compareStrings(a.S, b.S) : undefined;
  if ('N' in a) return 'N' in b ? compareNumbers(a.N, b.N) : undefined;
  if ('B' in a) return 'B' in b ? compareBytes(a.B, b.B) : undefined;
  return undefined;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameMembers<T>(a: readonly T[], b: readonly T[], equal: (x: T, y: T) => boolean): boolean {
  if (a.length !== b.length) return false;
  // Sets have no duplicates, so "every member of a is in b" with equal sizes is set equality.
  outer: for (const x of a) {
    for (const y of b) if (equal(x, y)) continue outer;
    return false;
  }
  return true;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  if (a.length <= 8) return sameMembers(a, b, (x, y) => x === y);
  const set = new Set(b);
  return a.every((x) => set.has(x));
}

const numbersEqual = (x: string, y: string): boolean => compareNumbers(x, y) === 0;

/**
 * Equality as DynamoDB's `=`, `<>`, `IN` and `contains` see it: same type, numbers by value, sets
 * regardless of order, lists element by element, maps member by member.
 */
export function valuesEqual(a: AttributeValue, b: AttributeValue): boolean {
  if ('S' in a) return 'S' in b && a.S === b.S;
  if ('N' in a) return 'N' in b && compareNumbers(a.N, b.N) === 0;
  if ('B' in a) return 'B' in b && bytesEqual(a.B, b.B);
  if ('BOOL' in a) return 'BOOL' in b && a.BOOL === b.BOOL;
  if ('NULL' in a) return 'NULL' in b;
  if ('M' in a) {
    if (!('M' in b)) return false;
    let count = 0;
    for (const k in a.M) {
      const other = b.M[k];
      if (other === undefined || !valuesEqual(a.M[k]!, other)) return false;
      count++;
    }
    for (const _ in b.M) count--;
    return count === 0;
  }
  if ('L' in a) {
    if (!('L' in b) || a.L.length !== b.L.length) return false;
    for (let i = 0; i < a.L.length; i++) if (!valuesEqual(a.L[i]!, b.L[i]!)) return false;
    return true;
  }
  if ('SS' in a) return 'SS' in b && sameStrings(a.SS, b.SS);
  if ('NS' in a) return 'NS' in b && sameMembers(a.NS, b.NS, numbersEqual);
  if ('BS' in a) return 'BS' in b && sameMembers(a.BS, b.BS, bytesEqual);
  return false;
}

// ---- sizes ------------------------------------------------------------------------------------

/** UTF-8 length of a string, without encoding it (lone surrogates count 3, as U+FFFD would). */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a pair: 2 units → 4 bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}

const numberSize = (text: string): number => Math.ceil(significantDigits(text) / 2) + 1;

/**
 * Bytes a value counts for in the 400 KB item limit (and capacity units), by AWS's published rules
 * (Developer Guide, "DynamoDB item sizes and formats"):
 * - S: its UTF-8 bytes; B: its raw bytes;
 * - N: 1 byte per two significant digits (rounded up) + 1 byte — leading and trailing zeros trimmed;
 * - BOOL, NULL: 1 byte;
 * - L, M: 3 bytes of overhead + 1 byte per element + the elements (for M also the members' names);
 * - SS, NS, BS: the sum of their elements' sizes.
 */
export function attributeValueSize(value: AttributeValue): number {
  if ('S' in value) return utf8Length(value.S);
  if ('N' in value) return numberSize(value.N);
  if ('B' in value) return value.B.byteLength;
  if ('BOOL' in value || 'NULL' in value) return 1;
  if ('M' in value) {
    let size = 3;
    for (const k in value.M) size += utf8Length(k) + attributeValueSize(value.M[k]!) + 1;
    return size;
  }
  if ('L' in value) {
    let size = 3;
    for (const v of value.L) size += attributeValueSize(v) + 1;
    return size;
  }
  let size = 0;
  if ('SS' in value) for (const s of value.SS) size += utf8Length(s);
  else if ('NS' in value) for (const s of value.NS) size += numberSize(s);
  else if ('BS' in value) for (const b of value.BS) size += b.byteLength;
  return size;
}

/** An item's size: every attribute's UTF-8 name length plus its value's size. */
export function itemSize(item: Item): number {
  let size = 0;
  for (const name in item) size += utf8Length(name) + attributeValueSize(item[name]!);
  return size;
}

/**
 * Size of a key value against the key limits (partition key ≤ 2048 bytes, sort key ≤ 1024):
 * for S the UTF-8 bytes, for B the raw bytes, for N the number's size.
 */
export function keyValueSize(value: AttributeValue): number {
  return attributeValueSize(value);
}

// ---- validation of client values -------------------------------------------------------------

const EMPTY_VALUE = 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes';
const MANY_TYPES = 'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes';
const INVALID = 'One or more parameter values were invalid: ';
/** DynamoDB allows 32 levels of nesting of lists and maps. */
const MAX_DEPTH = 32;
const TYPE_KEYS: ReadonlySet<string> = new Set(['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL']);

const base64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

function checkSet(kind: 'SS' | 'NS' | 'BS', members: readonly unknown[], keys: readonly string[]): void {
  if (members.length === 0) {
    // DynamoDB's wording, double space and grammar included.
    throw validation(kind === 'SS' ? `${INVALID}An string set  may not be empty` : kind === 'NS' ? `${INVALID}An number set  may not be empty` : `${INVALID}Binary sets should not be empty`);
  }
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key)) {
      if (kind === 'NS') throw validation('Input collection contains duplicates');
      if (kind === 'SS') throw validation(`${INVALID}Input collection [${keys.join(', ')}] contains duplicates.`);
      throw validation(`${INVALID}Input collection [${keys.join(', ')}]of type BS contains duplicates.`);
    }
    seen.add(key);
  }
}

function wrongShape(type: string, v: unknown): DynamoDbError {
  // The SDK's serializer would reject these; DynamoDB itself answers a SerializationException.
  return new DynamoDbError('SerializationException', `Unexpected value for the ${type} member of an AttributeValue: ${Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v}`);
}

/**
 * Checks a client value and returns the engine's own copy of it, with numbers in canonical form
 * (also inside NS, L and M): exactly one type member, valid numbers, non-empty sets without
 * duplicates, NULL true, nesting ≤ 32 levels. Empty strings and binaries are allowed (key
 * attributes have their own rules, checked by the table).
 *
 * @throws ValidationException with DynamoDB's message.
 */
export function canonicalValue(raw: unknown, depth = 0): AttributeValue {
  if (raw === null || typeof raw !== 'object') throw validation(EMPTY_VALUE);
  const value = raw as Record<string, unknown>;
  let found: string | undefined;
  for (const key in value) {
    if (value[key] === undefined || !TYPE_KEYS.has(key)) continue;
    if (found !== undefined) throw validation(MANY_TYPES);
    found = key;
  }
  if (found === undefined) throw validation(EMPTY_VALUE);
  const v = value[found];
  switch (found) {
    case 'S':
      if (typeof v !== 'string') throw wrongShape(found, v);
      return { S: v };
    case 'N':
      if (typeof v !== 'string') throw wrongShape(found, v);
      return { N: normalizeNumber(v) };
    case 'B':
      if (!(v instanceof Uint8Array)) throw wrongShape(found, v);
      return { B: new Uint8Array(v) };
    case 'BOOL':
      if (typeof v !== 'boolean') throw wrongShape(found, v);
      return { BOOL: v };
    case 'NULL':
      if (v !== true) throw validation(`${INVALID}Null attribute value types must have the value of true`);
      return { NULL: true };
    case 'SS': {
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw wrongShape(found, v);
      checkSet('SS', v, v as string[]);
      return { SS: [...(v as string[])] };
    }
    case 'NS': {
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw wrongShape(found, v);
      const ns = (v as string[]).map(normalizeNumber);
      checkSet('NS', ns, ns);
      return { NS: ns };
    }
    case 'BS': {
      if (!Array.isArray(v) || !v.every((b) => b instanceof Uint8Array)) throw wrongShape(found, v);
      const bs = v as Uint8Array[];
      checkSet('BS', bs, bs.map(base64));
      return { BS: bs.map((b) => new Uint8Array(b)) };
    }
    case 'L': {
      if (!Array.isArray(v)) throw wrongShape(found, v);
      if (depth >= MAX_DEPTH) throw validation('Nesting Levels have exceeded supported limits');
      return { L: v.map((e) => canonicalValue(e, depth + 1)) };
    }
    default: {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw wrongShape(found, v);
      if (depth >= MAX_DEPTH) throw validation('Nesting Levels have exceeded supported limits');
      return { M: canonicalMap(v as Record<string, unknown>, depth + 1) };
    }
  }
}

function canonicalMap(raw: Record<string, unknown>, depth: number): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const name in raw) {
    if (raw[name] === undefined) continue;
    out[name] = canonicalValue(raw[name], depth);
  }
  return out;
}

/** Throws DynamoDB's ValidationException if a client value is invalid (see {@link canonicalValue}). */
export function validateAttributeValue(value: unknown): void {
  canonicalValue(value);
}

/**
 * Which request member a map of values came from; DynamoDB words some errors per member:
 * ExpressionAttributeValues errors read `ExpressionAttributeValues contains invalid value: <why> for key :v`.
 */
export type ValueContext = 'Item' | 'Key' | 'ExpressionAttributeValues' | 'ExclusiveStartKey';

/**
 * A map of client values (an Item, a Key, ExpressionAttributeValues), checked and copied with
 * canonical numbers. Top-level attribute names must not be empty.
 *
 * @throws ValidationException with DynamoDB's message.
 */
export function canonicalItem(raw: Item | Record<string, unknown>, context: ValueContext | string = 'Item'): Item {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw validation(`1 validation error detected: Value null at '${context.charAt(0).toLowerCase()}${context.slice(1)}' failed to satisfy constraint: Member must not be null`);
  }
  const out: Record<string, AttributeValue> = {};
  const map = raw as Record<string, unknown>;
  for (const name in map) {
    if (map[name] === undefined) continue;
    if (context === 'ExpressionAttributeValues') {
      try {
        out[name] = canonicalValue(map[name], 0);
      } catch (e) {
        if (e instanceof DynamoDbError && e.name === 'ValidationException') throw validation(`ExpressionAttributeValues contains invalid value: ${e.message} for key ${name}`);
        throw e;
      }
      continue;
    }
    if (name.length === 0) throw validation(`${INVALID}An attribute name must not be empty`);
    out[name] = canonicalValue(map[name], 0);
  }
  return out;
}

/** Checks a whole map of client values without keeping the copy (see {@link canonicalItem}). */
export function validateItem(item: Item | Record<string, unknown>, context: ValueContext | string = 'Item'): void {
  canonicalItem(item, context);
}
