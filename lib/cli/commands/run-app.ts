import type { AnySagaDefinition } from '../../core/definition.js';
import { scenarioRandom, seedDataFor, type SagaApp, type StartedSaga } from '../../local/app.js';
import { LocalCloud, TRACKER } from '../../local/cloud.js';
import { checkAppInvariants } from '../../local/simulation/check.js';
import { readStoredData } from '../../local/simulation/stored-data.js';
import { METRIC, isTerminalStatus, type SagaRecord } from '../../runtime/shared/index.js';
import { TRACKER_CONSUMER } from '../../runtime/tracker/index.js';
import type { CliIO } from '../io.js';

export interface AppRunOptions {
  readonly sagas: number;
  readonly seed: number;
  readonly concurrency: number;
  readonly json: boolean;
  readonly quiet: boolean;
}


/**
 * `saga run --app <module>`: starts `sagas` scenarios of any app on the local cloud with no
 * faults, runs until quiet, prints each saga's timeline and the summary, and checks the generic
 * and the app's invariants on the stored data. Exit code 1 when a saga is left open or an
 * invariant is violated.
 */
export async function runApp(app: SagaApp, options: AppRunOptions, io: CliIO): Promise<number> {
  const progress = (text: string) => (options.json ? io.err(text) : io.out(text));
  const def: AnySagaDefinition = app.definition;
  progress(`Starting the local cloud for saga "${def.name}" (in-process DynamoDB, event bus, queues) …`);
  const cloud = await LocalCloud.start({ definition: def, participants: app.participants, seed: options.seed, concurrency: options.concurrency });
  const published = new Set<string>();
  cloud.bus.onEvent((e) => {
    const id = (e.detail as { eventId?: unknown } | null)?.eventId;
    if (typeof id === 'string') published.add(id);
  });
  try {
    const random = scenarioRandom(options.seed);
    await app.seed?.(seedDataFor(def, cloud.client, cloud.tableName), { sagas: options.sagas, random });
    const startedAt = cloud.clock.now();
    const started: StartedSaga[] = [];
    for (let index = 0; index < options.sagas; index++) {
      const payload = app.scenario(index, random);
      const { sagaId } = await cloud.startSaga(payload);
      started.push({ index, sagaId, payload });
    }
    progress(`Started ${options.sagas} sagas; running the choreography …`);
    const run = await cloud.runUntilQuiet({ onProgress: (steps) => progress(`  … ${steps} deliveries`) });
    const records = await Promise.all(started.map(async (s) => ({ started: s, record: await cloud.sagaRecord(s.sagaId) })));
    const status = (r: SagaRecord | undefined) => r?.status ?? 'unknown';
    const summary = {
      total: records.length,
      completed: records.filter((r) => status(r.record) === 'completed').length,
      compensated: records.filter((r) => status(r.record) === 'compensated').length,
      flagged: records.filter((r) => status(r.record) === 'failed-needs-attention').length,
      open: records.filter((r) => !r.record || !isTerminalStatus(r.record.status)).length,
    };
    const checked = await checkAppInvariants(app, {
      data: await readStoredData(cloud.client, cloud.tableName),
      started,
      published,
      rejectionConsumerOf: (consumer) => (consumer === TRACKER ? TRACKER_CONSUMER : consumer),
    });
    const metrics = {
      eventsPublished: cloud.metrics.total(METRIC.eventsPublished),
      stepsCommitted: cloud.metrics.total(METRIC.stepsCommitted),
      compensations: cloud.metrics.total(METRIC.compensations),
      nullCompensations: cloud.metrics.total(METRIC.nullCompensations),
      duplicatesIgnored: cloud.metrics.total(METRIC.duplicates),
      rejections: cloud.metrics.total(METRIC.rejections),
    };
    const sagas = records.map(({ started: s, record }) => ({
      id: s.sagaId,
      index: s.index,
      status: status(record),
      ...(record?.terminalEvent ? { terminalEvent: record.terminalEvent } : {}),
      timeline: (record?.timeline ?? []).map((t) => ({ type: t.type, producer: t.producer, atMs: Date.parse(t.at) - startedAt })),
    }));
    const invariants = { checked: checked.checked, violations: checked.violations };
    if (options.json) {
      io.out(JSON.stringify({ saga: def.name, summary, seed: options.seed, deliveries: run.steps, figures: checked.figures, invariants, metrics, sagas }, null, 2));
    } else {
      if (!options.quiet) {
        for (const s of sagas) {
          io.out(`\n#${s.index}  saga ${s.id}  →  ${s.status.toUpperCase()}`);
          for (const t of s.timeline) io.out(`   +${String(t.atMs).padStart(6)} ms  ${t.producer.padEnd(12)} ${t.type}`);
        }
      }
      io.out(`\nSummary of saga "${def.name}"`);
      for (const [k, v] of Object.entries(summary)) io.out(`  ${k.padEnd(13)} ${v}`);
      for (const [k, v] of Object.entries(checked.figures)) io.out(`  ${k.padEnd(13)} ${JSON.stringify(v)}`);
      io.out('\n  ' + Object.entries(metrics).map(([k, v]) => `${k}=${v}`).join('  '));
      io.out(`\n  ${checked.checked.length} invariants checked: ${checked.violations.length === 0 ? 'no violations' : `${checked.violations.length} VIOLATION(S)`}`);
      for (const v of checked.violations.slice(0, 30)) io.out(`   - [${v.invariant}] ${v.sagaId ?? ''} ${v.message}`);
      io.out(summary.open === 0 ? '\nEvery saga reached a terminal state.' : `\n${summary.open} saga(s) are still open.`);
    }
    return summary.open === 0 && checked.violations.length === 0 ? 0 : 1;
  } finally {
    await cloud.stop();
  }
}
