import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { KEY, UNPUBLISHED_SHARD } from '../core/keys.js';
import { METRIC } from './ports.js';
import { republishRow, type RepublishClaim } from './reconciler-outbox.js';
import type { VisitContext } from './reconciler-saga.js';
import { isConditionFailure } from './reconciler-store.js';
import { isTerminalStatus } from './saga-record.js';
import type { OutboxRow } from './outbox.js';
import type { UnpublishedRecord } from './unpublished.js';

/** The reconciler's cursor over `open#unpublished`: the latest failure time it has examined. */
export const UNPUBLISHED_CURSOR_KEY = { pk: 'reconciler#cursor', sk: 'unpublished' } as const;

const iso = (ms: number): string => new Date(ms).toISOString();
const age = (at: string | undefined, now: number): number => (at ? now - Date.parse(at) : Number.POSITIVE_INFINITY);

/**
 * Republishes outbox rows the relay failed to publish whose saga has already ended — a late step
 * of a saga that compensated meanwhile, say. The visit of open sagas repairs lost rows of running
 * sagas, but an ended saga leaves the open index, and its lost row would stay unpublished for good
 * (no committed write may lose its event, even one no participant of this saga still needs).
 *
 * Each run reads the relay's notes (`open#unpublished`) from its cursor, one quiet period behind,
 * to `now − quietMs`; a note whose event the saga record holds is done (the stream source's retry
 * got through). Otherwise the original row is republished as a copy, like a lost row of an open
 * saga, up to `maxRepublishes` times (a failing copy leaves its own note, read by a later run).
 */
export async function republishUnpublished(ctx: VisitContext): Promise<number> {
  const { store, opts, now } = ctx;
  const cursorItem = await store.client.send(new GetCommand({ TableName: store.tableName, Key: UNPUBLISHED_CURSOR_KEY, ConsistentRead: true }));
  store.stats.gets++;
  const cursor = typeof cursorItem.Item?.cursor === 'string' ? cursorItem.Item.cursor : '';
  const from = cursor ? iso(Date.parse(cursor) - opts.quietMs) : '';
  const upTo = iso(now - opts.quietMs);
  if (from && from >= upTo) return 0;
  let republished = 0;
  let last = cursor;
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await store.client.send(
      new QueryCommand({
        TableName: store.tableName,
        IndexName: KEY.openIndex,
        KeyConditionExpression: from ? '#shard = :shard AND #next BETWEEN :from AND :to' : '#shard = :shard AND #next <= :to',
        ExpressionAttributeNames: { '#shard': KEY.openPartition, '#next': KEY.openSort },
        ExpressionAttributeValues: { ':shard': UNPUBLISHED_SHARD, ':to': upTo, ...(from ? { ':from': from } : {}) },
        Limit: opts.pageSize,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    store.stats.queries++;
    store.stats.itemsRead += out.ScannedCount ?? out.Count ?? 0;
    for (const item of (out.Items ?? []) as unknown as UnpublishedRecord[]) {
      if (item.nextCheckAt > last) last = item.nextCheckAt;
      const saga = await store.saga(item.sagaId);
      // Open sagas (and sagas without a record) are repaired by the regular visit and start recovery.
      if (!saga || !isTerminalStatus(saga.status) || saga.timeline.some((t) => t.eventId === item.eventId)) continue;
      const original = await readRow(ctx, item.rowPk, item.rowSk.split('#r')[0]!);
      if (!original || age(original.republishedAt, now) < opts.quietMs) continue;
      if ((original.republishCount ?? 0) >= opts.maxRepublishes) {
        // Nothing else will try again (the saga has left the open index): say so loudly, once per note.
        ctx.logger.log('error', 'outbox row of an ended saga still unpublished after the last republish', { sagaId: item.sagaId, eventId: original.eventId, type: original.type, pk: item.rowPk, sk: item.rowSk });
        ctx.act(item.sagaId, 'republish-exhausted', `${original.type} ${original.eventId}`);
        continue;
      }
      if (!(await republishRow(store, original, now))) continue;
      republished++;
      store.stats.republished++;
      ctx.metrics.count(METRIC.eventsRepublished, 1, { Saga: ctx.def.name });
      ctx.act(item.sagaId, 'republished', `${original.type} ${original.eventId} (after the saga ended)`);
    }
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  if (last && last !== cursor) {
    await store.client
      .send(
        new PutCommand({
          TableName: store.tableName,
          Item: { ...UNPUBLISHED_CURSOR_KEY, cursor: last, updatedAt: iso(now) },
          ConditionExpression: 'attribute_not_exists(#c) OR #c < :c',
          ExpressionAttributeNames: { '#c': 'cursor' },
          ExpressionAttributeValues: { ':c': last },
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailure(error)) throw error;
      });
    store.stats.writes++;
  }
  return republished;
}

async function readRow(ctx: VisitContext, pk: string, sk: string): Promise<(OutboxRow & RepublishClaim) | undefined> {
  const out = await ctx.store.client.send(new GetCommand({ TableName: ctx.store.tableName, Key: { [KEY.partition]: pk, [KEY.sort]: sk }, ConsistentRead: true }));
  ctx.store.stats.gets++;
  if (out.Item) ctx.store.stats.itemsRead++;
  return out.Item as (OutboxRow & RepublishClaim) | undefined;
}
