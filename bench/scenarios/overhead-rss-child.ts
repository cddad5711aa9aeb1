/**
 * Child process of scenario 4's memory measurement: runs the reference app on a plain local cloud
 * (no counting, no recording) in waves until `BENCH_SAGAS` sagas have finished or the time budget
 * is spent, sampling RSS after every wave. Prints one JSON line on stdout; progress on stderr.
 * A fresh process, so the peak RSS is this run's and not the harness's.
 */
import { LocalCloud } from '../../lib/local/cloud.js';
import { initialStock, orderSaga, planOrders, referenceParticipants, seedStock } from '../../lib/cli/reference-app.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const endpoint = process.env.BENCH_ENDPOINT;
if (!endpoint) throw new Error('BENCH_ENDPOINT is not set; this module is started by bench/scenarios/overhead.ts.');
const target = Number(process.env.BENCH_SAGAS ?? '10000');
const budgetMs = Number(process.env.BENCH_BUDGET_MS ?? '180000');
const wave = Number(process.env.BENCH_WAVE ?? '200');

const rss = () => process.memoryUsage().rss;
/** Heap still in use after a full GC (started with --expose-gc): what the run retains. */
const retainedHeap = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
};
const startRss = rss();
const cloud = await LocalCloud.start({ definition: orderSaga, participants: referenceParticipants, endpoint, seed: 4 });
const plan = planOrders(target);
await seedStock(cloud, initialStock(plan));
const samples: { sagas: number; rssBytes: number; heapUsedBytes: number; seconds: number }[] = [{ sagas: 0, rssBytes: rss(), heapUsedBytes: retainedHeap(), seconds: 0 }];
const started = performance.now();
let done = 0;
let notQuiet = 0;
while (done < target && performance.now() - started < budgetMs) {
  const batch = plan.slice(done, done + wave);
  for (const o of batch) await cloud.startSaga({ orderId: o.orderId, customerId: `customer-${o.orderId.slice(-2)}`, sku: o.sku, quantity: o.quantity, amountCents: o.amountCents });
  const run = await cloud.runUntilQuiet();
  if (!run.quiet) notQuiet++;
  done += batch.length;
  const sample = { sagas: done, rssBytes: rss(), heapUsedBytes: retainedHeap(), seconds: (performance.now() - started) / 1000 };
  samples.push(sample);
  process.stderr.write(`[bench rss] ${done} sagas, RSS ${(sample.rssBytes / 2 ** 20).toFixed(0)} MB, heap after GC ${(sample.heapUsedBytes / 2 ** 20).toFixed(0)} MB, ${sample.seconds.toFixed(0)} s\n`);
}
const seconds = (performance.now() - started) / 1000;
const retained = { outcomes: cloud.outcomes.length, busArchive: cloud.bus.archive.length };
await cloud.stop();
process.stdout.write(
  `${JSON.stringify({ sagas: done, target, seconds, sagasPerSecond: done / seconds, startRssBytes: startRss, peakRssBytes: process.resourceUsage().maxRSS * 1024, samples, notQuiet, retained })}\n`,
);
