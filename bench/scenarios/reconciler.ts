import { DescribeTableCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { INITIATOR } from '../../lib/core/definition.js';
import { KEY, sagaKey, stepKey } from '../../lib/core/keys.js';
import { MAIN_SKU, seedStock } from '../../lib/cli/reference-app.js';
import { InMemoryMetrics, silentLogger } from '../../lib/runtime/shared/ports.js';
import { createReconciler } from '../../lib/runtime/reconciler/reconciler.js';
import { CountedCloud } from '../lib/cloud-probe.js';
import { rawClient, type BenchContext } from '../lib/context.js';
import type { CallRecord } from '../lib/count-calls.js';
import { figure, type ScenarioResult } from '../lib/report.js';

type Item = Record<string, unknown>;
const iso = (ms: number) => new Date(ms).toISOString();

/** A copy of a real item for another saga id (every occurrence of the id is replaced). */
function cloneFor(template: Item, fromId: string, toId: string, changes: Item = {}): Item {
  return { ...(JSON.parse(JSON.stringify(template).split(fromId).join(toId)) as Item), ...changes };
}

/** Writes items with parallel BatchWriteItem until they run out or `budgetMs` is spent; returns how many were written. */
async function batchWrite(client: DynamoDBDocumentClient, tableName: string, items: AsyncIterable<Item> | Iterable<Item>, parallel: number, budgetMs: number, onProgress: (n: number) => void): Promise<number> {
  const started = performance.now();
  const iterator = (Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : (items as Iterable<Item>)[Symbol.iterator]()) as Iterator<Item> | AsyncIterator<Item>;
  let written = 0;
  let done = false;
  const nextBatch = async (): Promise<Item[]> => {
    const batch: Item[] = [];
    if (performance.now() - started > budgetMs) return batch;
    while (!done && batch.length < 25) {
      const r = await iterator.next();
      if (r.done) done = true;
      else batch.push(r.value);
    }
    return batch;
  };
  const worker = async () => {
    for (;;) {
      const batch = await nextBatch();
      if (batch.length === 0) return;
      let pending: Item[] = batch.map((Item) => ({ PutRequest: { Item } }));
      while (pending.length) {
        const out = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending as never } }));
        pending = (out.UnprocessedItems?.[tableName] ?? []) as Item[];
      }
      written += batch.length;
      if (written % 20_000 < 25) onProgress(written);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return written;
}

/**
 * Scenario 6: one reconciler pass over a table holding many finished sagas and 10 overdue ones,
 * counting the items it reads (its own statistics, cross-checked with the ScannedCount and GetItem
 * results the SDK middleware saw).
 *
 * The overdue sagas are real: reference-app sagas on the local cloud with the payment service
 * stalled, then the clock moved past their deadline. The finished sagas are copies of a real
 * completed saga's start entry (the only item a finished saga keeps in the open-sagas index) and
 * saga record as the ended-saga audit leaves it (audited, out of the index), started long before
 * the reconciler's previous pass, as in steady state.
 */
export async function reconcilerCost(ctx: BenchContext): Promise<ScenarioResult> {
  const started = performance.now();
  const finished = ctx.quick ? 10_000 : 100_000;
  const overdue = 10;
  const probe = await CountedCloud.start(ctx.endpoint, { seed: 6, recordInputs: true });
  const { cloud, counter } = probe;
  const setup = rawClient(ctx);
  try {
    const plan = Array.from({ length: overdue + 1 }, (_, i) => ({ orderId: `order-r${i}`, sku: MAIN_SKU }));
    await seedStock(cloud, { [MAIN_SKU]: 100 });
    // One saga runs to completion: the template of every finished saga.
    const template = await cloud.startSaga({ orderId: plan[0]!.orderId, customerId: 'customer-1', sku: plan[0]!.sku, quantity: 1, amountCents: 1_500 });
    await cloud.runUntilQuiet();
    const templateStart = (await cloud.client.send(new GetCommand({ TableName: cloud.tableName, Key: stepKey(INITIATOR, template.sagaId, 'start'), ConsistentRead: true }))).Item;
    if (!templateStart) throw new Error('The template saga left no start entry; the scenario cannot build finished sagas.');

    // Ten sagas stall at the payment service (its queue is never served).
    cloud.beforeInvoke = (consumer) => consumer !== 'payment';
    for (const o of plan.slice(1)) await cloud.startSaga({ orderId: o.orderId, customerId: 'customer-2', sku: o.sku, quantity: 1, amountCents: 1_500 });
    // Stop before the stalled messages' visibility timeout would move the clock on.
    await cloud.runUntilQuiet({ maxSteps: 2_000, maxVirtualMs: 30_000 });
    const stalledAt = cloud.clock.now();
    // One reconciler instance for every scheduled pass, as a warm Lambda container keeps it
    // between invocations; `coldReconciler()` is a fresh container's (nothing remembered).
    const coldReconciler = () => createReconciler(cloud.definition, { client: cloud.client, tableName: cloud.tableName, clock: cloud.clock, logger: silentLogger, metrics: new InMemoryMetrics() });
    const reconciler = coldReconciler();

    // The previous pass, a minute and a bit after these starts: it examines them (not yet due) and
    // moves its cursor past them.
    cloud.clock.advance(90_000);
    const previous = await reconciler.runOnce();
    if (previous.actions.length) throw new Error(`The previous pass already acted (${previous.actions.map((a) => a.action).join(', ')}); the clock moved too far.`);
    // The template's saga record as a real system keeps a finished saga: the previous pass audited
    // its outbox a quiet period after it ended and took it out of the index (open#ended). Copying
    // it before that audit would seed every finished saga as "ended, not yet audited" — a backlog
    // no steady-state table has, which the pass would then audit, 990 sagas at a time.
    const templateRecord = (await cloud.client.send(new GetCommand({ TableName: cloud.tableName, Key: sagaKey(template.sagaId), ConsistentRead: true }))).Item;
    if (!templateRecord) throw new Error('The template saga left no saga record; the scenario cannot build finished sagas.');
    if (templateRecord.status !== 'completed') throw new Error(`The template saga ended ${String(templateRecord.status)}, not completed.`);
    if (templateRecord[KEY.openPartition] !== undefined || templateRecord.auditedAt === undefined) {
      throw new Error(`The previous pass did not audit the template saga (openShard ${String(templateRecord[KEY.openPartition])}, auditedAt ${String(templateRecord.auditedAt)}); its copies would not be steady-state finished sagas.`);
    }

    // The finished sagas, started hours before: copies of the template, written in parallel. The
    // table's stream is switched off first (nothing consumes it from here; it only slows writes).
    await setup.send(new UpdateTableCommand({ TableName: cloud.tableName, StreamSpecification: { StreamEnabled: false } }));
    const oldest = cloud.clock.now() - 7 * 24 * 3_600_000;
    const span = 6 * 24 * 3_600_000;
    // Start entries first: they are the finished sagas' only items in the open-sagas index, so if a
    // loaded machine runs the seeding out of time, what is missing is saga records (never read).
    const idOf = (i: number) => `s-finished-${String(i).padStart(7, '0')}`;
    const atOf = (i: number) => iso(oldest + Math.floor((i / finished) * span));
    function* finishedItems(): Generator<Item> {
      for (let i = 0; i < finished; i++) yield cloneFor(templateStart!, template.sagaId, idOf(i), { forwardAt: atOf(i), [KEY.openSort]: atOf(i) });
      for (let i = 0; i < finished; i++) yield cloneFor(templateRecord!, template.sagaId, idOf(i), { startedAt: atOf(i) });
    }
    ctx.progress(`  seeding ${finished.toLocaleString('en-US')} finished sagas (${(2 * finished).toLocaleString('en-US')} items)`);
    const seedStart = performance.now();
    const seedBudgetMs = ctx.quick ? 60_000 : 180_000;
    const written = await batchWrite(cloud.client, cloud.tableName, finishedItems(), 8, seedBudgetMs, (n) => ctx.progress(`    ${n.toLocaleString('en-US')} items`));
    const seeded = Math.min(written, finished);
    const records = Math.max(0, written - finished);
    if (written < 2 * finished) ctx.progress(`  seeding stopped at its ${seedBudgetMs / 1000} s budget: ${seeded.toLocaleString('en-US')} start entries, ${records.toLocaleString('en-US')} saga records`);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const described = await setup.send(new DescribeTableCommand({ TableName: cloud.tableName }));

    // Past the deadline (and quiet): the ten are overdue now.
    cloud.clock.advanceTo(stalledAt + cloud.definition.deadlineSeconds * 1000 + 60_000);
    counter.reset();
    const pass = await counter.withScope('reconciler', () => reconciler.runOnce());
    const calls = counter.select({ scope: 'reconciler', service: 'dynamodb' });
    const scanned = calls.reduce((n, c) => n + (c.scanned ?? 0), 0);
    const byKind = summarizeReads(calls);
    const timedOut = pass.actions.filter((a) => a.action === 'timed-out').length;
    const next = await counter.withScope('reconciler-2', () => reconciler.runOnce());
    // The same idle pass on a cold container: what the warm memory of the start entries saves.
    const nextCold = await counter.withScope('reconciler-3', () => coldReconciler().runOnce());
    return {
      id: '6',
      title: 'Reconciler cost',
      seconds: (performance.now() - started) / 1000,
      figures: [
        figure('s6.itemsRead', `items read by one pass, ${seeded.toLocaleString('en-US')} finished + ${overdue} overdue sagas`, pass.stats.itemsRead, { target: { op: '<=', value: 50 } }),
        figure('s6.itemsRead.sdk', 'same, counted by SDK middleware (ScannedCount + GetItem hits)', scanned),
        figure('s6.calls', 'DynamoDB calls in the pass (queries / gets / writes)', `${calls.length} (${pass.stats.queries} / ${pass.stats.gets} / ${pass.stats.writes})`),
        figure('s6.outboxSkipped', 'outbox partitions of due sagas left unread (no row to act on can be there)', pass.stats.outboxReadsSkipped),
        figure('s6.timedOut', 'overdue sagas found and timed out', `${timedOut} of ${overdue}`),
        figure('s6.itemsRead.next', 'items read by the following pass (nothing due), warm reconciler', next.stats.itemsRead),
        figure('s6.itemsRead.next.cold', 'the same pass on a cold reconciler (fresh container)', nextCold.stats.itemsRead),
      ],
      notes: [
        `Table: ${seeded.toLocaleString('en-US')} finished sagas — their start entries (the only items a finished saga keeps in the open-sagas index) and ${records.toLocaleString('en-US')} of their saga records (copied after the previous pass audited the template's outbox and took it out of open#ended, as the audit leaves every finished saga a quiet period after its end)${records < seeded ? ' (the rest did not fit the seeding time budget on this machine; saga records of finished sagas are outside the index and never read)' : ''}, ${written.toLocaleString('en-US')} items seeded in ${Math.round(seedSeconds)} s, copies of a real completed saga's items — ${overdue} real overdue sagas (reference app, payment service stalled, clock moved ${cloud.definition.deadlineSeconds + 60} s on) and the template saga; ${String(described.Table?.ItemCount ?? '?')} items in all. The pass is the framework's own createReconciler().runOnce() with the reference app's definition, no registered reconciliation checks (those read what their author makes them read).`,
        `The pass read ${pass.stats.itemsRead} items (its own count; the SDK middleware saw ${scanned}): ${byKind}. It visited ${pass.stats.sagasVisited} sagas and timed out ${timedOut}. Finished sagas cost nothing: their saga records are not in the sparse open-sagas index, and their start entries lie before the cursor the previous pass left (${previous.stats.itemsRead} items read by that pass).`,
        `Per overdue saga the pass reads its index entry (which carries the saga record), and only the outbox partitions where a row it would act on can be (lib/runtime/reconciler/scan.ts): the initiator's while the start is unseen, the reconciler's once a timeout was published or — as here — when the definition has TCC steps (ReservationExpired rows do not touch the record), and a participant's when the timeline holds an event it reacts to whose reply is not all there (same producer, that causation id). Stalled at payment, that is payment's partition and the reconciler's, both empty; inventory's, order's and points' are left unread (${pass.stats.outboxReadsSkipped} partitions this pass) because their replies are in the timeline. Then it writes the timeout through the outbox. Starts are re-read one quiet period behind the cursor (their index entries). So a pass costs O(due sagas × unsettled producers' rows + recent starts), independent of the finished sagas in the table.`,
        `Target (≤ 50 items for ${overdue} overdue sagas): ${pass.stats.itemsRead <= 50 ? 'met' : `missed by ${pass.stats.itemsRead - 50}`}. Visits used to read every producer's partition, and the rows of settled producers (events the timeline already holds) were most of a pass (docs/performance.md has the figures before and after). Skipping a settled producer loses nothing: a lost row leaves its own reaction unsettled, or its trigger is unseen too and the chain is followed back to the start or a reconciler event; what that rule cannot see (a second event of one type from one reaction, a participant's two-phase message) is found by the ended-saga audit, which still reads every partition once. Skipping the scan once the deadline has passed was tried earlier and rejected: a lost event from before the pivot would then compensate a saga that could still complete.`,
        `Warm vs cold: the same reconciler instance ran the previous pass, as the scheduled Lambda's warm container would, and remembers the cursor and the sagas it found with a record, so it reads neither again (the memory only saves reads: a cold start reads both from the table). On the idle following pass a warm reconciler read ${next.stats.itemsRead} items (${next.stats.gets} GetItem), a cold one ${nextCold.stats.itemsRead} (${nextCold.stats.gets} GetItem: the cursor and the saga records of the ${nextCold.stats.gets - 1} starts in the re-read window). By the same count a cold container's overdue pass would read ${pass.stats.itemsRead + 1 + Math.max(0, nextCold.stats.gets - 1 - pass.stats.sagasVisited)} items, not ${pass.stats.itemsRead}: the cursor and the records of the window's starts it did not visit (here the template's); the visited sagas' records come from the index either way (derived, not measured: the overdue pass changes the table, so it runs once).`,
        'A first pass ever on a table that already holds unexamined starts reads each of them once (index entry + saga record): its cost is the backlog, once.',
      ],
      details: { finished: seeded, finishedRecords: records, planned: finished, overdue, seedSeconds, pass: pass.stats, previous: previous.stats, next: next.stats, nextCold: nextCold.stats, actions: pass.actions.length, calls: calls.map((c) => ({ command: c.command, scanned: c.scanned, index: (c.input as { IndexName?: string } | undefined)?.IndexName })) },
    };
  } finally {
    setup.destroy();
    await probe.stop();
  }
}

/** Items read by kind of access: which index partition, which table partitions, which gets. */
function summarizeReads(calls: readonly CallRecord[]): string {
  const parts = new Map<string, { calls: number; items: number }>();
  for (const c of calls) {
    if (c.command !== 'Query' && c.command !== 'GetItem') continue;
    const input = (c.input ?? {}) as { IndexName?: string; Key?: { pk?: { S?: string } }; ExpressionAttributeValues?: Record<string, { S?: string }> };
    let kind: string;
    if (c.command === 'Query' && input.IndexName) {
      const shard = input.ExpressionAttributeValues?.[':shard']?.S ?? '?';
      kind = shard === 'open#starts' ? 'start entries (index)' : shard === 'open#failures' ? 'failure records (index)' : 'due open sagas (index)';
    } else if (c.command === 'Query') {
      const pk = input.ExpressionAttributeValues?.[':pk']?.S ?? '';
      kind = pk.includes('#outbox#') ? 'outbox partitions of due sagas' : pk.includes('#saga#') ? 'step records of due sagas' : 'other partitions';
    } else {
      const pk = input.Key?.pk?.S ?? '';
      kind = pk.startsWith('saga#') ? 'saga records (GetItem)' : 'other items (GetItem)';
    }
    const p = parts.get(kind) ?? { calls: 0, items: 0 };
    p.calls++;
    p.items += c.scanned ?? 0;
    parts.set(kind, p);
  }
  return [...parts].map(([k, v]) => `${k}: ${v.items} item(s) in ${v.calls} call(s)`).join('; ');
}
