/**
 * `npm run soak`: the reliability soak — 10,000 sagas of the reference application on the local
 * cloud with every fault on, then the invariants checked on the stored data (see
 * docs/reliability.md). Not part of `npm test`.
 *
 * Writes bench/results/soak-<date>.json and bench/results/soak-latest.json; exits 1 on any
 * violation or open saga. Options: `--sagas N` (10000), `--seed S` (1), `--rate R` (2 sagas per
 * virtual second — see SOAK_RATE), `--faults P` to set every knob to P, capped at 1 (default: the levels below).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import referenceApp from '../lib/cli/reference/app.js';
import { createProgress, processTerminal } from '../lib/cli/progress.js';
import { runAppSimulation } from '../lib/local/simulation/run.js';
import type { FaultPlan } from '../lib/local/faults.js';
import { ACCEPTANCE_FAULTS } from './lib/faults.js';

/** The fault levels of the acceptance check. */
export const SOAK_FAULTS: FaultPlan = ACCEPTANCE_FAULTS;

/**
 * Arrivals per virtual second. Each invocation takes 5–40 ms of virtual time and invocations do
 * not overlap in virtual time (concurrency interleaves them, it does not run them in parallel), so
 * under these faults the local cloud finishes 2–3 reference sagas per virtual second. A soak is a
 * long run at the load the system sustains: at `saga simulate`'s 20 per second, 10,000 sagas would
 * pile up a backlog older than the 300 s deadline and turn into timeouts and compensations instead
 * of a steady state.
 */
export const SOAK_RATE = 2;

const { values } = parseArgs({ options: { sagas: { type: 'string' }, seed: { type: 'string' }, rate: { type: 'string' }, faults: { type: 'string' } } });
const sagas = Number(values.sagas ?? 10_000);
const seed = Number(values.seed ?? 1);
const rate = Number(values.rate ?? SOAK_RATE);
const scale = values.faults === undefined ? undefined : Number(values.faults);
const plan: FaultPlan = scale === undefined ? SOAK_FAULTS : (Object.fromEntries(Object.keys(SOAK_FAULTS).map((k) => [k, Math.min(1, scale)])) as unknown as FaultPlan);

const started = Date.now();
const stamp = (text: string) => `[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${text}`;
const log = (text: string) => process.stdout.write(`${stamp(text)}\n`);
// Progress only for a person at a terminal (not when piped, not in CI); the results below always print.
const progress = createProgress(processTerminal());
progress.phase(stamp(`soak: ${sagas} sagas, seed ${seed}, ${rate} sagas/virtual s, faults ${JSON.stringify(plan)}`));
const report = await runAppSimulation(referenceApp, { sagas, seed, faults: plan, arrivalsPerSecond: rate, progress: (text, kind) => (kind === 'status' ? progress.status(stamp(text.trim())) : progress.phase(stamp(text))) });
progress.done();
const wallSeconds = Math.round((Date.now() - started) / 1000);
const result = {
  kind: 'soak',
  date: new Date().toISOString(),
  node: process.version,
  wallSeconds,
  sagasPerWallSecond: Number((sagas / Math.max(1, wallSeconds)).toFixed(1)),
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  ...report,
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const body = `${JSON.stringify(result, null, 2)}\n`;
const day = result.date.slice(0, 10);
writeFileSync(new URL(`./results/soak-${day}.json`, import.meta.url), body);
writeFileSync(new URL('./results/soak-latest.json', import.meta.url), body);
log(`done in ${wallSeconds} s: ${JSON.stringify(report.summary)}; faults ${JSON.stringify(report.faults)}`);
log(report.violations.length === 0 ? 'no violations' : `VIOLATIONS ${JSON.stringify(report.violationCounts)}`);
log(`report: bench/results/soak-${day}.json (and soak-latest.json)`);
process.exitCode = report.violations.length === 0 && report.summary.open === 0 ? 0 : 1;
