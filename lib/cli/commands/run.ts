import { parseArgs } from 'node:util';
import { LocalCloud } from '../../local/cloud.js';
import { METRIC, isTerminalStatus, type SagaRecord } from '../../runtime/shared/index.js';
import { APP_USAGE, loadApp } from '../app-loader.js';
import { UsageError, type CliIO, type Command } from '../io.js';
import { runApp } from './run-app.js';
import { readNotifications } from '../../runtime/notifier/index.js';
import {
  attachMerchantNotifier,
  MERCHANT,
  customerOf,
  initialPoints,
  initialStock,
  MerchantReceiver,
  orderSaga,
  planOrders,
  readOrder,
  readPoints,
  readPointsStep,
  readStock,
  referenceParticipants,
  seedPoints,
  seedStock,
  type PlannedOrder,
} from '../reference-app.js';

interface SagaResult {
  readonly id: string;
  readonly orderId: string;
  readonly scenario: PlannedOrder['scenario'];
  readonly status: string;
  readonly terminalEvent?: string;
  readonly orderStatus?: string;
  readonly payment?: string;
  /** TCC points: how many the order froze and what became of them (confirmed = spent, cancelled = unfrozen). */
  readonly points?: { readonly redeemed: number; readonly outcome: string };
  /** Best-effort merchant notification: its state and the attempts it took. */
  readonly notification?: { readonly state: string; readonly attempts: number };
  readonly timeline: readonly { type: string; producer: string; atMs: number }[];
}

const positiveInt = (raw: string | undefined, flag: string, fallback: number): number => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got ${JSON.stringify(raw)}.`);
  return n;
};

export const runCommand: Command = {
  name: 'run',
  summary: 'run a saga app (default: the reference order saga) on the embedded local cloud and print what happened',
  usage:
    'saga run [--app <module>] [--sagas N (20)] [--seed S (1)] [--concurrency C (2)] [--json] [--quiet]\n' +
    `  ${APP_USAGE}\n` +
    '  --orders N is --sagas N for the reference saga. C: invocations of one participant that may run at once, interleaved by seed.',
  async run(argv, io) {
    const { values } = parseArgs({ args: argv, options: { app: { type: 'string' }, sagas: { type: 'string' }, orders: { type: 'string' }, seed: { type: 'string' }, concurrency: { type: 'string' }, json: { type: 'boolean', default: false }, quiet: { type: 'boolean', default: false } } });
    if (values.sagas !== undefined && values.orders !== undefined) throw new UsageError('give --sagas or --orders, not both.');
    const orders = positiveInt(values.sagas ?? values.orders, values.sagas !== undefined ? '--sagas' : '--orders', 20);
    const seed = positiveInt(values.seed, '--seed', 1);
    const concurrency = positiveInt(values.concurrency, '--concurrency', 2);
    // Any app runs generically; the reference saga keeps its richer report (stock, TCC points, merchant webhooks).
    if (values.app !== undefined) return runApp(await loadApp(values.app), { sagas: orders, seed, concurrency, json: values.json, quiet: values.quiet }, io);
    const progress = (text: string) => (values.json ? io.err(text) : io.out(text));
    progress(`Starting the local cloud (in-process DynamoDB, event bus, queues) …`);
    const cloud = await LocalCloud.start({ definition: orderSaga, participants: referenceParticipants, seed, concurrency });
    const merchant = new MerchantReceiver();
    try {
      await merchant.start();
      const notifications = attachMerchantNotifier(cloud, merchant.url);
      const plan = planOrders(orders, { points: true });
      const stock = initialStock(plan);
      await seedStock(cloud, stock);
      const points = initialPoints(plan);
      await seedPoints(cloud, points);
      const startedAt = cloud.clock.now();
      const ids = new Map<string, PlannedOrder>();
      for (const order of plan) {
        const { sagaId } = await cloud.startSaga({
          orderId: order.orderId,
          customerId: customerOf(order),
          sku: order.sku,
          quantity: order.quantity,
          amountCents: order.amountCents,
          ...(order.pointsToRedeem ? { pointsToRedeem: order.pointsToRedeem } : {}),
        }, { receivers: [MERCHANT] });
        ids.set(sagaId, order);
      }
      progress(`Started ${orders} order sagas; running the choreography …`);
      const run = await cloud.runUntilQuiet({ onProgress: (steps) => progress(`  … ${steps} deliveries`) });
      // Merchant notifications still waiting for a retry are due later in virtual time.
      await notifications.drain();
      const results: SagaResult[] = [];
      for (const [sagaId, order] of ids) {
        const record = await cloud.sagaRecord(sagaId);
        const business = await readOrder(cloud, order.orderId);
        const step = await readPointsStep(cloud, sagaId);
        const notification = (await readNotifications(cloud.client, cloud.tableName, sagaId)).notifications[0];
        results.push({
          ...toResult(sagaId, order, record, business, startedAt),
          ...(order.pointsToRedeem ? { points: { redeemed: order.pointsToRedeem, outcome: pointsOutcome(step.state) } } : {}),
          ...(notification ? { notification: { state: notification.state, attempts: notification.attempts } } : {}),
        });
      }
      const summary = {
        total: results.length,
        completed: results.filter((r) => r.status === 'completed').length,
        compensated: results.filter((r) => r.status === 'compensated').length,
        flagged: results.filter((r) => r.status === 'failed-needs-attention').length,
        open: results.filter((r) => !isTerminalStatus(r.status as SagaRecord['status'])).length,
      };
      const stockAfter = Object.fromEntries(await Promise.all(Object.keys(stock).map(async (sku) => [sku, { initial: stock[sku], ...(await readStock(cloud, sku)) }] as const)));
      const accounts = await Promise.all(Object.entries(points).map(async ([customerId, initial]) => ({ initial, ...(await readPoints(cloud, customerId)) })));
      const pointsReport = {
        // every order's points: frozen by its try, then confirmed (spent) or cancelled (unfrozen)
        frozen: results.filter((r) => r.points && !['refused', 'not reached'].includes(r.points.outcome)).length,
        confirmed: results.filter((r) => r.points?.outcome === 'confirmed').length,
        cancelled: results.filter((r) => r.points?.outcome === 'cancelled').length,
        refused: results.filter((r) => r.points?.outcome === 'refused').length,
        stillFrozen: accounts.reduce((n, a) => n + a.frozen, 0),
        spent: accounts.reduce((n, a) => n + a.spent, 0),
        conserved: accounts.every((a) => a.available + a.frozen + a.spent === a.initial),
      };
      const notificationReport = {
        delivered: results.filter((r) => r.notification?.state === 'delivered').length,
        afterRetries: results.filter((r) => r.notification?.state === 'delivered' && r.notification.attempts > 1).length,
        gaveUp: results.filter((r) => r.notification?.state === 'gave-up').length,
        attempts: merchant.deliveries.length,
      };
      const counters = {
        eventsPublished: cloud.metrics.total(METRIC.eventsPublished),
        stepsCommitted: cloud.metrics.total(METRIC.stepsCommitted),
        compensations: cloud.metrics.total(METRIC.compensations),
        nullCompensations: cloud.metrics.total(METRIC.nullCompensations),
        duplicatesIgnored: cloud.metrics.total(METRIC.duplicates),
        rejections: cloud.metrics.total(METRIC.rejections),
        confirmations: cloud.metrics.total(METRIC.confirmations),
        notificationAttempts: cloud.metrics.total(METRIC.notificationAttempts),
      };
      if (values.json) {
        io.out(JSON.stringify({ summary, seed, deliveries: run.steps, stock: stockAfter, points: pointsReport, notifications: notificationReport, metrics: counters, sagas: results }, null, 2));
      } else {
        if (!values.quiet) printTimelines(io, results);
        printSummary(io, summary, stockAfter, counters);
        printPointsAndNotifications(io, pointsReport, notificationReport);
      }
      return summary.open === 0 && summary.total === orders ? 0 : 1;
    } finally {
      await merchant.stop();
      await cloud.stop();
    }
  },
};

function toResult(id: string, order: PlannedOrder, record: SagaRecord | undefined, business: { status?: string; payment?: string }, startedAt: number): SagaResult {
  return {
    id,
    orderId: order.orderId,
    scenario: order.scenario,
    status: record?.status ?? 'unknown',
    ...(record?.terminalEvent ? { terminalEvent: record.terminalEvent } : {}),
    ...(business.status ? { orderStatus: business.status } : {}),
    ...(business.payment ? { payment: business.payment } : {}),
    timeline: (record?.timeline ?? []).map((t) => ({ type: t.type, producer: t.producer, atMs: Date.parse(t.at) - startedAt })),
  };
}

function printTimelines(io: CliIO, results: readonly SagaResult[]): void {
  for (const r of results) {
    io.out(`\n${r.orderId} (${r.scenario})  saga ${r.id}  →  ${r.status.toUpperCase()}`);
    for (const t of r.timeline) io.out(`   +${String(t.atMs).padStart(6)} ms  ${t.producer.padEnd(10)} ${t.type}`);
    if (r.points) io.out(`   points    ${r.points.redeemed} frozen (TCC try) → ${r.points.outcome}`);
    if (r.notification) io.out(`   merchant  notification ${r.notification.state} after ${r.notification.attempts} attempt${r.notification.attempts === 1 ? '' : 's'}`);
  }
}

/** TCC outcome of an order's points, from the barrier state of points.freezePoints. */
function pointsOutcome(state: string | undefined): string {
  if (state === 'confirmed') return 'confirmed';
  if (state === 'compensated') return 'cancelled';
  if (state === 'done') return 'still frozen';
  if (state === undefined) return 'not reached'; // the saga ended before the points step (e.g. out of stock)
  return 'refused'; // the try failed (not enough points) or came after its cancel: nothing was frozen
}

function printPointsAndNotifications(io: CliIO, points: Record<string, number | boolean>, notifications: Record<string, number>): void {
  io.out(
    `\n  points (TCC)  frozen=${points.frozen}  confirmed=${points.confirmed}  cancelled=${points.cancelled}  refused=${points.refused}  still frozen=${points.stillFrozen}  ` +
      `spent=${points.spent}  ${points.conserved ? 'conserved (available + frozen + spent = initial)' : 'NOT CONSERVED'}`,
  );
  io.out(`  merchant      notifications delivered=${notifications.delivered} (after retries: ${notifications.afterRetries})  gave up=${notifications.gaveUp}  HTTP attempts=${notifications.attempts}`);
}

function printSummary(io: CliIO, summary: Record<string, number>, stock: Record<string, { initial?: number; available: number; reserved: number }>, counters: Record<string, number>): void {
  io.out('\nSummary');
  io.out('  status        sagas');
  for (const [k, v] of Object.entries(summary)) io.out(`  ${k.padEnd(13)} ${v}`);
  io.out('\n  sku            initial  available  reserved(sold)');
  for (const [sku, s] of Object.entries(stock)) io.out(`  ${sku.padEnd(14)} ${String(s.initial).padStart(7)}  ${String(s.available).padStart(9)}  ${String(s.reserved).padStart(8)}`);
  io.out('\n  ' + Object.entries(counters).map(([k, v]) => `${k}=${v}`).join('  '));
  io.out(summary.open === 0 ? '\nEvery saga reached a terminal state.' : `\n${summary.open} saga(s) are still open.`);
}
