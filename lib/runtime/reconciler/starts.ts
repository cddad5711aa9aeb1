import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { definitionForVersion } from '../../core/versions.js';
import { ITEM_KIND, KEY, STARTS_SHARD, openShardOf, sagaKey } from '../../core/keys.js';
import { isConditionFailure } from './store.js';
import type { VisitContext } from './saga.js';
import type { TrackedSaga } from './types.js';

/** The reconciler's cursor over `open#starts`: the latest start time it has examined. */
export const STARTS_CURSOR_KEY = { pk: 'reconciler#cursor', sk: 'starts' } as const;

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * What a warm reconciler remembers of `open#starts` from its previous runs, so a run does not read
 * again what it read last time: the cursor it last wrote (no GetItem of the cursor), and the
 * sagas it found with a saga record, by start time (no GetItem of their records when their start
 * entries come round again in the re-read window). It lives as long as the reconciler instance —
 * a warm Lambda container's — and is never needed for correctness: a cold start begins empty and
 * reads both from the table. The remembered cursor is never ahead of the table's (it is kept only
 * once written, and a concurrent run can only move the table's further), so a warm run reads the
 * same starts as a cold one, or more.
 */
export interface StartsMemory {
  cursor: string;
  /** The upper end of the window the previous run examined (`now − quietMs` then). */
  examinedTo: string;
  /** Saga id → start time, of starts seen to have a saga record; pruned behind the read window. */
  readonly recorded: Map<string, string>;
}

/** An empty memory: what a cold start has. */
export const emptyStartsMemory = (): StartsMemory => ({ cursor: '', examinedTo: '', recorded: new Map() });

/**
 * Finds sagas whose start event was committed but never reached the tracker — lost between the
 * outbox and the bus (the relay gave the stream record up) — and gives each a saga record, so the
 * regular visit of open sagas republishes the start event (and, past its deadline, times it out or
 * flags it) like any other lost publish. Without a saga record such a saga would be invisible.
 *
 * A start is examined once it is `quietMs` old: each run reads `open#starts` from its cursor to
 * `now − quietMs` — one consistent GetItem of the saga record per start, a conditional Put only
 * for the missing ones — then moves the cursor. The read reaches one quiet period behind the
 * cursor, so a start that reached the (eventually consistent) index late, or was stamped by a
 * starter whose clock lags, is still seen: most starts are read twice. That look-back is the
 * configured quiet period, not the one the tracker lag lengthened (index latency and clock skew do
 * not grow with the lag), taken behind the later of the cursor and the horizon the previous run of
 * this reconciler examined (once traffic stops the cursor stays at the newest start, and reading a
 * quiet period behind it read the same minute of starts again on every run). A warm reconciler
 * (`memory`) reads neither the cursor nor, the second time, the saga records it already found.
 */
export async function recoverLostStarts(ctx: VisitContext, memory: StartsMemory = emptyStartsMemory()): Promise<number> {
  const { store, opts, now, configuredQuietMs } = ctx;
  const cursor = memory.cursor || (await readCursor(ctx));
  memory.cursor = cursor;
  const behind = cursor > memory.examinedTo ? cursor : memory.examinedTo;
  const from = behind ? iso(Date.parse(behind) - configuredQuietMs) : '';
  const upTo = iso(now - opts.quietMs);
  // A longer quiet period than last run's moves the upper end back: what lies beyond it was examined.
  const horizon = upTo > memory.examinedTo ? upTo : memory.examinedTo;
  // Starts behind this run's window never come round again: forget them.
  for (const [sagaId, startedAt] of memory.recorded) if (startedAt < from) memory.recorded.delete(sagaId);
  if (from && from >= upTo) {
    memory.examinedTo = horizon;
    return 0;
  }
  let recovered = 0;
  let last = cursor;
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await store.client.send(
      new QueryCommand({
        TableName: store.tableName,
        IndexName: KEY.openIndex,
        KeyConditionExpression: from ? '#shard = :shard AND #next BETWEEN :from AND :to' : '#shard = :shard AND #next <= :to',
        ExpressionAttributeNames: { '#shard': KEY.openPartition, '#next': KEY.openSort },
        ExpressionAttributeValues: { ':shard': STARTS_SHARD, ':to': upTo, ...(from ? { ':from': from } : {}) },
        Limit: opts.pageSize,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    store.stats.queries++;
    store.stats.itemsRead += out.ScannedCount ?? out.Count ?? 0;
    for (const item of out.Items ?? []) {
      const sagaId = String(item.sagaId);
      const startedAt = String(item[KEY.openSort]);
      if (startedAt > last) last = startedAt;
      if (memory.recorded.has(sagaId)) continue;
      if (!(await store.hasSagaRecord(sagaId))) {
        // Pinned to the version the start was written with (older starters wrote none: the newest).
        const version = typeof item.definitionVersion === 'number' ? item.definitionVersion : ctx.def.version;
        if (await putSkeleton(ctx, sagaId, startedAt, version)) {
          recovered++;
          ctx.act(sagaId, 'start-recovered', 'no event of this saga reached the tracker; its start event will be republished');
        }
      }
      // It has a record now (found, ours, or the tracker's when our put lost the race).
      memory.recorded.set(sagaId, startedAt);
    }
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  if (last && last !== cursor) {
    await store.client
      .send(
        new PutCommand({
          TableName: store.tableName,
          Item: { ...STARTS_CURSOR_KEY, cursor: last, updatedAt: iso(now) },
          ConditionExpression: 'attribute_not_exists(#c) OR #c < :c',
          ExpressionAttributeNames: { '#c': 'cursor' },
          ExpressionAttributeValues: { ':c': last },
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailure(error)) throw error; // a concurrent run moved it further
      });
    store.stats.writes++;
  }
  // Remembered only once the table holds it (or a later one): the memory never runs ahead.
  memory.cursor = last;
  memory.examinedTo = horizon;
  return recovered;
}

async function readCursor(ctx: VisitContext): Promise<string> {
  const { store } = ctx;
  const out = await store.client.send(new GetCommand({ TableName: store.tableName, Key: STARTS_CURSOR_KEY, ConsistentRead: true }));
  store.stats.gets++;
  if (out.Item) store.stats.itemsRead++;
  return typeof out.Item?.cursor === 'string' ? out.Item.cursor : '';
}

/** A saga record with an empty timeline, due at once; the tracker fills it in as events arrive. */
async function putSkeleton(ctx: VisitContext, sagaId: string, startedAt: string, definitionVersion: number): Promise<boolean> {
  const { store, now } = ctx;
  const def = definitionForVersion(ctx.def, definitionVersion) ?? ctx.def;
  const record: TrackedSaga = {
    ...sagaKey(sagaId),
    kind: ITEM_KIND.saga,
    sagaId,
    definition: def.name,
    definitionVersion,
    status: 'running',
    startedAt,
    deadline: iso(Date.parse(startedAt) + def.deadlineSeconds * 1000),
    updatedAt: iso(now),
    lastEventAt: startedAt,
    version: 1,
    timeline: [],
    openShard: openShardOf(sagaId),
    nextCheckAt: iso(now),
  };
  try {
    await store.client.send(new PutCommand({ TableName: store.tableName, Item: record as unknown as Record<string, unknown>, ConditionExpression: 'attribute_not_exists(pk)' }));
    store.stats.writes++;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false; // the tracker created it meanwhile
    throw error;
  }
}
