import { parseArgs } from 'node:util';
import { NO_FAULTS, type FaultPlan } from '../../local/faults.js';
import { UsageError, type CliIO, type Command } from '../io.js';
import { runAppSimulation, type SimulationReport } from '../../local/simulation/run.js';
import { APP_USAGE, loadApp } from '../app-loader.js';
import { createProgress } from '../progress.js';

/** Fault flags: CLI name → fault plan field. Each takes a probability per opportunity. */
const FAULT_FLAGS = {
  duplicate: 'duplicate',
  reorder: 'reorder',
  'crash-before-commit': 'crashBeforeCommit',
  'crash-after-commit': 'crashAfterCommit',
  'publish-failure': 'publishFailure',
  throttle: 'throttle',
  poison: 'poison',
  stall: 'stall',
  'drop-stream-record': 'dropStreamRecord',
  'tracker-throttle': 'trackerThrottle',
} as const satisfies Record<string, keyof FaultPlan>;

/** Flags that may be given without a value, meaning probability 1. */
const BARE_FLAGS = new Set(['reorder']);

const isNumber = (s: string | undefined): boolean => s !== undefined && s.trim() !== '' && !Number.isNaN(Number(s));

/** `--reorder` alone means `--reorder 1`; parseArgs needs the value spelled out. */
export function normalizeArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    out.push(arg);
    if (arg.startsWith('--') && BARE_FLAGS.has(arg.slice(2)) && !isNumber(argv[i + 1])) out.push('1');
  }
  return out;
}

const probability = (raw: string | undefined, flag: string): number => {
  if (raw === undefined) return 0;
  const n = Number(raw);
  if (!isNumber(raw) || n < 0 || n > 1) throw new UsageError(`--${flag} takes a probability between 0 and 1, got ${JSON.stringify(raw)}.`);
  return n;
};

const positiveInt = (raw: string | undefined, flag: string, fallback: number): number => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got ${JSON.stringify(raw)}.`);
  return n;
};

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'run a saga app (default: the reference order saga) under seeded fault injection and check the invariants on the stored data',
  usage:
    'saga simulate [--app <module>] [--sagas N (200)] [--seed S (1)] [--duplicate P] [--reorder [P]] [--crash-before-commit P] [--crash-after-commit P] ' +
    '[--publish-failure P] [--throttle P] [--poison P] [--stall P] [--drop-stream-record P] [--tracker-throttle P] [--all-faults P] [--rate SAGAS_PER_SECOND (20)] [--concurrency C (2)] [--upgrade-at N] [--json]\n' +
    `  ${APP_USAGE}\n` +
    '  --upgrade-at N deploys the app\'s `upgrade` (its next version) before saga N starts: a rolling upgrade under the same faults.\n' +
    '  C is how many invocations of one participant may run at once, interleaved at their DynamoDB calls by the seed.\n' +
    '  P is a probability per opportunity (0–1). Exit code 1 if any invariant is violated or any saga is left open.',
  async run(argv, io) {
    const { values } = parseArgs({
      args: normalizeArgs(argv),
      options: {
        app: { type: 'string' },
        sagas: { type: 'string' },
        seed: { type: 'string' },
        rate: { type: 'string' },
        concurrency: { type: 'string' },
        'upgrade-at': { type: 'string' },
        'all-faults': { type: 'string' },
        json: { type: 'boolean', default: false },
        ...Object.fromEntries(Object.keys(FAULT_FLAGS).map((f) => [f, { type: 'string' as const }])),
      },
    });
    const raw = values as Record<string, string | boolean | undefined>;
    const sagas = positiveInt(values.sagas, '--sagas', 200);
    const seed = positiveInt(values.seed, '--seed', 1);
    const rate = positiveInt(values.rate, '--rate', 20);
    const concurrency = positiveInt(values.concurrency, '--concurrency', 2);
    const all = probability(values['all-faults'], 'all-faults');
    const upgradeAt = values['upgrade-at'] === undefined ? undefined : Number(values['upgrade-at']);
    if (upgradeAt !== undefined && !(Number.isInteger(upgradeAt) && upgradeAt >= 0 && upgradeAt < sagas)) {
      throw new UsageError(`--upgrade-at takes a saga number from 0 to ${sagas - 1} (the upgrade is deployed before it starts), got ${JSON.stringify(values['upgrade-at'])}.`);
    }
    const plan = { ...NO_FAULTS } as Record<keyof FaultPlan, number>;
    for (const [flag, field] of Object.entries(FAULT_FLAGS)) {
      const given = raw[flag];
      plan[field] = typeof given === 'string' ? probability(given, flag) : all;
    }
    const progress = createProgress(io.terminal, { json: values.json });
    const app = await loadApp(values.app);
    if (upgradeAt !== undefined && !app.upgrade) {
      throw new UsageError(`--upgrade-at: the app "${app.definition.name}" has no upgrade; export \`upgrade: { definition, participants }\` (its next version, whose previousVersions names this one) from the app module.`);
    }
    progress.phase(`Simulating ${sagas} sagas of "${app.definition.name}", seed ${seed}, faults ${JSON.stringify(plan)} …`);
    let report: SimulationReport;
    try {
      report = await runAppSimulation(app, { sagas, seed, faults: plan, arrivalsPerSecond: rate, concurrency, progress: (message, kind) => (kind === 'status' ? progress.status(message.trim()) : progress.phase(message)), ...(upgradeAt !== undefined ? { upgradeAt } : {}) });
    } finally {
      progress.done();
    }
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else printReport(io, report);
    return report.violations.length === 0 && report.summary.open === 0 ? 0 : 1;
  },
};

function printReport(io: CliIO, r: SimulationReport): void {
  io.out(`\nSimulation of ${r.sagas} sagas of "${r.saga}", seed ${r.seed} (${r.virtualSeconds} s of virtual time, ${r.deliveries} deliveries)`);
  io.out('\n  sagas        ' + Object.entries(r.summary).map(([k, v]) => `${k}=${v}`).join('  '));
  io.out('  faults       ' + Object.entries(r.faults).map(([k, v]) => `${k}=${v}`).join('  '));
  io.out('  dead letters redriven ' + JSON.stringify(r.deadLetters.redriven) + ', remaining ' + JSON.stringify(r.deadLetters.remaining));
  io.out(`  reconciler   runs=${r.reconciler.runs} timeouts=${r.reconciler.timeoutsPublished} republished=${r.reconciler.republished} flagged=${r.reconciler.flagged}`);
  if (r.upgrade) {
    const u = r.upgrade;
    io.out(`  upgrade      v${u.from} → v${u.to} before saga ${u.at}; started ${Object.entries(u.startedOn).map(([v, n]) => `v${v}=${n}`).join(' ')}; v${u.from} ${u.retired ? 'drained and retired' : `NOT drained (open: ${JSON.stringify(u.openByVersion)})`}`);
  }
  for (const [name, value] of Object.entries(r.figures)) io.out(`  ${name.padEnd(12)} ${figureText(value)}`);
  io.out(`\n  ${r.invariantsChecked.length} invariants checked on ${r.storedItems} stored items.`);
  if (r.violations.length === 0) {
    io.out(r.summary.open === 0 ? '  No violations; every saga ended.' : `  No violations, but ${r.summary.open} saga(s) are open: ${r.openSagas.join(', ')}`);
    return;
  }
  io.out(`  VIOLATIONS: ${JSON.stringify(r.violationCounts)}`);
  for (const v of r.violations.slice(0, 30)) io.out(`   - [${v.invariant}] ${v.sagaId ?? ''} ${v.subject ?? ''}: ${v.message}`);
}

/** One figure of the app's `summarize` on one line: `key=value` pairs for flat objects, else JSON. */
function figureText(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  return Object.entries(value)
    .map(([k, v]) => (typeof v === 'object' && v !== null ? `${k}: ${figureText(v)}` : `${k}=${String(v)}`))
    .join('  ');
}
