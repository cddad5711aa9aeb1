/**
 * `npm run bench [-- --json] [-- --quick] [-- --only 1,3] [-- --sagas N]`
 *
 * Runs the performance scenarios of docs/performance.md on the local DynamoDB engine served over
 * HTTP on loopback (started once here), or on the endpoint in AWS_ENDPOINT_URL, prints a table (or the JSON with --json) on stdout, progress (at a terminal, not in CI or under --json) on
 * stderr, and — when every scenario ran — writes bench/results/latest.{json,md} and refreshes the
 * results section of docs/performance.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createProgress, processTerminal } from '../lib/cli/progress.js';
import { startLocalDynamoDb } from '../lib/local/dynamodb/http.js';
import type { BenchContext } from './lib/context.js';
import { renderMarkdown, renderTable, type ScenarioResult } from './lib/report.js';
import { coldStart } from './scenarios/cold-start.js';
import { engineThroughput } from './scenarios/engine.js';
import { localCloudSpeed } from './scenarios/local-cloud.js';
import { costModel } from './scenarios/cost.js';
import { frameworkOverhead } from './scenarios/overhead.js';
import { reconcilerCost } from './scenarios/reconciler.js';
import { relayBatching } from './scenarios/relay-batching.js';
import { roundTrips, type RoundTripResult } from './scenarios/round-trips.js';
import { stepLatency } from './scenarios/step-latency.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results');
const DOC = join(ROOT, 'docs', 'performance.md');
const MARK_START = '<!-- bench:results:start -->';
const MARK_END = '<!-- bench:results:end -->';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    sagas: { type: 'string' },
  },
});

const t0 = performance.now();
// Progress only for a person at a terminal, and not under --json or in CI; failures always print.
const terminalProgress = createProgress(processTerminal(), { json: values.json });
const progress = (message: string) => terminalProgress.phase(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${message}`);
const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : undefined;
const want = (id: string) => !only || only.has(id);
const rssSagas = values.sagas ? Number(values.sagas) : undefined;
if (rssSagas !== undefined && (!Number.isInteger(rssSagas) || rssSagas < 10)) throw new Error(`--sagas must be an integer ≥ 10, got ${values.sagas}.`);

const external = process.env.AWS_ENDPOINT_URL;
progress(external ? `using the DynamoDB at AWS_ENDPOINT_URL=${external}` : 'starting the local DynamoDB engine over HTTP …');
const served = external ? undefined : await startLocalDynamoDb();
const dynamo = { endpoint: external ?? served!.endpoint, owned: served !== undefined, stop: async () => served?.stop() };
const ctx: BenchContext = { endpoint: dynamo.endpoint, quick: values.quick, progress };
const results: ScenarioResult[] = [];
let exitCode = 0;
try {
  let s1: RoundTripResult | undefined;
  const run = async <R extends ScenarioResult>(id: string, title: string, fn: () => Promise<R>): Promise<R | undefined> => {
    if (!want(id)) return undefined;
    progress(`scenario ${id}: ${title}`);
    const r = await fn();
    results.push(r);
    progress(`scenario ${id} done in ${r.seconds.toFixed(0)} s`);
    return r;
  };
  s1 = await run('1', 'round trips per step', () => roundTrips(ctx));
  await run('2', 'step latency vs Powertools idempotency', () => stepLatency(ctx));
  await run('3', 'relay batching', () => relayBatching(ctx));
  await run('4', 'framework overhead vs raw DynamoDB floor', () => frameworkOverhead(ctx, rssSagas !== undefined ? { rssSagas } : {}));
  await run('5', 'cold start: bundle size and module init', () => coldStart(ctx));
  await run('6', 'reconciler cost', () => reconcilerCost(ctx));
  if (want('7')) {
    if (!s1) s1 = await roundTrips(ctx);
    await run('7', 'cost model', async () => costModel(s1!));
  }
  await run('8', 'DynamoDB engine vs moto', () => engineThroughput(ctx));
  await run('9', 'local cloud speed', () => localCloudSpeed(ctx));
} catch (error) {
  exitCode = 1;
  process.stderr.write(`[bench] FAILED: ${(error as Error).stack ?? String(error)}\n`);
} finally {
  await dynamo.stop();
}

const totalSeconds = Math.round((performance.now() - t0) / 1000);
const meta = {
  finishedAt: new Date().toISOString(),
  mode: values.quick ? 'quick' : 'full',
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  dynamo: dynamo.owned ? 'local engine over HTTP (embedded)' : `endpoint ${dynamo.endpoint}`,
  commit: gitCommit(),
  totalSeconds,
};
const figures = results.flatMap((r) => r.figures);
const summary = { targets: figures.filter((f) => f.met !== undefined).length, met: figures.filter((f) => f.met === true).length, missed: figures.filter((f) => f.met === false).map((f) => f.key) };
const report = { meta, summary, scenarios: results.map(({ id, title, seconds, figures: fs, notes, details }) => ({ id, title, seconds: Math.round(seconds), figures: fs, notes, details })) };

if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
else process.stdout.write(`\n${renderTable(results)}\n\n${summary.met}/${summary.targets} targets met${summary.missed.length ? `; missed: ${summary.missed.join(', ')}` : ''} · ${totalSeconds} s\n`);

if (!only && exitCode === 0) {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  const md = renderMarkdown(results, meta);
  writeFileSync(join(RESULTS, 'latest.md'), `# Benchmark results (latest run)\n\nGenerated by \`npm run bench\`; explained in [docs/performance.md](../../docs/performance.md).\n\n${md}\n`);
  refreshDoc(md);
  progress(`wrote bench/results/latest.json, bench/results/latest.md and the results section of docs/performance.md`);
} else if (only) {
  progress('partial run (--only): results files left untouched');
}
progress(`finished in ${totalSeconds} s`);
process.exitCode = exitCode;

function refreshDoc(md: string): void {
  let doc: string;
  try {
    doc = readFileSync(DOC, 'utf8');
  } catch {
    return;
  }
  const a = doc.indexOf(MARK_START);
  const b = doc.indexOf(MARK_END);
  if (a === -1 || b === -1 || b < a) {
    progress(`docs/performance.md has no ${MARK_START} … ${MARK_END} section; not refreshed`);
    return;
  }
  writeFileSync(DOC, `${doc.slice(0, a + MARK_START.length)}\n${md}\n${doc.slice(b)}`);
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}
