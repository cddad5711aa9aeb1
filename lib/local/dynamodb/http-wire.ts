import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { DynamoDbError } from './errors.js';

/**
 * The JSON 1.0 wire format of DynamoDB and DynamoDB Streams, at the HTTP edge of the engine: the
 * engine speaks the SDK v3 shape (binary as `Uint8Array`, timestamps as `Date`), the wire speaks
 * JSON (binary as base64 strings, timestamps as epoch seconds).
 */

/**
 * Protocol-level errors come from AWS's service framework (Coral), before DynamoDB sees the
 * request, so their `__type` carries Coral's namespace: the live service answers a malformed body
 * with `{"__type":"com.amazon.coral.service#SerializationException"}` and an unknown target with
 * `…#UnknownOperationException` (as recorded by dynalite, which was built against live DynamoDB).
 * SDKs keep only what follows `#`, so the namespace is cosmetic for them, but scripts that curl
 * the endpoint see what they would see from AWS.
 */
const CORAL_ERRORS: ReadonlySet<string> = new Set(['SerializationException', 'UnknownOperationException']);
const CORAL_NAMESPACE = 'com.amazon.coral.service#';
/** DynamoDB Streams errors carry DynamoDB's namespace too (the two services share one error model). */
const DYNAMODB_NAMESPACE = 'com.amazonaws.dynamodb.v20120810#';

/**
 * Parses a request body into the SDK shape the engine takes. A body that is not a JSON object, or
 * a binary member that is not base64, is a `SerializationException`, as DynamoDB answers it.
 *
 * Binary is found structurally rather than by walking each operation's input schema: an object
 * whose only member is `B` with a string value, or `BS` with an array of strings, is a binary
 * AttributeValue. That is unambiguous in the DynamoDB and Streams APIs: every modelled structure's
 * members are PascalCase words (`TableName`, `Key`, …), so none has a lone `B`/`BS` member, and
 * the maps keyed by user-chosen names hold objects (`Item`, `Key`, `RequestItems`: an attribute or
 * table named `B` maps to an AttributeValue or a structure, never to a string). The one map of
 * strings keyed by user names, `ExpressionAttributeNames`, has keys that must start with `#`, and
 * is skipped anyway so that an invalid `{"B":"x"}` there reaches the engine's validation as written.
 * The check therefore finds B/BS however deep they sit in M and L values, and in every operation,
 * without a table of where AttributeValues occur.
 */
export function parseRequestBody(text: string): Record<string, unknown> {
  // Live DynamoDB answers an empty body with a bare SerializationException too (SDKs send `{}`).
  if (text.trim() === '') throw serialization('The request body is empty; send a JSON object (`{}` for no parameters).');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, reviveBinary);
  } catch (error) {
    if (error instanceof DynamoDbError) throw error;
    throw serialization(`The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw serialization('The request body must be a JSON object.');
  return parsed as Record<string, unknown>;
}

// JSON.parse calls the reviver bottom-up, so it sees every object once, nested ones first.
function reviveBinary(key: string, value: unknown): unknown {
  if (key === '' || key === 'ExpressionAttributeNames' || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  let only: string | undefined;
  for (const member in value) {
    if (only !== undefined) return value; // two or more members: not a binary AttributeValue
    only = member;
  }
  const record = value as Record<string, unknown>;
  if (only === 'B' && typeof record.B === 'string') return { B: fromBase64(record.B) };
  if (only === 'BS' && Array.isArray(record.BS) && record.BS.every((s) => typeof s === 'string')) return { BS: (record.BS as string[]).map(fromBase64) };
  return value;
}

// Padded standard base64, as every AWS SDK and the CLI send it; Buffer's decoder would silently
// skip anything else, turning a client's encoding bug into wrong bytes.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function fromBase64(text: string): Uint8Array {
  if (!BASE64.test(text)) throw serialization(`Binary value ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)} is not valid base64.`);
  // A copy of its own: Buffer.from may hand out a slice of a shared pool, which the engine would keep.
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function serialization(message: string): DynamoDbError {
  return new DynamoDbError('SerializationException', message);
}

/** Serialises an engine output (or error body): `Uint8Array` → base64, `Date` → epoch seconds. */
export function stringifyResponse(value: Record<string, unknown>): string {
  return JSON.stringify(value, replaceWireTypes);
}

// `this` is the holder: JSON.stringify has already applied Date/Buffer toJSON to `value`, so the
// original is read from the holder. DynamoDB sends timestamps as fractional epoch seconds
// (`"CreationDateTime":1712345678.123`), which the SDKs parse back to dates.
function replaceWireTypes(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
  if (raw instanceof Date) return raw.getTime() / 1000;
  return value;
}

/**
 * The JSON body DynamoDB sends for an error: `__type` is the namespaced error name, then the
 * message and the error's extra members. TransactionCanceledException's model names its message
 * `Message`, and the service sends it so (`{"__type":"…#TransactionCanceledException",
 * "CancellationReasons":[…],"Message":"Transaction cancelled, …"}`); the other errors send `message`.
 */
export function errorBody(error: DynamoDbError): Record<string, unknown> {
  const namespace = CORAL_ERRORS.has(error.name) ? CORAL_NAMESPACE : DYNAMODB_NAMESPACE;
  const messageKey = error.name === 'TransactionCanceledException' ? 'Message' : 'message';
  return { __type: `${namespace}${error.name}`, [messageKey]: error.message, ...error.extra };
}

/**
 * CRC32 (IEEE 802.3, as zlib and DynamoDB's `x-amz-crc32` header compute it) of the bytes.
 * node:zlib has a native `crc32` from Node 20.15/22.2; older Node 20 releases use the table below.
 */
export const crc32: (bytes: Uint8Array) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (bytes) => (zlib as unknown as { crc32(data: Uint8Array): number }).crc32(bytes) : crc32Table;

let table: Uint32Array | undefined;

/** The portable implementation (exported for tests): reflected polynomial 0xEDB88320, one table lookup a byte. */
export function crc32Table(bytes: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of bytes) crc = table[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** A request id in DynamoDB's format: 52 upper-case letters and digits. */
export function newRequestId(): string {
  // 39 random bytes are exactly 52 base64 characters; '+' and '/' fold into digits.
  return randomBytes(39).toString('base64').toUpperCase().replace(/[+/]/g, '0');
}
