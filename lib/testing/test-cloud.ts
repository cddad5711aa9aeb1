import type { AnySagaDefinition, ParticipantNameOf, PayloadOf } from '../core/definition.js';
import { participantNames } from '../core/model.js';
import { type OperatorContext, forceCompensation, inspectSaga, listDeadLetters, redrive, resolveSaga, retryStep, type DeadLetterView, type Inspection, type RetryResult } from '../runtime/operator/index.js';
import type { RedriveResult, SagaRecord, TimelineEntry } from '../runtime/shared/index.js';
import type { StartSagaOptions } from '../runtime/initiator/index.js';
import type { TrackedSaga } from '../runtime/reconciler/index.js';
import { appFromModule, scenarioRandom, seedDataFor, storedView, type SagaApp, type SeedData, type StartedSaga, type StoredView } from '../local/app.js';
import { LocalCloud, TRACKER } from '../local/cloud.js';
import { LocalCloudError } from '../local/errors.js';
import { FaultInjector, NO_FAULTS, type FaultPlan } from '../local/faults.js';
import { localOperatorContext } from '../local/operator-context.js';
import { scheduleReconciler, type LocalReconciler } from '../local/reconciler-schedule.js';
import { checkAppInvariants } from '../local/simulation/check.js';
import type { Violation } from '../local/simulation/invariants.js';
import { readStoredData, type StoredData } from '../local/simulation/stored-data.js';
import { TRACKER_CONSUMER } from '../runtime/tracker/index.js';

/** The reconciler's schedule, as in a deployment's EventBridge Scheduler rule. */
const RECONCILER_EVERY_MS = 60_000;

/**
 * A test helper used wrongly: an unknown participant or saga id, a stopped cloud. The message says
 * what was expected.
 *
 * @example
 * ```ts
 * await expect(t.items('bank')).rejects.toThrow(TestCloudError);
 * ```
 */
export class TestCloudError extends LocalCloudError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(message, context);
    this.name = 'TestCloudError';
  }
}

/**
 * Options of {@link startTestCloud}.
 *
 * @example
 * ```ts
 * const t = await startTestCloud(app, { seed: 7, concurrency: 1, faults: { duplicate: 0.2 }, sagas: 50 });
 * ```
 */
export interface TestCloudOptions {
  /** Seed of the cloud (delivery order, ids, interleavings), of the faults and of the scenarios. @default 1 */
  readonly seed?: number;
  /** Invocations of one consumer at once, interleaved by the seed (1: strictly serial). @default 2 (the local cloud's default) */
  readonly concurrency?: number;
  /**
   * Faults to inject, as probabilities per opportunity (see `FaultPlan`); knobs left out are 0.
   * Stop them with {@link TestCloud.heal}. @default none
   */
  readonly faults?: Partial<FaultPlan>;
  /** Run `app.seed` before returning, so the business data exists. @default true */
  readonly seedData?: boolean;
  /** How many sagas `app.seed` is told the test will start (`run.sagas`), for apps that size their data by it. @default 10 */
  readonly sagas?: number;
  /**
   * Schedule the reconciler every minute of virtual time, as a deployment does: `runUntilQuiet`
   * then moves the clock through deadlines, overdue sagas time out and compensate, and sagas whose
   * messages are dead are flagged `failed-needs-attention`. `false` leaves a stuck saga open (the
   * run stops when nothing more can happen), for tests that drive recovery by hand. @default true
   */
  readonly reconciler?: boolean;
  /** Receives of a message before it moves to its DLQ. @default 5 */
  readonly maxReceiveCount?: number;
  /** An external DynamoDB endpoint (LocalStack, moto, AWS). @default AWS_ENDPOINT_URL, else the in-process engine */
  readonly endpoint?: string;
}

/**
 * The result of {@link TestCloud.checkInvariants}.
 *
 * @example
 * ```ts
 * const { ok, checked, violations } = await t.checkInvariants();
 * expect(checked).toContain('money-conserved');
 * expect(violations).toEqual([]); // a failure shows [{ invariant: 'money-conserved', message: '…' }]
 * ```
 */
export interface InvariantCheck {
  /** No violation. */
  readonly ok: boolean;
  /** Every invariant checked: the generic ones (`saga-ends`, `step-atomic` …), then the app's own, by name. */
  readonly checked: readonly string[];
  /** What broke, by invariant name (`sagaId` when one saga is at fault). */
  readonly violations: readonly Violation[];
  /** The app's figures (`summarize`), `{}` without. */
  readonly figures: Record<string, unknown>;
}

/**
 * The operator's tools (the `saga inspect | dlq list | redrive | retry | compensate | resolve`
 * commands) working on the test cloud: the same actions, on its table, queues and virtual clock.
 *
 * @example
 * ```ts
 * const [letter] = await t.operator.deadLetters('wallet');
 * await t.operator.redrive('wallet');
 * await t.runUntilQuiet();
 * ```
 */
export interface TestOperator {
  /** Status, timeline, step records and why the saga is stuck (if it is). */
  inspect(sagaId: string): Promise<Inspection>;
  /** Messages in the DLQs (of one participant, or of all), each with the reason the runtime recorded. */
  deadLetters(participant?: string): Promise<DeadLetterView[]>;
  /** Moves a participant's DLQ back to its queue. */
  redrive(participant: string): Promise<RedriveResult>;
  /** Re-delivers the event that triggers the participant's pending step (or the last `type` of the timeline). */
  retry(sagaId: string, participant: string, type?: string): Promise<RetryResult>;
  /** Forces backward recovery: publishes `SagaTimedOut` with reason `operator: <note>`. */
  compensate(sagaId: string, note: string): Promise<{ eventId: string }>;
  /** Marks a saga handled by a person (kept in its notes; it leaves the reconciler's watch). */
  resolve(sagaId: string, note: string): Promise<TrackedSaga>;
  /** The ports the actions run on, for the actions of `saga-choreography/runtime` not wrapped here. */
  readonly context: OperatorContext;
}

/**
 * A saga app running on the embedded local cloud, for your tests: start sagas, run until quiet,
 * read saga records, timelines and business items, check the invariants, act as an operator.
 * Made by {@link startTestCloud}; stop it with {@link TestCloud.stop} (or `await using`).
 *
 * @example
 * ```ts
 * const t = await startTestCloud(app);
 * const { sagaId } = await t.startSaga({ transferId: 't-1', from: 'acct-1', to: 'shop-1', amountCents: 500 });
 * await t.runUntilQuiet();
 * expect((await t.saga(sagaId))?.status).toBe('completed');
 * expect((await t.checkInvariants()).violations).toEqual([]);
 * await t.stop();
 * ```
 */
export interface TestCloud<D extends AnySagaDefinition = AnySagaDefinition> {
  /** The app under test (checked by `appFromModule`). */
  readonly app: SagaApp<D>;
  /** The local cloud itself (bus, queues, clock, table client …) for anything the helpers do not cover. */
  readonly cloud: LocalCloud<D>;
  /** The scheduled reconciler (its `runs`; `runOnce()` for a pass now), absent with `reconciler: false`. */
  readonly reconciler: LocalReconciler | undefined;
  /** The fault injector, absent without `faults`. */
  readonly faults: FaultInjector | undefined;
  /** Writes business items of a participant (fenced to its key space, like `app.seed`'s `data`). */
  readonly data: SeedData<D>;
  /** The sagas started through {@link TestCloud.startSaga} / {@link TestCloud.startScenario}, in order. */
  readonly started: readonly StartedSaga[];
  /** The seeded scenario stream (the one `app.seed` and {@link TestCloud.startScenario} draw from): a number in [0, 1). */
  random(): number;
  /** Starts a saga with this start payload (validated against the start event's schema). */
  startSaga(payload: PayloadOf<D, D['start']>, options?: StartSagaOptions): Promise<{ sagaId: string; eventId: string }>;
  /** Starts saga number `i` of the app's scenario: `app.scenario(i, random)`. */
  startScenario(i: number): Promise<{ sagaId: string; payload: PayloadOf<D, D['start']> }>;
  /** Delivers messages (moving the virtual clock over idle time) until nothing is pending and no saga is open, or the budget is spent. */
  runUntilQuiet(options?: { readonly maxVirtualMs?: number; readonly maxSteps?: number }): Promise<{ steps: number; virtualMs: number; quiet: boolean }>;
  /** The saga record kept by the tracker; `undefined` while the tracker has not seen the saga yet. Throws for an id this cloud never started. */
  saga(sagaId: string): Promise<SagaRecord | undefined>;
  /** The saga's events in the order the tracker recorded them (`[]` before the first). */
  timeline(sagaId: string): Promise<readonly TimelineEntry[]>;
  /** Business items of a participant (its own key space, without the framework's records), sorted by key. */
  items(participant: ParticipantNameOf<D>): Promise<readonly Readonly<Record<string, unknown>>[]>;
  /** The whole table as the invariants read it. */
  stored(): Promise<StoredView>;
  /** The generic invariants and the app's own, on the data stored now (run until quiet first). */
  checkInvariants(): Promise<InvariantCheck>;
  /** The operator's tools on this cloud. */
  readonly operator: TestOperator;
  /** Stops injecting faults (stalled participants answer again). */
  heal(): void;
  /** Releases the cloud's clients. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const asRecord = (v: unknown): Readonly<Record<string, unknown>> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});

/**
 * Starts a local cloud for a saga app — its definition, participants' step implementations and, by
 * default, its seeded business data — with the reconciler on its schedule, and returns the
 * helpers a test needs. The app is checked first (`appFromModule`), so a module with a missing
 * export fails with a message saying what is missing; a module namespace (`await import('./app.js')`)
 * with a default export works too.
 *
 * @example
 * ```ts
 * import { startTestCloud } from 'saga-choreography/testing';
 * import app from '../src/app.js';
 *
 * it('refunds a transfer the ledger refuses', async () => {
 *   await using t = await startTestCloud(app, { seed: 3 });
 *   const { sagaId } = await t.startSaga({ transferId: 't-2', from: 'acct-2', to: 'shop-2', amountCents: 700 });
 *   await t.runUntilQuiet();
 *   expect((await t.timeline(sagaId)).map((e) => e.type)).toEqual(['TransferRequested', 'Debited', 'CreditRefused', 'Refunded']);
 * });
 * ```
 */
export async function startTestCloud<D extends AnySagaDefinition>(app: SagaApp<D> | { readonly default: SagaApp<D> }, options: TestCloudOptions = {}): Promise<TestCloud<D>> {
  const checked = appFromModule(asRecord(app), 'startTestCloud(app)') as unknown as SagaApp<D>;
  const seed = options.seed ?? 1;
  const sagas = options.sagas ?? 10;
  if (!Number.isInteger(seed)) throw new TestCloudError(`seed must be an integer, got ${String(options.seed)}.`, { seed: options.seed });
  if (!Number.isInteger(sagas) || sagas < 0) throw new TestCloudError(`sagas must be a non-negative integer (how many sagas app.seed prepares for), got ${String(options.sagas)}.`, { sagas: options.sagas });
  const injector = options.faults ? new FaultInjector({ ...NO_FAULTS, ...options.faults }, seed) : undefined;
  const cloud = await LocalCloud.start<D>({
    definition: checked.definition,
    participants: checked.participants,
    seed,
    ...(injector ? { commitFaults: injector.commitFaults } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.maxReceiveCount !== undefined ? { maxReceiveCount: options.maxReceiveCount } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  try {
    return await wrap(checked, cloud, injector, options, sagas, seed);
  } catch (error) {
    await cloud.stop();
    throw error;
  }
}

async function wrap<D extends AnySagaDefinition>(app: SagaApp<D>, cloud: LocalCloud<D>, injector: FaultInjector | undefined, options: TestCloudOptions, sagas: number, seed: number): Promise<TestCloud<D>> {
  const def = app.definition;
  const participants = participantNames(def);
  // Every published envelope id from the start: the bus archive keeps only the latest.
  const published = new Set<string>();
  cloud.bus.onEvent((e) => {
    const id = (e.detail as { eventId?: unknown } | null)?.eventId;
    if (typeof id === 'string') published.add(id);
  });
  injector?.attach(cloud);
  const reconciler = options.reconciler === false ? undefined : scheduleReconciler(cloud, { everyMs: RECONCILER_EVERY_MS });
  const random = scenarioRandom(seed);
  const data = seedDataFor(def, cloud.client, cloud.tableName);
  if (options.seedData !== false) await app.seed?.(data, { sagas, random });

  const started: StartedSaga[] = [];
  const startedIds = new Set<string>();
  let stopped = false;
  const live = (what: string) => {
    if (stopped) throw new TestCloudError(`${what}: this test cloud was stopped.`);
  };
  const knownParticipant = (what: string, participant: string) => {
    if (!participants.includes(participant)) {
      throw new TestCloudError(`${what}: saga "${def.name}" has no participant ${JSON.stringify(participant)}; its participants are ${participants.join(', ')}.`, { participant });
    }
  };
  const record = async (what: string, sagaId: string): Promise<SagaRecord | undefined> => {
    live(what);
    if (typeof sagaId !== 'string' || sagaId === '') throw new TestCloudError(`${what}: expected a saga id (the sagaId startSaga returned), got ${JSON.stringify(sagaId)}.`);
    const found = await cloud.sagaRecord(sagaId);
    if (!found && !startedIds.has(sagaId)) {
      const known = started.slice(-5).map((s) => s.sagaId);
      throw new TestCloudError(`${what}: no saga ${JSON.stringify(sagaId)} was started on this test cloud${known.length ? ` (the latest started: ${known.join(', ')})` : ' (none was started yet)'}.`, { sagaId });
    }
    return found;
  };
  const start = async (index: number, payload: PayloadOf<D, D['start']>, startOptions?: StartSagaOptions) => {
    live('startSaga');
    const result = await cloud.startSaga(payload, startOptions);
    started.push({ index, sagaId: result.sagaId, payload });
    startedIds.add(result.sagaId);
    return result;
  };
  const stored = async (): Promise<StoredData> => {
    live('reading the table');
    return readStoredData(cloud.client, cloud.tableName);
  };
  const context = localOperatorContext(cloud);

  const operator: TestOperator = {
    context,
    inspect: async (sagaId) => {
      await record('operator.inspect', sagaId);
      return inspectSaga(context, sagaId);
    },
    deadLetters: async (participant) => {
      live('operator.deadLetters');
      if (participant !== undefined) knownParticipant('operator.deadLetters', participant);
      return listDeadLetters(context, participant);
    },
    redrive: async (participant) => {
      live('operator.redrive');
      knownParticipant('operator.redrive', participant);
      return redrive(context, participant);
    },
    retry: async (sagaId, participant, type) => {
      knownParticipant('operator.retry', participant);
      await record('operator.retry', sagaId);
      return retryStep(context, sagaId, participant, type);
    },
    compensate: async (sagaId, note) => {
      await record('operator.compensate', sagaId);
      return forceCompensation(context, sagaId, note);
    },
    resolve: async (sagaId, note) => {
      await record('operator.resolve', sagaId);
      return resolveSaga(context, sagaId, note);
    },
  };

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await cloud.stop();
  };

  return {
    app,
    cloud,
    reconciler,
    faults: injector,
    data,
    started,
    random,
    startSaga: (payload, startOptions) => start(started.length, payload, startOptions),
    async startScenario(i) {
      if (!Number.isInteger(i) || i < 0) throw new TestCloudError(`startScenario: the saga number must be a non-negative integer, got ${String(i)}.`, { i });
      const payload = app.scenario(i, random);
      const { sagaId } = await start(i, payload);
      return { sagaId, payload };
    },
    async runUntilQuiet(runOptions = {}) {
      live('runUntilQuiet');
      return cloud.runUntilQuiet(runOptions);
    },
    saga: (sagaId) => record('saga', sagaId),
    async timeline(sagaId) {
      return (await record('timeline', sagaId))?.timeline ?? [];
    },
    async items(participant) {
      knownParticipant('items', participant);
      return storedView(await stored()).items(participant);
    },
    async stored() {
      return storedView(await stored(), started);
    },
    async checkInvariants() {
      const result = await checkAppInvariants(app as unknown as SagaApp, {
        data: await stored(),
        started,
        published,
        poison: injector?.poison ?? [],
        rejectionConsumerOf: (consumer) => (consumer === TRACKER ? TRACKER_CONSUMER : consumer),
      });
      return { ok: result.violations.length === 0, checked: result.checked, violations: result.violations, figures: result.figures };
    },
    operator,
    heal: () => injector?.heal(),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
