import { encodeKey, encodeScalar, hashOf } from './key-codec.js';
import type { Item, KeySchema } from './types.js';
import { compareValues } from './values.js';

/** One partition: its items in sort-key order (ties, possible in an index, broken by the table key). */
interface Partition {
  readonly hashEncoded: string;
  readonly hashOrder: number;
  readonly items: Item[];
}

/**
 * Items grouped by partition key, sorted by sort key — the layout of a table or of one secondary
 * index. A table holds each key once; an index may hold several items with equal index keys, kept
 * in table-key order so pagination is stable. Scan walks partitions in hash order, like DynamoDB.
 */
export class SortedStore {
  private readonly partitions = new Map<string, Partition>();
  private scanOrder: Partition[] | undefined;
  private count = 0;
  private bytes = 0;

  constructor(
    /** The key this store is sorted by (the table's, or the index's). */
    readonly key: KeySchema,
    /** For an index: the table's key, the tie-breaker between equal index keys. */
    readonly tableKey?: KeySchema,
  ) {}

  get size(): number {
    return this.count;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  private compare(a: Item, b: Item): number {
    if (this.key.range !== undefined) {
      const c = compareValues(a[this.key.range]!, b[this.key.range]!) ?? 0;
      if (c !== 0) return c;
    }
    if (!this.tableKey) return 0;
    const ea = encodeKey(a, this.tableKey);
    const eb = encodeKey(b, this.tableKey);
    return ea < eb ? -1 : ea > eb ? 1 : 0;
  }

  /** Index of the first item not less than `probe`, and whether it is equal. */
  private search(items: readonly Item[], probe: Item): { index: number; found: boolean } {
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(items[mid]!, probe) < 0) lo = mid + 1;
      else hi = mid;
    }
    return { index: lo, found: lo < items.length && this.compare(items[lo]!, probe) === 0 };
  }

  get(probe: Item): Item | undefined {
    const partition = this.partitions.get(encodeScalar(probe[this.key.hash]!));
    if (!partition) return undefined;
    const { index, found } = this.search(partition.items, probe);
    return found ? partition.items[index] : undefined;
  }

  /** Inserts or replaces the item with the same key. */
  put(item: Item, size: number, previousSize = 0): void {
    const hashEncoded = encodeScalar(item[this.key.hash]!);
    let partition = this.partitions.get(hashEncoded);
    if (!partition) {
      partition = { hashEncoded, hashOrder: hashOf(hashEncoded), items: [] };
      this.partitions.set(hashEncoded, partition);
      this.scanOrder = undefined;
    }
    const { index, found } = this.search(partition.items, item);
    if (found) {
      partition.items[index] = item;
      this.bytes += size - previousSize;
    } else {
      partition.items.splice(index, 0, item);
      this.count++;
      this.bytes += size;
    }
  }

  delete(probe: Item, size: number): boolean {
    const hashEncoded = encodeScalar(probe[this.key.hash]!);
    const partition = this.partitions.get(hashEncoded);
    if (!partition) return false;
    const { index, found } = this.search(partition.items, probe);
    if (!found) return false;
    partition.items.splice(index, 1);
    this.count--;
    this.bytes -= size;
    if (partition.items.length === 0) {
      this.partitions.delete(hashEncoded);
      this.scanOrder = undefined;
    }
    return true;
  }

  /** Items of one partition in sort order, from just after `after` (exclusive) when given. */
  *partition(hash: Item, options: { readonly forward: boolean; readonly after?: Item }): Generator<Item> {
    const partition = this.partitions.get(encodeScalar(hash[this.key.hash]!));
    if (!partition) return;
    yield* this.walk(partition.items, options.forward, options.after);
  }

  private *walk(items: readonly Item[], forward: boolean, after: Item | undefined): Generator<Item> {
    if (forward) {
      let i = 0;
      if (after) {
        const { index, found } = this.search(items, after);
        i = found ? index + 1 : index;
      }
      for (; i < items.length; i++) yield items[i]!;
    } else {
      let i = items.length - 1;
      if (after) i = this.search(items, after).index - 1;
      for (; i >= 0; i--) yield items[i]!;
    }
  }

  /**
   * Every item in scan order (partitions by hash, then sort order), starting after `after`;
   * `segment` keeps only partitions of one parallel-scan segment.
   */
  *scan(options: { readonly after?: Item; readonly segment?: { readonly index: number; readonly total: number } } = {}): Generator<Item> {
    const order = (this.scanOrder ??= [...this.partitions.values()].sort((a, b) => a.hashOrder - b.hashOrder || (a.hashEncoded < b.hashEncoded ? -1 : 1)));
    let start = 0;
    let afterInFirst: Item | undefined;
    if (options.after) {
      const hashEncoded = encodeScalar(options.after[this.key.hash]!);
      const hashOrder = hashOf(hashEncoded);
      start = order.findIndex((p) => p.hashOrder > hashOrder || (p.hashOrder === hashOrder && p.hashEncoded >= hashEncoded));
      if (start === -1) return;
      if (order[start]!.hashEncoded === hashEncoded) afterInFirst = options.after;
    }
    const segment = options.segment;
    for (let i = start; i < order.length; i++) {
      const partition = order[i]!;
      if (segment && partition.hashOrder % segment.total !== segment.index) continue;
      // Partitions can vanish while a generator is suspended; a stale one is simply empty.
      yield* this.walk(partition.items, true, i === start ? afterInFirst : undefined);
    }
  }

  clear(): void {
    this.partitions.clear();
    this.scanOrder = undefined;
    this.count = 0;
    this.bytes = 0;
  }
}
