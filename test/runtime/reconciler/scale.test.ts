import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { orderSaga } from '../../../functions/order/index.js';
import { INITIATOR } from '../../../lib/core/definition.js';
import { ITEM_KIND, openShardOf, outboxKey, sagaKey } from '../../../lib/core/keys.js';
import { createDocumentClient } from '../../../lib/runtime/shared/aws-clients.js';
import { InMemoryMetrics, silentLogger } from '../../../lib/runtime/shared/ports.js';
import { createReconciler } from '../../../lib/runtime/reconciler/reconciler.js';
import { documentClient, dynamoClient, freshTable } from '../../support/dynamo.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** A saga record as the tracker leaves it; `open` adds the sparse index attributes. */
function sagaItem(i: number, kind: 'finished' | 'open' | 'overdue') {
  const sagaId = `seed-${kind}-${String(i).padStart(6, '0')}`;
  const startedAt = kind === 'finished' ? NOW - 86_400_000 : kind === 'open' ? NOW - 10_000 : NOW - 600_000;
  const deadline = iso(startedAt + orderSaga.deadlineSeconds * 1000);
  const eventId = `evt-${sagaId}`;
  const record = {
    ...sagaKey(sagaId),
    kind: ITEM_KIND.saga,
    sagaId,
    definition: orderSaga.name,
    definitionVersion: 1,
    status: kind === 'finished' ? 'completed' : 'running',
    startedAt: iso(startedAt),
    deadline,
    updatedAt: iso(startedAt),
    lastEventAt: iso(startedAt),
    version: 1,
    timeline: [{ eventId, type: 'OrderRequested', producer: INITIATOR, at: iso(startedAt) }],
    ...(kind === 'finished' ? { terminalEvent: 'OrderCompleted' } : { openShard: openShardOf(sagaId), nextCheckAt: deadline }),
  };
  const detail = JSON.stringify({ eventId, sagaId, definition: 'order', definitionVersion: 1, type: 'OrderRequested', producer: INITIATOR, occurredAt: iso(startedAt), payload: {} });
  const outbox = { ...outboxKey(INITIATOR, sagaId, eventId), kind: ITEM_KIND.outbox, eventId, sagaId, type: 'OrderRequested', detail, createdAt: iso(startedAt), expiresAt: 0 };
  return kind === 'finished' ? [record] : [record, outbox];
}

async function batchWrite(client: ReturnType<typeof createDocumentClient>, tableName: string, items: Record<string, unknown>[]): Promise<void> {
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  for (let i = 0; i < chunks.length; i += 16) {
    await Promise.all(
      chunks.slice(i, i + 16).map(async (chunk) => {
        let request: Record<string, unknown>[] | undefined = chunk.map((Item) => ({ PutRequest: { Item } }));
        while (request && request.length) {
          const out = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: request as never } }));
          request = out.UnprocessedItems?.[tableName] as Record<string, unknown>[] | undefined;
        }
      }),
    );
  }
}

describe('reconciler: cost', () => {
  it('reads a few dozen items per pass with 10,000 finished sagas, 500 open ones and 10 overdue', { timeout: 300_000 }, async () => {
    // GIVEN a table seeded directly
    const { tableName, client: seeder } = await freshTable('scale');
    await batchWrite(seeder, tableName, [
      ...Array.from({ length: 10_000 }, (_, i) => sagaItem(i, 'finished')).flat(),
      ...Array.from({ length: 500 }, (_, i) => sagaItem(i, 'open')).flat(),
      ...Array.from({ length: 10 }, (_, i) => sagaItem(i, 'overdue')).flat(),
    ]);
    // … and a client that counts, at the SDK boundary, every item DynamoDB read for the reconciler
    const raw = dynamoClient();
    const seen = { itemsRead: 0, calls: new Map<string, number>() };
    raw.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const out = (result.output ?? {}) as { ScannedCount?: number; Item?: unknown; Responses?: Record<string, unknown[]> };
        seen.calls.set(context.commandName ?? '?', (seen.calls.get(context.commandName ?? '?') ?? 0) + 1);
        if (typeof out.ScannedCount === 'number') seen.itemsRead += out.ScannedCount;
        if (out.Item) seen.itemsRead += 1;
        for (const items of Object.values(out.Responses ?? {})) seen.itemsRead += items.length;
        return result;
      },
      { step: 'initialize', name: 'countItemsRead' },
    );
    const metrics = new InMemoryMetrics();
    const counted = createReconciler(orderSaga, {
      client: DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }),
      tableName,
      logger: silentLogger,
      metrics,
      clock: { now: () => NOW },
      ids: (() => {
        let n = 0;
        return () => `run-${n++}-0000-0000`;
      })(),
    });

    // WHEN one pass runs
    const { stats, actions } = await counted.runOnce();

    // THEN it timed out exactly the 10 overdue sagas and read only their slice of the index and their outbox rows
    expect(stats.timeoutsPublished).toBe(10);
    expect(new Set(actions.filter((a) => a.action === 'timed-out').map((a) => a.sagaId)).size).toBe(10);
    expect(stats.sagasVisited).toBe(10);
    expect(seen.calls.get('ScanCommand')).toBeUndefined();
    expect(seen.itemsRead).toBe(stats.itemsRead);
    expect(seen.itemsRead).toBeLessThanOrEqual(40);
    console.log(`reconciler pass over 10,510 sagas: ${seen.itemsRead} items read in ${stats.queries} queries, ${stats.writes} writes`, Object.fromEntries(seen.calls));

    // AND a second pass a minute later has nothing due: it reads nothing but its empty index pages
    seen.itemsRead = 0;
    const second = await createReconciler(orderSaga, { client: documentClient(), tableName, logger: silentLogger, metrics, clock: { now: () => NOW + 1_000 } }).runOnce();
    expect(second.stats.sagasVisited).toBe(0);
    expect(second.stats.itemsRead).toBe(0);
    raw.destroy();
  });
});
