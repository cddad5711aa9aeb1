import { cpus } from 'node:os';
import { randomUUID } from 'node:crypto';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { orderSaga } from '../../functions/order/definition.js';
import { orderSteps } from '../../functions/order/order.js';
import { OUTBOX_STREAM_FILTER } from '../../lib/core/keys.js';
import { LocalEventBus } from '../../lib/local/bus.js';
import { DynamoDbEngine } from '../../lib/local/dynamodb/engine.js';
import { startLocalDynamoDb } from '../../lib/local/dynamodb/http.js';
import { StreamPoller } from '../../lib/local/stream-poller.js';
import { createSagaTable } from '../../lib/local/tables.js';
import { createDocumentClient } from '../../lib/runtime/shared/aws-clients.js';
import { createParticipantHandler } from '../../lib/runtime/participant/handler.js';
import { InMemoryMetrics, silentLogger, systemClock } from '../../lib/runtime/shared/ports.js';
import { createRelayHandler } from '../../lib/runtime/relay/relay.js';
import { createIdempotentOrderHandler } from '../fixtures/powertools-order-handler.js';
import { clientConfig, documentClient, rawClient, uniqueTableName, type BenchContext } from '../lib/context.js';
import { CallCounter, type CallRecord } from '../lib/count-calls.js';
import { isReplayable, rawCommand, sendRaw } from '../lib/replay.js';
import { newSagaId, sqsRecordFor } from '../lib/events.js';
import { figure, type ScenarioResult } from '../lib/report.js';
import { ratio, round, summarize, type Summary } from '../lib/stats.js';
import { createPlainTable } from '../lib/tables.js';

type Handler = (event: SQSEvent) => Promise<unknown>;

export interface StepLatencyResult extends ScenarioResult {
  readonly ours: Summary;
  readonly baseline: Summary;
}

const lambdaContext = { functionName: 'bench-baseline', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

/** A StockReserved delivery for a fresh saga: the event the order service's createOrder step handles. */
async function stockReserved(i: number): Promise<SQSRecord> {
  const orderId = `order-${i}-${randomUUID().slice(0, 8)}`;
  return sqsRecordFor(orderSaga, 'inventory', 'StockReserved', { orderId, sku: 'sku-espresso', quantity: 1, amountCents: 1_250, customerId: 'customer-7' }, { sagaId: newSagaId() });
}

interface Wiring {
  readonly ours: Handler;
  readonly baseline: Handler;
  readonly oursTable: { tableName: string; streamArn: string };
  destroy(): void;
}

/** The per-call delay of the second timed run: a stand-in for AWS's network and service time per request. */
export const AWS_LIKE_DELAY_MS = 4;

/**
 * Makes every call of an EventBridge client wait `ms` before the local bus answers it, as the
 * engine's `requestDelayMs` does for DynamoDB calls: with a per-call delay, PutEvents is a round
 * trip like the others (in-process it would cost nothing, which would flatter the baseline).
 */
function delayEveryCall(client: EventBridgeClient, ms: number): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return next(args);
    },
    { step: 'initialize', name: 'benchPerCallDelay', priority: 'high' },
  );
}

/**
 * Both handlers on the local DynamoDB engine (over HTTP); `counter` (when given) counts every call
 * they make; `busDelayMs` delays each PutEvents of the baseline like a DynamoDB call.
 */
async function wire(ctx: BenchContext, options: { counter?: CallCounter; recordInputs?: boolean; busDelayMs?: number } = {}): Promise<Wiring> {
  const counter = options.counter;
  const setup = rawClient(ctx);
  const oursTableName = uniqueTableName('ours');
  const { streamArn } = await createSagaTable(setup, oursTableName);
  const businessTable = uniqueTableName('business');
  const idempotencyTable = uniqueTableName('idempotency');
  await createPlainTable(setup, businessTable, { partition: 'pk', sort: 'sk' });
  await createPlainTable(setup, idempotencyTable, { partition: 'id' });
  setup.destroy();

  const config = clientConfig(ctx);
  const oursClient = createDocumentClient(config);
  const baselineDynamo = new DynamoDBClient(config);
  const eventBridge = new EventBridgeClient(clientConfig(ctx));
  const bus = new LocalEventBus('bench-bus', systemClock, randomUUID);
  bus.attachTo(eventBridge);
  if (options.busDelayMs) delayEveryCall(eventBridge, options.busDelayMs);
  if (counter) {
    const attach = { recordInputs: options.recordInputs ?? false };
    counter.attach(oursClient as never, 'dynamodb', attach);
    counter.attach(baselineDynamo as never, 'dynamodb', attach);
    counter.attach(eventBridge as never, 'eventbridge', attach);
  }
  const ours = createParticipantHandler(orderSaga, 'order', orderSteps, { client: oursClient, tableName: oursTableName, logger: silentLogger, metrics: new InMemoryMetrics() });
  const baselineHandler = createIdempotentOrderHandler({ dynamo: baselineDynamo, eventBridge, tableName: businessTable, idempotencyTableName: idempotencyTable, eventBusName: bus.name });
  const check = (name: string) => (r: { batchItemFailures: unknown[] }) => {
    if (r.batchItemFailures.length) throw new Error(`${name} handler failed a record; the comparison would be meaningless.`);
    return r;
  };
  return {
    ours: (e) => ours(e).then(check('participant')),
    baseline: (e) => baselineHandler(e, lambdaContext).then(check('baseline')),
    oursTable: { tableName: oursTableName, streamArn },
    destroy: () => {
      oursClient.destroy();
      baselineDynamo.destroy();
      eventBridge.destroy();
    },
  };
}

interface Sample {
  readonly wall: number[];
  /** This process's CPU time (user + system) during the step: handler code + SDK, not the database. */
  readonly cpu: number[];
}

async function timeOne(handler: Handler, record: SQSRecord, into: Sample): Promise<void> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await handler({ Records: [record] });
  into.wall.push(performance.now() - start);
  const used = process.cpuUsage(cpu);
  into.cpu.push((used.user + used.system) / 1000);
}

/**
 * Times `samples` steps per side, AB then BA alternately (neither side always runs first); stops
 * early, after at least `minSamples`, once `budgetMs` is spent (a loaded machine).
 */
async function interleaved(w: Pick<Wiring, 'ours' | 'baseline'>, samples: number, offset: number, budgetMs = Number.POSITIVE_INFINITY, minSamples = samples): Promise<{ ours: Sample; baseline: Sample }> {
  const events = await Promise.all(Array.from({ length: 2 * samples }, (_, i) => stockReserved(offset + i)));
  const ours: Sample = { wall: [], cpu: [] };
  const baseline: Sample = { wall: [], cpu: [] };
  const started = performance.now();
  for (let i = 0; i < samples; i++) {
    if (i >= minSamples && i % 2 === 0 && performance.now() - started > budgetMs) break;
    if (i % 2 === 0) {
      await timeOne(w.ours, events[2 * i]!, ours);
      await timeOne(w.baseline, events[2 * i + 1]!, baseline);
    } else {
      await timeOne(w.baseline, events[2 * i + 1]!, baseline);
      await timeOne(w.ours, events[2 * i]!, ours);
    }
  }
  return { ours, baseline };
}

/**
 * The database part alone: the exact wire calls each side made for one step, replayed with the raw
 * client (fresh ids each time), interleaved. Ours' transaction is also replayed into a table
 * without a stream, to show what the engine's stream adds to a write.
 */
async function rawReplay(ctx: BenchContext, oursTable: string, first: SQSRecord, recorded: { ours: CallRecord[]; baseline: CallRecord[] }, warmup: number, samples: number) {
  const client = rawClient(ctx);
  const noStream = uniqueTableName('ours-nostream');
  await createPlainTable(client, noStream, { partition: 'pk', sort: 'sk' });
  const detail = (JSON.parse(first.body) as { detail: { sagaId: string; eventId: string; payload: { orderId: string } } }).detail;
  const idempotencyKey = ((recorded.baseline.find((c) => c.command === 'PutItem')?.input?.Item ?? {}) as { id?: { S?: string } }).id?.S;
  const ids = [detail.sagaId, detail.eventId, detail.payload.orderId, ...(idempotencyKey ? [idempotencyKey] : [])];
  const fresh = (i: number, extra: [string, string][] = []) => new Map<string, string>([...ids.map((id): [string, string] => [id, `${id}-r${i}`]), ...extra]);
  const oursCalls = recorded.ours.filter((c) => isReplayable(c.command));
  const baselineCalls = recorded.baseline.filter((c) => isReplayable(c.command)); // PutEvents went to the in-process bus
  const time = async (calls: CallRecord[], replacements: Map<string, string>) => {
    const commands = calls.map((c) => rawCommand(c, replacements));
    const start = performance.now();
    for (const command of commands) {
      const r = await sendRaw(client, command);
      if (!r.ok) throw new Error(`Raw replay of ${command.constructor.name} was refused (${r.errorName}); the replay would not do the same work.`);
    }
    return performance.now() - start;
  };
  const out = { ours: [] as number[], baseline: [] as number[], oursNoStream: [] as number[] };
  try {
    for (let i = 0; i < warmup + samples; i++) {
      const order = [0, 1, 2].map((k) => (k + i) % 3);
      const t: number[] = [];
      for (const k of order) {
        if (k === 0) t[0] = await time(oursCalls, fresh(i));
        if (k === 1) t[1] = await time(baselineCalls, fresh(i));
        if (k === 2) t[2] = await time(oursCalls, fresh(i, [[oursTable, noStream]]));
      }
      if (i < warmup) continue;
      out.ours.push(t[0]!);
      out.baseline.push(t[1]!);
      out.oursNoStream.push(t[2]!);
    }
  } finally {
    client.destroy();
  }
  return { ours: summarize(out.ours), baseline: summarize(out.baseline), oursNoStream: summarize(out.oursNoStream) };
}

/**
 * Relay cost per event, measured on the outbox rows the timed run left in the stream: the relay
 * handler's own time (unmarshal, envelope check, PutEvents to the local bus), at a given batch size.
 */
async function relayPerEvent(ctx: BenchContext, table: { tableName: string; streamArn: string }, batchSize: number, maxBatches: number): Promise<{ perEventMs: number; events: number; calls: number }> {
  const streams = new DynamoDBStreamsClient(clientConfig(ctx));
  const eventBridge = new EventBridgeClient(clientConfig(ctx));
  const bus = new LocalEventBus('bench-relay-bus', systemClock, randomUUID);
  bus.attachTo(eventBridge);
  const dynamo = documentClient(ctx);
  const relay = createRelayHandler(orderSaga, { eventBridge, eventBusName: bus.name, client: dynamo, tableName: table.tableName, logger: silentLogger, metrics: new InMemoryMetrics() });
  const poller = new StreamPoller({ streamsClient: streams, streamArn: table.streamArn, filter: OUTBOX_STREAM_FILTER, batchSize });
  let ms = 0;
  let events = 0;
  try {
    await poller.fetch();
    for (let b = 0; b < maxBatches && poller.pending > 0; b++) {
      await poller.deliver(async (event) => {
        const start = performance.now();
        const out = await relay(event);
        ms += performance.now() - start;
        events += event.Records.length;
        return out;
      });
    }
  } finally {
    streams.destroy();
    eventBridge.destroy();
    dynamo.destroy();
  }
  return { perEventMs: ms / Math.max(1, events), events, calls: bus.calls };
}

/**
 * The same interleaved timing with every request paying a fixed delay: a fresh engine served over
 * HTTP with `requestDelayMs`, and the baseline's PutEvents delayed alike. Always on an embedded
 * engine: the delay models AWS, so it means nothing on top of an endpoint that has its own.
 */
async function delayedRun(ctx: BenchContext, delayMs: number) {
  const served = await startLocalDynamoDb({ engine: new DynamoDbEngine({ requestDelayMs: delayMs }) });
  const w = await wire({ ...ctx, endpoint: served.endpoint }, { busDelayMs: delayMs });
  try {
    // The JIT is warm from the run without delay; these only open the new clients' connections.
    await interleaved(w, ctx.quick ? 10 : 20, 200_000);
    const samples = ctx.quick ? 60 : 200;
    const timed = await interleaved(w, samples, 300_000, ctx.quick ? 20_000 : 40_000, ctx.quick ? 40 : 100);
    return { delayMs, ours: summarize(timed.ours.wall), baseline: summarize(timed.baseline.wall), planned: samples };
  } finally {
    w.destroy();
    await served.stop();
  }
}

/**
 * Scenario 2: the order service's createOrder step, ours (participant runtime: one
 * TransactWriteItems with barrier + order row + outbox row) against the baseline (Powertools
 * idempotency + PutItem + PutEvents), interleaved ABAB/BABA on the same local engine over HTTP.
 */
export async function stepLatency(ctx: BenchContext): Promise<StepLatencyResult> {
  const started = performance.now();
  const minWarmup = ctx.quick ? 200 : 600;
  const maxWarmup = ctx.quick ? 400 : 1500;
  const samples = ctx.quick ? 100 : 400;

  // Round trips, on separately wired (counted) handlers so the timed ones carry no counting middleware.
  const counter = new CallCounter();
  const counted = await wire(ctx, { counter, recordInputs: true });
  const countOf = async (who: 'ours' | 'baseline', record: SQSRecord) => {
    counter.reset();
    await counter.withScope(who, () => counted[who]({ Records: [record] }));
    return [...counter.calls];
  };
  const first = await stockReserved(-1);
  const recorded = { ours: await countOf('ours', first), baseline: await countOf('baseline', first) };
  const roundTrips = { ours: recorded.ours.map((c) => c.command), baseline: recorded.baseline.map((c) => c.command) };
  const duplicate = { ours: (await countOf('ours', first)).map((c) => c.command), baseline: (await countOf('baseline', first)).map((c) => c.command) };
  counted.destroy();

  const w = await wire(ctx);
  try {
    // The JIT keeps getting faster for the first thousand or so calls of a kind: warm
    // in blocks until both sides' block medians move by less than 10 %.
    const block = ctx.quick ? 50 : 100;
    let warmed = 0;
    let previous: { ours: number; baseline: number } | undefined;
    const warmStart = performance.now();
    const warmBudgetMs = ctx.quick ? 30_000 : 60_000;
    for (;;) {
      const t = await interleaved(w, block, 100_000 + warmed * 2);
      warmed += block;
      const current = { ours: summarize(t.ours.wall).median, baseline: summarize(t.baseline.wall).median };
      const stable = previous && Math.abs(current.ours / previous.ours - 1) < 0.1 && Math.abs(current.baseline / previous.baseline - 1) < 0.1;
      ctx.progress(`  warm-up ${warmed} steps per side: medians ours ${current.ours.toFixed(2)} ms, baseline ${current.baseline.toFixed(2)} ms${stable ? ' (stable)' : ''}`);
      if ((stable && warmed >= minWarmup) || warmed >= maxWarmup || performance.now() - warmStart > warmBudgetMs) break;
      previous = current;
    }
    ctx.progress(`  timing ${samples} steps each, interleaved`);
    const timed = await interleaved(w, samples, 10_000, ctx.quick ? 30_000 : 60_000, ctx.quick ? 60 : 150);
    const measured = timed.ours.wall.length;
    const o = summarize(timed.ours.wall);
    const b = summarize(timed.baseline.wall);
    const cpu = { ours: summarize(timed.ours.cpu), baseline: summarize(timed.baseline.cpu) };
    const wait = { ours: summarize(timed.ours.wall.map((x, i) => x - timed.ours.cpu[i]!)), baseline: summarize(timed.baseline.wall.map((x, i) => x - timed.baseline.cpu[i]!)) };
    ctx.progress(`  replaying each side's wire calls raw: ${measured} per side`);
    const raw = await rawReplay(ctx, counted.oursTable.tableName, first, recorded, block, measured);
    ctx.progress('  relay cost per event on the outbox rows left in the stream');
    const busy = await relayPerEvent(ctx, w.oursTable, 100, Number.POSITIVE_INFINITY);
    const idle = await relayPerEvent(ctx, w.oursTable, 1, 50);
    const medianRatio = ratio(o.median, b.median);
    const p95Ratio = ratio(o.p95, b.p95);
    const withRelay = ratio(o.median + busy.perEventMs, b.median);
    const withIdleRelay = ratio(o.median + idle.perEventMs, b.median);
    ctx.progress(`  timing again with ${AWS_LIKE_DELAY_MS} ms per request (a fresh engine with requestDelayMs, PutEvents delayed alike)`);
    const delayed = await delayedRun(ctx, AWS_LIKE_DELAY_MS);
    const delayedRatio = ratio(delayed.ours.median, delayed.baseline.median);
    // What round trips alone predict: one delay per call plus each side's cost without delay.
    const predicted = ratio(o.median + roundTrips.ours.length * AWS_LIKE_DELAY_MS, b.median + roundTrips.baseline.length * AWS_LIKE_DELAY_MS);
    const perCall = { ours: (delayed.ours.median - o.median) / roundTrips.ours.length, baseline: (delayed.baseline.median - b.median) / roundTrips.baseline.length };
    return {
      id: '2',
      title: 'Step latency vs the usual way (Powertools idempotency + PutEvents)',
      seconds: (performance.now() - started) / 1000,
      ours: o,
      baseline: b,
      figures: [
        figure('s2.roundTrips.ours', 'round trips per step, ours', roundTrips.ours.length, { target: { op: '==', value: 1 }, note: roundTrips.ours.join(', ') }),
        figure('s2.roundTrips.baseline', 'round trips per step, baseline', roundTrips.baseline.length, { note: roundTrips.baseline.join(', ') }),
        figure('s2.median.ours', 'step latency median, ours', round(o.median), { unit: 'ms' }),
        figure('s2.median.baseline', 'step latency median, baseline', round(b.median), { unit: 'ms' }),
        figure('s2.p95.ours', 'step latency p95, ours', round(o.p95), { unit: 'ms' }),
        figure('s2.p95.baseline', 'step latency p95, baseline', round(b.p95), { unit: 'ms' }),
        figure('s2.ratio.median', 'ratio ours/baseline (median), 0 ms per request', round(medianRatio, 3), { target: { op: '<=', value: 0.75 } }),
        figure('s2.ratio.p95', 'ratio ours/baseline (p95), 0 ms per request', round(p95Ratio, 3)),
        figure('s2.delay.median.ours', `step latency median, ours, ${AWS_LIKE_DELAY_MS} ms per request`, round(delayed.ours.median), { unit: 'ms' }),
        figure('s2.delay.median.baseline', `step latency median, baseline, ${AWS_LIKE_DELAY_MS} ms per request`, round(delayed.baseline.median), { unit: 'ms' }),
        figure('s2.delay.ratio.median', `ratio ours/baseline (median), ${AWS_LIKE_DELAY_MS} ms per request`, round(delayedRatio, 3), { target: { op: '<=', value: 0.5 } }),
        figure('s2.delay.ratio.p95', `ratio ours/baseline (p95), ${AWS_LIKE_DELAY_MS} ms per request`, round(ratio(delayed.ours.p95, delayed.baseline.p95), 3)),
        figure('s2.cpu.ours', 'handler + SDK CPU per step (median), ours', round(cpu.ours.median), { unit: 'ms' }),
        figure('s2.cpu.baseline', 'handler + SDK CPU per step (median), baseline', round(cpu.baseline.median), { unit: 'ms' }),
        figure('s2.raw.ours', 'database calls alone, replayed raw (median), ours', round(raw.ours.median), { unit: 'ms' }),
        figure('s2.raw.baseline', 'database calls alone, replayed raw (median), baseline', round(raw.baseline.median), { unit: 'ms' }),
        figure('s2.raw.oursNoStream', 'ours\' transaction into a table without stream (median)', round(raw.oursNoStream.median), { unit: 'ms' }),
        figure('s2.ratio.withRelay', 'ratio (ours + relay amortised at 10/PutEvents) / baseline', round(withRelay, 3)),
        figure('s2.ratio.withIdleRelay', 'ratio (ours + relay at 1 event per invocation) / baseline', round(withIdleRelay, 3)),
      ],
      notes: [
        `Same business work on both sides: parse and validate the StockReserved event with the saga's zod schemas, write the same order row (condition attribute_not_exists), validate and build the OrderCreated envelope. Ours commits barrier + order row + outbox row in one TransactWriteItems (${roundTrips.ours.join(', ')}); the baseline makes ${roundTrips.baseline.length} round trips (${roundTrips.baseline.join(', ')}).`,
        `${measured} timed steps per side (of ${samples} planned; the rest were cut by the time budget) after ${warmed} warm-up steps per side (until block medians moved < 10 %), one event per invocation, each a fresh saga; order alternates AB/BA. Latency is the handler's wall time in this process (same clients, same the local DynamoDB engine (over HTTP)). Ours: median ${round(o.median)} ms, p95 ${round(o.p95)} ms; baseline: median ${round(b.median)} ms, p95 ${round(b.p95)} ms.`,
        `Where the time goes: this process's CPU per step (handler + SDK marshalling, signing, parsing) is ${round(cpu.ours.median)} ms for ours vs ${round(cpu.baseline.median)} ms for the baseline (Powertools hashes the JMESPath-selected key and makes three DynamoDB calls); the rest (wall − CPU, medians ${round(wait.ours.median)} ms vs ${round(wait.baseline.median)} ms) is waiting on the local DynamoDB engine (over HTTP), which shares the two cores with this process, so that split is indicative only.`,
        `Replaying each side's exact wire calls with a raw client (no handler) isolates the database: ours' one TransactWriteItems costs ${round(raw.ours.median)} ms, the baseline's PutItem + PutItem + UpdateItem ${round(raw.baseline.median)} ms, and the same transaction into a table without a stream ${round(raw.oursNoStream.median)} ms. The local engine answers in this process over loopback HTTP: a round trip costs a fraction of a millisecond of serialising, signing and parsing, far less than AWS's network and service time, so the saved round trips buy less here than in AWS.`,
        'The baseline publishes to the in-process local bus, so its PutEvents costs no network time here: on AWS that fourth round trip costs several milliseconds more, so the measured ratio is conservative (it favours the baseline).',
        `The relay is not on the step's path: it publishes asynchronously from the table's stream. Its cost per event, measured on the outbox rows this run left behind: ${round(busy.perEventMs, 3)} ms at stream batches of 100 (${busy.events} events in ${busy.calls} PutEvents calls) and ${round(idle.perEventMs, 3)} ms at one event per invocation. Adding it to ours gives the "amortised" ratios.`,
        `Duplicate delivery of the same event: ours ${duplicate.ours.length} calls (${duplicate.ours.join(', ')}): the barrier condition cancels the transaction, then the step record is read to tell a duplicate from a refused late step; baseline ${duplicate.baseline.length} call (${duplicate.baseline.join(', ')}: the conditional put returns the stored record). Only the happy path is timed.`,
        `With ${AWS_LIKE_DELAY_MS} ms per request — a fresh engine over HTTP with requestDelayMs ${AWS_LIKE_DELAY_MS} (every DynamoDB call waits that long before it runs), and the baseline's PutEvents delayed as much — ours' one round trip against the baseline's ${roundTrips.baseline.length}: median ${round(delayed.ours.median)} ms vs ${round(delayed.baseline.median)} ms, ratio ${round(delayedRatio, 3)} (target ≤ 0.5; ${delayed.ours.n} timed steps per side of ${delayed.planned} planned, interleaved as above). Round trips alone predict ${round(predicted, 3)} (each side's median without delay plus ${AWS_LIKE_DELAY_MS} ms per call). A delayed call measured a little more than its ${AWS_LIKE_DELAY_MS} ms — ${round(perCall.ours)} ms for ours' call, ${round(perCall.baseline)} ms per baseline call (median step latency with the delay minus without, per round trip): a timer fires late on a loaded machine, and the baseline pays that ${roundTrips.baseline.length} times, so the measured ratio can sit below the prediction. As the delay grows the ratio tends to 1/${roundTrips.baseline.length}.`,
        `The ≤ 0.75 target is judged at 0 ms per request (the local engine's own cost: serialising, signing and parsing over loopback), the ≤ 0.5 target at ${AWS_LIKE_DELAY_MS} ms, a per-call time like AWS's in one region; on AWS each round trip costs that and more, so the round-trip count (1 vs ${roundTrips.baseline.length}) is what decides there.`,
      ],
      details: { samples: measured, warmup: warmed, ours: o, baseline: b, cpu, wait, raw, roundTrips, duplicate, relay: { busy, idle }, delayed: { ...delayed, ratio: delayedRatio, predicted, perCall } },
    };
  } finally {
    w.destroy();
  }
}
