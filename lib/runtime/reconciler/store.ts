import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KEY, sagaKey } from '../../core/keys.js';
import type { ReconcileStats, TrackedSaga } from './types.js';

type Item = Record<string, unknown>;
/** One TransactWriteItems entry in lib-dynamodb form. */
export type TxItem = Record<string, unknown>;

/** True for a cancelled transaction or a failed condition: someone else changed the item first. */
export function isConditionFailure(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === 'ConditionalCheckFailedException' || name === 'TransactionCanceledException' || name === 'TransactionConflictException';
}

/**
 * The reconciler's table access, counting every item read so a run can show that its cost grows
 * with the open sagas it visits, not with the table.
 */
export class ReconcilerStore {
  /** Sagas this run has seen a record of (from the open index or a read): no need to read again. */
  private readonly recorded = new Set<string>();

  constructor(
    readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    readonly stats: ReconcileStats,
    /** Rows this run may republish at most (`maxRepublishesPerRun`). */
    readonly republishBudget: number = Number.POSITIVE_INFINITY,
  ) {}

  /**
   * Items of one open-index partition whose `nextCheckAt` is due, oldest first, page by page.
   * Only the due slice of the sparse index is read: finished sagas are not in it at all.
   */
  async *due(shard: string, nowIso: string, pageSize: number): AsyncGenerator<Item> {
    let startKey: Item | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: KEY.openIndex,
          KeyConditionExpression: '#shard = :shard AND #next <= :now',
          ExpressionAttributeNames: { '#shard': KEY.openPartition, '#next': KEY.openSort },
          ExpressionAttributeValues: { ':shard': shard, ':now': nowIso },
          Limit: pageSize,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      this.stats.queries++;
      this.stats.itemsRead += out.ScannedCount ?? out.Count ?? 0;
      for (const item of out.Items ?? []) yield item;
      startKey = out.LastEvaluatedKey;
    } while (startKey);
  }

  /** Every item of one partition (step records of a participant, outbox rows of a producer), consistently. */
  async partition(pk: string): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': KEY.partition },
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      this.stats.queries++;
      this.stats.itemsRead += out.ScannedCount ?? out.Count ?? 0;
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /** One item by key, read consistently and counted in the run's stats. */
  async item<T>(key: { pk: string; sk: string }): Promise<T | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    this.stats.gets++;
    if (out.Item) this.stats.itemsRead++;
    return out.Item as T | undefined;
  }

  async saga(sagaId: string): Promise<TrackedSaga | undefined> {
    const saga = await this.item<TrackedSaga>(sagaKey(sagaId));
    if (saga) this.recorded.add(sagaId);
    return saga;
  }

  /** Remembers that `sagaId` has a saga record (it came from the open index). */
  noteRecorded(sagaId: string): void {
    this.recorded.add(sagaId);
  }

  /** True when the saga has a record; reads it only if this run has not seen it yet. */
  async hasSagaRecord(sagaId: string): Promise<boolean> {
    return this.recorded.has(sagaId) || (await this.saga(sagaId)) !== undefined;
  }

  /**
   * Writes the next version of a saga record — guarded by the version it was computed from — and,
   * in the same transaction, any other items (an outbox row). False when the record moved on.
   */
  async writeSaga(next: TrackedSaga, expectedVersion: number, extra: readonly TxItem[] = [], extraCondition?: string): Promise<boolean> {
    const put = {
      Put: {
        TableName: this.tableName,
        Item: next as unknown as Item,
        ConditionExpression: `version = :v${extraCondition ? ` AND ${extraCondition}` : ''}`,
        ExpressionAttributeValues: { ':v': expectedVersion },
      },
    };
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: [put, ...extra] as never }));
      this.stats.writes += 1 + extra.length;
      return true;
    } catch (error) {
      if (isConditionFailure(error)) {
        this.stats.conflicts++;
        return false;
      }
      throw error;
    }
  }

  /** A conditional transaction of raw items; false when a condition failed (someone else did it). */
  async transact(items: readonly TxItem[]): Promise<boolean> {
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items as never }));
      this.stats.writes += items.length;
      return true;
    } catch (error) {
      if (isConditionFailure(error)) {
        this.stats.conflicts++;
        return false;
      }
      throw error;
    }
  }

  /** Keeps an item in the open index but makes it due again only at `atIso`. */
  async recheckAt(key: { pk: string; sk: string }, atIso: string): Promise<void> {
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET #next = :at',
          ConditionExpression: 'attribute_exists(#shard)',
          ExpressionAttributeNames: { '#shard': KEY.openPartition, '#next': KEY.openSort },
          ExpressionAttributeValues: { ':at': atIso },
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailure(error)) throw error; // a concurrent run took it out of the index
      });
    this.stats.writes++;
  }

  /** Takes an item out of the open index (failure records once handled, resolved sagas). */
  async leaveIndex(key: { pk: string; sk: string }, set: Record<string, unknown> = {}): Promise<void> {
    const names = Object.keys(set);
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: `${names.length ? `SET ${names.map((n, i) => `#s${i} = :s${i}`).join(', ')} ` : ''}REMOVE #shard, #next`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#shard': KEY.openPartition, '#next': KEY.openSort, ...Object.fromEntries(names.map((n, i) => [`#s${i}`, n])) },
        ...(names.length ? { ExpressionAttributeValues: Object.fromEntries(names.map((n, i) => [`:s${i}`, set[n]])) } : {}),
      }),
    ).catch((error: unknown) => {
      if (!isConditionFailure(error)) throw error;
    });
    this.stats.writes++;
  }
}

/** Saga record without its open-index attributes (it leaves the index). */
export function withoutIndex(record: TrackedSaga): TrackedSaga {
  const { openShard: _shard, nextCheckAt: _next, ...rest } = record;
  return rest;
}
