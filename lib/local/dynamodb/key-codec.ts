import { validation } from './errors.js';
import type { AttributeValue, Item, KeySchema, ScalarAttributeType } from './types.js';

/**
 * Key attributes encoded as strings: one Map lookup finds a partition, and two encodings are equal
 * exactly when DynamoDB treats the keys as equal (numbers are stored in canonical form, so "1.0"
 * and "1" encode alike).
 */
export function encodeScalar(value: AttributeValue): string {
  if ('S' in value) return `S${value.S}`;
  if ('N' in value) return `N${value.N}`;
  if ('B' in value) return `B${Buffer.from(value.B.buffer, value.B.byteOffset, value.B.byteLength).toString('base64')}`;
  throw new Error('not a scalar key value');
}

/** The encoded primary key of an item (or of a Key map). */
export function encodeKey(item: Item, key: KeySchema): string {
  const hash = encodeScalar(item[key.hash]!);
  return key.range === undefined ? hash : `${hash}\u0000${encodeScalar(item[key.range]!)}`;
}

export function scalarTypeOf(value: AttributeValue): ScalarAttributeType | undefined {
  if ('S' in value) return 'S';
  if ('N' in value) return 'N';
  if ('B' in value) return 'B';
  return undefined;
}

function byteLength(value: AttributeValue): number {
  if ('S' in value) return Buffer.byteLength(value.S, 'utf8');
  if ('N' in value) return Math.ceil(value.N.replace(/^-|\.|e.*$/gi, '').length / 2) + 1;
  if ('B' in value) return value.B.byteLength;
  return 0;
}

export function isEmptyScalar(value: AttributeValue): boolean {
  return ('S' in value && value.S.length === 0) || ('B' in value && value.B.byteLength === 0);
}

const MAX_HASH_KEY_BYTES = 2048;
const MAX_RANGE_KEY_BYTES = 1024;

/**
 * Checks the key attributes of an item being written (PutItem, an update's result, a
 * BatchWriteItem put) with the messages DynamoDB uses.
 */
export function checkItemKey(item: Item, key: KeySchema, types: ReadonlyMap<string, ScalarAttributeType>): void {
  for (const name of key.range === undefined ? [key.hash] : [key.hash, key.range]) {
    const value = item[name];
    if (value === undefined) throw validation(`One or more parameter values were invalid: Missing the key ${name} in the item`);
    const expected = types.get(name);
    const actual = scalarTypeOf(value) ?? Object.keys(value)[0];
    if (actual !== expected) throw validation(`One or more parameter values were invalid: Type mismatch for key ${name} expected: ${expected} actual: ${actual}`);
    if (isEmptyScalar(value)) throw validation(`One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${'S' in value ? 'string' : 'binary'} value. Key: ${name}`);
  }
  checkKeySizes(item, key);
}

export function checkKeySizes(item: Item, key: KeySchema): void {
  if (byteLength(item[key.hash]!) > MAX_HASH_KEY_BYTES) {
    // DynamoDB's own wording, missing space included.
    throw validation(`One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of${MAX_HASH_KEY_BYTES} bytes`);
  }
  if (key.range !== undefined && byteLength(item[key.range]!) > MAX_RANGE_KEY_BYTES) {
    throw validation(`One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of ${MAX_RANGE_KEY_BYTES} bytes`);
  }
}

/**
 * Checks a `Key` parameter (GetItem, DeleteItem, UpdateItem, ConditionCheck, BatchGetItem):
 * exactly the key attributes, of the declared types.
 */
export function checkKeyParameter(keyInput: unknown, key: KeySchema, types: ReadonlyMap<string, ScalarAttributeType>): Item {
  if (keyInput === undefined || keyInput === null || typeof keyInput !== 'object') {
    throw validation('1 validation error detected: Value null at \'key\' failed to satisfy constraint: Member must not be null');
  }
  const given = keyInput as Item;
  const names = Object.keys(given);
  const expectedCount = key.range === undefined ? 1 : 2;
  if (names.length !== expectedCount) throw validation('The provided key element does not match the schema');
  for (const name of key.range === undefined ? [key.hash] : [key.hash, key.range]) {
    const value = given[name];
    if (value === undefined || scalarTypeOf(value) !== types.get(name)) throw validation('The provided key element does not match the schema');
    if (isEmptyScalar(value)) throw validation(`One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${'S' in value ? 'string' : 'binary'} value. Key: ${name}`);
  }
  checkKeySizes(given, key);
  return given;
}

/** Only the key attributes of an item, for `Keys` in stream records and `LastEvaluatedKey`. */
export function keyOf(item: Item, ...schemas: KeySchema[]): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const schema of schemas) {
    out[schema.hash] = item[schema.hash]!;
    if (schema.range !== undefined) out[schema.range] = item[schema.range]!;
  }
  return out;
}

/** FNV-1a: a stable spread of partitions for Scan order and Scan segments, as DynamoDB hashes partition keys. */
export function hashOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
