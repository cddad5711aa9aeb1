import { validation } from '../errors.js';
import { tableOf, type EngineState } from '../state.js';
import type { Item, OperationInput, OperationOutput } from '../types.js';
import { getItem } from './items.js';
import { commit, prepareDelete, preparePut, type PreparedWrite } from './items.js';

const MAX_BATCH_GET_KEYS = 100;
const MAX_BATCH_WRITES = 25;

function requestItemsOf(input: OperationInput): Record<string, Record<string, unknown>> {
  const raw = input.RequestItems;
  if (raw === undefined || raw === null || typeof raw !== 'object') {
    throw validation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null");
  }
  if (Object.keys(raw).length === 0) {
    throw validation("1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1");
  }
  return raw as Record<string, Record<string, unknown>>;
}

/** BatchGetItem: every key read like a GetItem; nothing is left unprocessed (no throttling here). */
export function batchGetItem(state: EngineState, input: OperationInput): OperationOutput {
  const requests = requestItemsOf(input);
  let total = 0;
  for (const request of Object.values(requests)) total += Array.isArray(request.Keys) ? request.Keys.length : 0;
  if (total > MAX_BATCH_GET_KEYS) throw validation('Too many items requested for the BatchGetItem call');
  const responses: Record<string, Item[]> = {};
  for (const [tableName, request] of Object.entries(requests)) {
    const table = tableOf(state, tableName);
    const keys = request.Keys as Item[] | undefined;
    if (!Array.isArray(keys) || keys.length === 0) {
      throw validation("1 validation error detected: Value null at 'requestItems.member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1");
    }
    const seen = new Set<string>();
    for (const key of keys) {
      const encoded = safeEncode(table, key);
      if (encoded !== undefined && seen.has(encoded)) throw validation('Provided list of item keys contains duplicates');
      if (encoded !== undefined) seen.add(encoded);
    }
    const items: Item[] = [];
    for (const key of keys) {
      const out = getItem(state, {
        TableName: tableName,
        Key: key,
        ...(request.ProjectionExpression !== undefined ? { ProjectionExpression: request.ProjectionExpression } : {}),
        ...(request.ExpressionAttributeNames !== undefined ? { ExpressionAttributeNames: request.ExpressionAttributeNames } : {}),
      });
      if (out.Item) items.push(out.Item as Item);
    }
    responses[tableName] = items;
  }
  return { Responses: responses, UnprocessedKeys: {} };
}

function safeEncode(table: ReturnType<typeof tableOf>, key: Item): string | undefined {
  try {
    return table.encodedKey(key);
  } catch {
    return undefined; // a malformed key is reported by the read itself, with its own message
  }
}

/** BatchWriteItem: all requests validated first, then applied; none unprocessed. Not atomic, like DynamoDB. */
export function batchWriteItem(state: EngineState, input: OperationInput): OperationOutput {
  const requests = requestItemsOf(input);
  const writes: PreparedWrite[] = [];
  let total = 0;
  for (const [tableName, list] of Object.entries(requests)) {
    if (!Array.isArray(list) || list.length === 0) {
      throw validation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]");
    }
    total += list.length;
    if (total > MAX_BATCH_WRITES) {
      throw validation(
        "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
      );
    }
    const seen = new Set<string>();
    for (const request of list as Record<string, Record<string, unknown> | undefined>[]) {
      const put = request.PutRequest;
      const del = request.DeleteRequest;
      if ((put ? 1 : 0) + (del ? 1 : 0) !== 1) throw validation('Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes');
      const write = put ? preparePut(state, { TableName: tableName, Item: put.Item }) : prepareDelete(state, { TableName: tableName, Key: del!.Key });
      const encoded = write.table.encodedKey(write.key);
      if (seen.has(encoded)) throw validation('Provided list of item keys contains duplicates');
      seen.add(encoded);
      writes.push(write);
    }
  }
  // Keys are unique within the batch, so each prepared `previous` is still the stored item.
  for (const write of writes) commit(state, write);
  return { UnprocessedItems: {} };
}
