import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';

/**
 * DynamoDB item sizes and capacity units, by AWS's published rules. the local DynamoDB engine (over HTTP) does report
 * `ConsumedCapacity`, but not by those rules for transactions (it reported 2 WRU for a three-item
 * TransactWriteItems), so the benchmark computes capacity from the items it saw on the wire.
 *
 * Sizes (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 * attribute name bytes + value bytes; strings and binaries by length; a number ≈ 1 byte per two
 * significant digits + 1; boolean/null 1; a list or map 3 bytes + 1 per element + its elements.
 */
export function attributeValueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((n, s) => n + Buffer.byteLength(s, 'utf8'), 0);
  if (value.NS !== undefined) return value.NS.reduce((n, s) => n + numberSize(s), 0);
  if (value.BS !== undefined) return value.BS.reduce((n, b) => n + b.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((n, v) => n + 1 + attributeValueSize(v), 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((n, [k, v]) => n + 1 + Buffer.byteLength(k, 'utf8') + attributeValueSize(v), 0);
  throw new TypeError(`Not a DynamoDB AttributeValue: ${JSON.stringify(value).slice(0, 80)}`);
}

function numberSize(n: string): number {
  const digits = n.replace(/^-/, '').replace(/[eE].*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/** Size in bytes of an item in wire form (`{ pk: { S: '…' }, … }`). */
export function itemSize(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((n, [name, v]) => n + Buffer.byteLength(name, 'utf8') + attributeValueSize(v), 0);
}

/** Size of an item given as plain JavaScript values (as the document client returns it). */
export function plainItemSize(item: Record<string, unknown>): number {
  return itemSize(marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: true }) as Record<string, AttributeValue>);
}

/** Write request units of one item write: 1 per started KB, doubled inside a transaction. */
export function writeUnits(bytes: number, transactional: boolean): number {
  return (transactional ? 2 : 1) * Math.max(1, Math.ceil(bytes / 1024));
}

/** Read request units of one strongly consistent read (1 per started 4 KB), doubled in a transaction. */
export function readUnits(bytes: number, options: { readonly consistent?: boolean; readonly transactional?: boolean } = {}): number {
  const units = Math.max(1, Math.ceil(bytes / 4096));
  if (options.transactional) return 2 * units;
  return options.consistent === false ? units / 2 : units;
}

/** The parts of a recorded call capacity accounting needs (wire-form input). */
export interface WireCall {
  readonly command: string;
  readonly input?: Record<string, unknown>;
  /** GetItem: size of the returned item. */
  readonly outputBytes?: number;
}

export interface CallCapacity {
  readonly wru: number;
  readonly rru: number;
}

type WireKey = Record<string, AttributeValue>;
/** Stable id of an item: table + its key attributes. */
export function keyId(tableName: string, key: WireKey): string {
  return `${tableName}|${Object.keys(key)
    .sort()
    .map((k) => `${k}=${JSON.stringify(key[k])}`)
    .join('|')}`;
}

/** Keys of items a call changes without carrying their full image (updates, deletes, condition checks). */
export function keysNeedingSize(call: WireCall): { tableName: string; key: WireKey }[] {
  const out: { tableName: string; key: WireKey }[] = [];
  const items = call.command === 'TransactWriteItems' ? ((call.input?.TransactItems as Record<string, { TableName: string; Key?: WireKey }>[]) ?? []) : [];
  for (const item of items) {
    const op = item.Update ?? item.Delete ?? item.ConditionCheck;
    if (op?.Key) out.push({ tableName: op.TableName, key: op.Key });
  }
  if ((call.command === 'UpdateItem' || call.command === 'DeleteItem') && call.input?.Key) out.push({ tableName: String(call.input.TableName), key: call.input.Key as WireKey });
  return out;
}

/**
 * Capacity of a sequence of calls by AWS's rules: transactional writes 2 WRU per started KB per
 * item, plain writes 1, strongly consistent reads 1 RRU per 4 KB. A write of an item carrying the
 * GSI key attribute also writes the index (ALL projection: same size); a write that drops it from
 * an item that had it deletes the index entry (1 WRU). `sizeOf` gives the stored size of items
 * changed by updates/deletes (the larger of before and after is what AWS charges; after is used).
 */
export function capacityOfCalls(calls: readonly WireCall[], sizeOf: (id: string) => number, options: { readonly gsiAttribute?: string } = {}): { total: CallCapacity; perCall: CallCapacity[] } {
  const indexed = new Set<string>();
  const perCall: CallCapacity[] = [];
  const gsi = options.gsiAttribute;
  const indexWrite = (tableName: string, item: WireKey): number => {
    if (!gsi) return 0;
    const id = keyId(tableName, { pk: item.pk!, sk: item.sk! });
    if (item[gsi]) {
      indexed.add(id);
      return writeUnits(itemSize(item), false);
    }
    if (indexed.delete(id)) return 1;
    return 0;
  };
  for (const call of calls) {
    let wru = 0;
    let rru = 0;
    const input = call.input ?? {};
    if (call.command === 'TransactWriteItems') {
      for (const item of (input.TransactItems as Record<string, { TableName: string; Item?: WireKey; Key?: WireKey }>[]) ?? []) {
        if (item.Put?.Item) wru += writeUnits(itemSize(item.Put.Item), true) + indexWrite(item.Put.TableName, item.Put.Item);
        const op = item.Update ?? item.Delete ?? item.ConditionCheck;
        if (op?.Key) wru += writeUnits(sizeOf(keyId(op.TableName, op.Key)), true);
      }
    } else if (call.command === 'PutItem' && input.Item) {
      wru += writeUnits(itemSize(input.Item as WireKey), false) + indexWrite(String(input.TableName), input.Item as WireKey);
    } else if ((call.command === 'UpdateItem' || call.command === 'DeleteItem') && input.Key) {
      wru += writeUnits(sizeOf(keyId(String(input.TableName), input.Key as WireKey)), false);
    } else if (call.command === 'GetItem') {
      rru += readUnits(call.outputBytes ?? 0, { consistent: input.ConsistentRead === true });
    }
    perCall.push({ wru, rru });
  }
  return { total: { wru: perCall.reduce((n, c) => n + c.wru, 0), rru: perCall.reduce((n, c) => n + c.rru, 0) }, perCall };
}
