import { checkItemKey, encodeKey, isEmptyScalar, keyOf, scalarTypeOf } from './key-codec.js';
import { validation } from './errors.js';
import { SortedStore } from './sorted-store.js';
import type { StreamLog } from './streams.js';
import type { AttributeValue, Item, KeySchema, ScalarAttributeType } from './types.js';
import { itemSize } from './values.js';

export type ProjectionType = 'ALL' | 'KEYS_ONLY' | 'INCLUDE';

export interface IndexDefinition {
  readonly name: string;
  readonly kind: 'global' | 'local';
  readonly key: KeySchema;
  readonly projection: { readonly type: ProjectionType; readonly nonKeyAttributes: readonly string[] };
  /** The raw description members (ProvisionedThroughput, OnDemandThroughput…) echoed by DescribeTable. */
  readonly extra: Record<string, unknown>;
}

export interface SecondaryIndex {
  readonly definition: IndexDefinition;
  readonly store: SortedStore;
}

export interface TableDefinition {
  readonly name: string;
  readonly key: KeySchema;
  readonly attributeTypes: ReadonlyMap<string, ScalarAttributeType>;
  readonly indexes: readonly IndexDefinition[];
  readonly billingMode: 'PAY_PER_REQUEST' | 'PROVISIONED';
  readonly provisioned?: { readonly ReadCapacityUnits: number; readonly WriteCapacityUnits: number };
  readonly deletionProtection: boolean;
  readonly tags: readonly { Key: string; Value: string }[];
}

/** Who made a change: TTL deletions carry the service's identity in the stream. */
export type ChangeOrigin = 'user' | 'ttl';

/** One table: its items, its secondary indexes, its stream, its TTL setting. */
export class Table {
  readonly store: SortedStore;
  readonly indexes = new Map<string, SecondaryIndex>();
  readonly createdAt: Date;
  readonly tableId: string;
  ttlAttribute: string | undefined;
  stream: StreamLog | undefined;

  constructor(
    readonly definition: TableDefinition,
    readonly arn: string,
    now: number,
    tableId: string,
  ) {
    this.store = new SortedStore(definition.key);
    for (const index of definition.indexes) this.indexes.set(index.name, { definition: index, store: new SortedStore(index.key, definition.key) });
    this.createdAt = new Date(now);
    this.tableId = tableId;
  }

  get name(): string {
    return this.definition.name;
  }

  get key(): KeySchema {
    return this.definition.key;
  }

  get(key: Item): Item | undefined {
    return this.store.get(key);
  }

  /** Checks a whole new item (key attributes, index key types, size) before any write. */
  checkNewItem(item: Item, byUpdate = false): void {
    checkItemKey(item, this.definition.key, this.definition.attributeTypes);
    for (const { definition: index } of this.indexes.values()) {
      for (const name of index.key.range === undefined ? [index.key.hash] : [index.key.hash, index.key.range]) {
        const value = item[name];
        if (value === undefined) continue; // sparse: an item without the index key is not in the index
        const expected = this.definition.attributeTypes.get(name);
        const actual = scalarTypeOf(value) ?? Object.keys(value)[0];
        if (actual !== expected) {
          throw validation(`One or more parameter values were invalid: Type mismatch for Index Key ${name} Expected: ${expected} Actual: ${actual} IndexName: ${index.name}`);
        }
        if (isEmptyScalar(value)) {
          throw validation(
            `One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty ${'S' in value ? 'string' : 'binary'} value. IndexName: ${index.name}, IndexKey: ${name}`,
          );
        }
      }
    }
    // UpdateItem words it differently from PutItem (the TransactWriteItems reference lists both).
    if (itemSize(item) > MAX_ITEM_BYTES) throw validation(byUpdate ? 'Item size to update has exceeded the maximum allowed size' : 'Item size has exceeded the maximum allowed size');
  }

  /**
   * Writes `next` in place of `previous` (either may be absent), keeping indexes and the stream in
   * step. Items are immutable once stored: a write replaces the object, so readers and stream
   * records can hold references safely.
   */
  write(previous: Item | undefined, next: Item | undefined, now: number, origin: ChangeOrigin = 'user'): void {
    if (!previous && !next) return;
    const previousSize = previous ? itemSize(previous) : 0;
    if (next) this.store.put(next, itemSize(next), previousSize);
    else this.store.delete(previous!, previousSize);
    for (const { definition, store } of this.indexes.values()) {
      const wasIn = previous !== undefined && inIndex(previous, definition.key);
      const isIn = next !== undefined && inIndex(next, definition.key);
      if (wasIn) store.delete(previous!, 0);
      if (isIn) store.put(next!, 0);
    }
    this.stream?.append(previous, next, keyOf((next ?? previous)!, this.definition.key), now, origin);
  }

  /** Deletes items whose TTL attribute is past (DynamoDB skips values more than five years old). */
  expire(now: number, limit: number): number {
    const attribute = this.ttlAttribute;
    if (!attribute) return 0;
    const nowSeconds = now / 1000;
    const expired: Item[] = [];
    for (const item of this.store.scan()) {
      const value = item[attribute];
      if (!value || !('N' in value)) continue;
      const at = Number(value.N);
      if (at <= nowSeconds && at >= nowSeconds - FIVE_YEARS_SECONDS) expired.push(item);
      if (expired.length >= limit) break;
    }
    for (const item of expired) this.write(item, undefined, now, 'ttl');
    return expired.length;
  }

  /** Encoded primary key, for "one action per item" checks and idempotency. */
  encodedKey(item: Item): string {
    return encodeKey(item, this.definition.key);
  }
}

function inIndex(item: Item, key: KeySchema): boolean {
  return item[key.hash] !== undefined && (key.range === undefined || item[key.range] !== undefined);
}

/** Which attributes an index item carries: its projection plus every key attribute. */
export function projectForIndex(item: Item, index: IndexDefinition, tableKey: KeySchema): Item {
  if (index.projection.type === 'ALL') return item;
  const out: Record<string, AttributeValue> = keyOf(item, tableKey, index.key);
  if (index.projection.type === 'INCLUDE') {
    for (const name of index.projection.nonKeyAttributes) if (item[name] !== undefined) out[name] = item[name]!;
  }
  return out;
}

export const MAX_ITEM_BYTES = 400 * 1024;
const FIVE_YEARS_SECONDS = 5 * 365 * 24 * 3600;
