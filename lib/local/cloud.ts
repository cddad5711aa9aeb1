import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { AnySagaDefinition, ParticipantNameOf, PayloadOf } from '../core/definition.js';
import { OUTBOX_STREAM_FILTER } from '../core/keys.js';
import { participantNames, sourcePrefixFor, subscriptionPattern, subscriptionsOf } from '../core/model.js';
import { createTccParticipantHandler, type RecordOutcome, type CommitFaults, type StepImplementations } from '../runtime/participant/index.js';
import { type InvocationContext, InMemoryMetrics, silentLogger, type Logger, readSagaRecord, type SagaRecord, secretsManagerReader, type SecretReader } from '../runtime/shared/index.js';
import { createRelayHandler } from '../runtime/relay/index.js';
import { startSaga, type StartSagaOptions } from '../runtime/initiator/index.js';
import { createTrackerHandler } from '../runtime/tracker/index.js';
import { LocalEventBus } from './bus.js';
import { VirtualClock } from './clock.js';
import { localDynamoClients, localRegion, type LocalDynamoClients } from './dynamo-clients.js';
import type { DynamoDbEngine } from './dynamodb/index.js';
import { appendBounded, DEFAULT_RETAINED } from './bounded.js';
import { LocalCloudError } from './errors.js';
import { Interleaver } from './interleaver.js';
import { checkUpgrade, countOpenSagas, openSagasByVersion } from './versions.js';
import { LocalQueue, type LocalMessage } from './queue.js';
import { SeededRandom } from './random.js';
import { LocalSecretStore, localSecretsManagerClient } from './secrets.js';
import { StreamPoller } from './stream-poller.js';
import { createSagaTable } from './tables.js';

export type ParticipantImplementations<D extends AnySagaDefinition> = { readonly [P in ParticipantNameOf<D>]: StepImplementations<D, P> };

/** Stream records the local cloud's engine keeps per table (a trimmed, unread record is reported as a relay failure). */
const LOCAL_STREAM_RETENTION = 20_000;

/** How often (virtual time) the in-process engine's TTL process runs. */
const TTL_SWEEP_MS = 10 * 60_000;

/** Consumer name of the tracker's queue in the local cloud. */
export const TRACKER = 'tracker';

export interface LocalCloudOptions<D extends AnySagaDefinition> {
  readonly definition: D;
  /** Step implementations of every participant, as exported by its Lambda entry file. */
  readonly participants: ParticipantImplementations<D>;
  /** Seed for message order, ids and faults. @default 1 */
  readonly seed?: number;
  /**
   * An external DynamoDB endpoint (LocalStack, moto, AWS) instead of the in-process engine.
   * @default AWS_ENDPOINT_URL, else the in-process engine
   */
  readonly endpoint?: string;
  /** An in-process engine to use (e.g. one also served over HTTP). @default a new engine on the cloud's clock */
  readonly engine?: DynamoDbEngine;
  /** @default `saga-<name>` in-process; a fresh unique name on an external endpoint */
  readonly tableName?: string;
  /** Virtual start time. @default 2026-01-01T00:00:00Z */
  readonly startTime?: number;
  /** @default 10 */
  readonly batchSize?: number;
  /** @default 30 s, like the constructs' function timeout; visibility timeout is 6× that */
  readonly functionTimeoutSeconds?: number;
  /** @default 5 */
  readonly maxReceiveCount?: number;
  readonly logger?: Logger;
  /** Commit-time fault hooks (crash before/after commit). @default none */
  readonly commitFaults?: CommitFaults;
  /** Shuffle message delivery order (reordering). @default false */
  readonly reorder?: boolean;
  /**
   * Virtual time each invocation takes, drawn uniformly from [min, max] ms, so timelines show
   * plausible durations and deadlines count real progress. @default [5, 40]
   */
  readonly invocationMs?: readonly [number, number];
  /**
   * Invocations of one consumer that may run at once, interleaved at their DynamoDB calls by the
   * seeded scheduler (races between two invocations of a participant, or the tracker and the
   * reconciler, happen as on AWS; a seed replays them). 1 runs one invocation at a time. @default 2
   */
  readonly concurrency?: number;
  /** Step outcomes and bus events kept for inspection; older ones are dropped. @default 10 000 each */
  readonly retain?: number;
}

export interface ConsumerWiring {
  readonly name: string;
  readonly queue: LocalQueue;
  readonly dlq: LocalQueue;
  readonly handler: (event: SQSEvent, context?: InvocationContext) => Promise<SQSBatchResponse>;
}

interface ScheduledTask {
  readonly name: string;
  readonly everyMs: number;
  nextAt: number;
  readonly run: () => Promise<void>;
  /** A background task runs when due but never wakes an idle cloud (TTL sweeps: time only passes for real work). */
  readonly background?: boolean;
}

/**
 * The embedded local cloud: the in-process DynamoDB engine (transactions, stream, TTL on the virtual clock), an EventBridge bus
 * with faithful pattern matching, one SQS-like queue + DLQ per participant and for the tracker,
 * the relay on the table's stream, a scheduler — all on a virtual clock, deterministic for a seed.
 * It wires subscriptions from the definition exactly as the CDK constructs do.
 *
 * @example
 * ```ts
 * const cloud = await LocalCloud.start({ definition: orderSaga, participants: { inventory, order, payment } });
 * const { sagaId } = await cloud.startSaga({ orderId: 'o-1', customerId: 'c-1', sku: 'sku-1', quantity: 1, amountCents: 900 });
 * await cloud.runUntilQuiet();
 * console.log((await cloud.sagaRecord(sagaId))?.status); // 'completed'
 * await cloud.stop();
 * ```
 */
export class LocalCloud<D extends AnySagaDefinition = AnySagaDefinition> {
  readonly consumers = new Map<string, ConsumerWiring>();
  /** The most recent step outcomes (at most `retainOutcomes`), for inspection. */
  readonly outcomes: RecordOutcome[] = [];
  /** Every step outcome so far, counted by kind (`committed-done`, `duplicate`, …), beyond the cap of `outcomes`. */
  readonly outcomeCounts = new Map<string, number>();
  readonly relayFailures: { records: number; reason: string }[] = [];
  /**
   * The cloud's Secrets Manager (signing secrets, API keys): `secrets.put(name, value)` creates or
   * rotates one; {@link secretReader} reads them through the same Powertools-backed reader as AWS.
   */
  readonly secrets = new LocalSecretStore();
  /** A SecretReader over {@link secrets} (a real SecretsManagerClient answered in process), for the notifier and the outcome API. */
  secretReader(options: { readonly maxAgeSeconds?: number } = {}): SecretReader {
    return secretsManagerReader({ client: localSecretsManagerClient(this.secrets), ...options });
  }
  private readonly tasks: ScheduledTask[] = [];
  private relay!: ReturnType<typeof createRelayHandler>;
  private poller!: StreamPoller;
  private readonly concurrency: number;
  /** Versions whose participants run here, by version (the newest is {@link definition}). */
  private readonly participantVersions = new Map<number, { readonly definition: AnySagaDefinition; readonly consumers: readonly { readonly participant: string; readonly name: string }[] }>();

  /** The newest deployed definition: new sagas start on it; its tracker, relay and reconciler serve every version it names. */
  get definition(): D {
    return this.deployed;
  }

  /**
   * Wraps every consumer handler as it is wired (now and after a {@link deploy}); fault injection
   * installs its crash bookkeeping here. @default the handler itself
   */
  wrapHandler: (wiring: ConsumerWiring) => ConsumerWiring['handler'] = (wiring) => wiring.handler;

  private constructor(
    private deployed: D,
    readonly clock: VirtualClock,
    readonly random: SeededRandom,
    readonly bus: LocalEventBus,
    readonly client: DynamoDBDocumentClient,
    readonly rawClient: DynamoDBClient,
    readonly tableName: string,
    readonly metrics: InMemoryMetrics,
    readonly eventBridge: EventBridgeClient,
    /** The DynamoDB clients and, in-process, the engine behind them. */
    readonly dynamo: LocalDynamoClients,
    private readonly options: LocalCloudOptions<D>,
    private readonly interleaver: Interleaver,
  ) {
    this.concurrency = options.concurrency ?? 2;
  }

  static async start<D extends AnySagaDefinition>(options: LocalCloudOptions<D>): Promise<LocalCloud<D>> {
    const concurrency = options.concurrency ?? 2;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new LocalCloudError(`concurrency must be a positive integer (invocations of one consumer at once), got ${String(options.concurrency)}.`, { concurrency: options.concurrency });
    }
    const random = new SeededRandom(options.seed ?? 1);
    const clock = new VirtualClock(options.startTime);
    const interleaver = new Interleaver();
    const dynamo = localDynamoClients({
      beforeOperation: interleaver.gate,
      ...(options.engine ? { engine: options.engine } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      now: () => clock.now(),
      ids: () => random.uuid(),
      // The relay reads the stream at every step, so a short retention loses nothing and frees the
      // old item versions the records hold (a 10,000-saga soak peaked at 1.5 GB with 100,000).
      streamRetention: LOCAL_STREAM_RETENTION,
    });
    const inProcess = dynamo.engine !== undefined;
    const tableName =
      options.tableName ?? (inProcess && !options.engine ? `saga-${options.definition.name}` : `saga-${options.definition.name}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`);
    // TTL on only in-process: the engine expires by the virtual clock that stamps `expiresAt`; an
    // external DynamoDB expires by wall-clock time, which would delete barriers mid-run.
    const { streamArn } = await createSagaTable(dynamo.raw, tableName, { ttl: inProcess });
    const bus = new LocalEventBus(`${options.definition.name}-bus`, clock, () => random.uuid(), options.retain ?? DEFAULT_RETAINED);
    const eventBridge = new EventBridgeClient({ region: localRegion(), credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    bus.attachTo(eventBridge);
    const cloud = new LocalCloud(options.definition, clock, random, bus, dynamo.document, dynamo.raw, tableName, new InMemoryMetrics(), eventBridge, dynamo, options, interleaver);
    cloud.wire(dynamo.streams, streamArn);
    if (dynamo.engine) {
      const engine = dynamo.engine;
      cloud.schedule('dynamodb-ttl', TTL_SWEEP_MS, async () => void engine.expireItems(), { background: true });
    }
    return cloud;
  }

  private get queueOptions() {
    return { visibilityTimeoutSeconds: 6 * (this.options.functionTimeoutSeconds ?? 30), maxReceiveCount: this.options.maxReceiveCount ?? 5 };
  }

  private addConsumer(name: string, handler: ConsumerWiring['handler']): ConsumerWiring {
    const ids = () => this.random.uuid();
    const dlq = new LocalQueue(`${name}-dlq`, this.clock, ids, { maxReceiveCount: 1_000_000 });
    const queue = new LocalQueue(`${name}-queue`, this.clock, ids, { ...this.queueOptions, deadLetterQueue: dlq });
    const wiring = { name, queue, dlq, handler };
    this.consumers.set(name, { ...wiring, handler: this.wrapHandler(wiring) });
    return wiring;
  }

  private participantHandler(def: AnySagaDefinition, participant: string, steps: unknown): ConsumerWiring['handler'] {
    // The TCC factory serves every participant; locally there is no bundle to keep small.
    return createTccParticipantHandler(def, participant, steps as never, {
      client: this.client,
      tableName: this.tableName,
      clock: this.clock,
      ids: () => this.random.uuid(),
      logger: this.options.logger ?? silentLogger,
      metrics: this.metrics,
      ...(this.options.commitFaults ? { faults: this.options.commitFaults } : {}),
      onOutcome: (o) => this.recordOutcome(o),
      // Forward recovery as in AWS: backoff through ChangeMessageVisibility, a failure record on the last receive.
      maxReceiveCount: this.queueOptions.maxReceiveCount,
      visibility: { changeVisibility: async (arn, handle, seconds) => this.queueByArn(arn)?.changeVisibility(handle, seconds) },
    });
  }

  /** One consumer per participant of `def`, subscribed as the constructs subscribe it (by event and version). */
  private wireParticipants(def: AnySagaDefinition, participants: Readonly<Record<string, unknown>>, consumerName: (participant: string) => string): void {
    const names: { participant: string; name: string }[] = [];
    for (const participant of participantNames(def)) {
      const name = consumerName(participant);
      const existing = this.consumers.get(name);
      let queue: LocalQueue;
      if (existing) {
        // Taken over in place (migratesFrom): same queue, new code and rules.
        this.bus.removeRulesTargeting(existing.queue);
        const wiring = { ...existing, handler: this.participantHandler(def, participant, participants[participant]) };
        this.consumers.set(name, { ...wiring, handler: this.wrapHandler(wiring) });
        queue = existing.queue;
      } else {
        queue = this.addConsumer(name, this.participantHandler(def, participant, participants[participant])).queue;
      }
      for (const event of subscriptionsOf(def, participant)) this.bus.addRule(`${name}-${event}`, subscriptionPattern(def, event, participant), queue);
      names.push({ participant, name });
      this.consumerParticipants.set(name, participant);
    }
    this.participantVersions.set(def.version, { definition: def, consumers: names });
  }

  /** The tracker (one for every version) and the relay, for the newest definition. */
  private wireFrameworkFunctions(def: AnySagaDefinition): void {
    const logger = this.options.logger ?? silentLogger;
    const trackerHandler = createTrackerHandler(def, { client: this.client, tableName: this.tableName, clock: this.clock, logger, metrics: this.metrics });
    const tracker = this.consumers.get(TRACKER);
    if (tracker) {
      const wiring = { ...tracker, handler: trackerHandler };
      this.consumers.set(TRACKER, { ...wiring, handler: this.wrapHandler(wiring) });
    } else {
      const wiring = this.addConsumer(TRACKER, trackerHandler);
      this.bus.addRule('tracker-all', { source: [{ prefix: sourcePrefixFor(def) }] }, wiring.queue);
    }
    this.relay = createRelayHandler(def, {
      eventBridge: this.eventBridge,
      eventBusName: this.bus.name,
      client: this.client,
      tableName: this.tableName,
      clock: this.clock,
      sleep: async (ms) => this.clock.advance(ms),
      logger,
      metrics: this.metrics,
    });
  }

  private wire(streamsClient: DynamoDBStreamsClient, streamArn: string): void {
    this.wireParticipants(this.deployed, this.options.participants as Readonly<Record<string, unknown>>, (p) => p);
    this.wireFrameworkFunctions(this.deployed);
    this.poller = new StreamPoller({
      streamsClient,
      streamArn,
      filter: OUTBOX_STREAM_FILTER,
      ...(this.dynamo.engine ? { changeCounter: () => this.dynamo.engine!.streamChanges, shortPageIsTip: true } : {}),
      batchSize: 100,
      retryAttempts: 5,
      onFailure: (records, reason) => this.relayFailures.push({ records: records.length, reason }),
      onTrimmed: (shard, reason) => this.relayFailures.push({ records: 0, reason: `stream records of ${shard} trimmed before the relay read them: ${reason}` }),
    });
  }

  /**
   * Deploys a newer version of the saga in the middle of a run, as a rolling upgrade in AWS would:
   * new sagas start on it; its tracker, relay and reconciler serve every version it names in
   * `previousVersions`. The participants of a previous version stay deployed beside the new
   * ones (consumers named `<participant>-v<version>`), each getting only its own version's events,
   * unless the new version takes their sagas over (`migratesFrom`): then the old consumers keep
   * their queues and run the new code. Retire a version with {@link retire} once it has drained.
   *
   * @example
   * ```ts
   * await cloud.deploy({ definition: orderSagaV2, participants: participantsV2 });
   * await cloud.runUntilQuiet();
   * if ((await cloud.openSagasByVersion())[1] === undefined) cloud.retire(1);
   * ```
   */
  async deploy(next: { readonly definition: AnySagaDefinition; readonly participants: Readonly<Record<string, unknown>> }): Promise<void> {
    const current = this.deployed as AnySagaDefinition;
    const def = next.definition;
    checkUpgrade(current, [...this.participantVersions.keys()], def);
    // A version taken over (migratesFrom): the new code runs on its consumers' queues, with what is
    // in them; a participant the new version dropped keeps its old consumer until retired.
    const migrating = new Set(def.migratesFrom ?? []);
    const inherited = new Map<string, string>();
    for (const [version, entry] of [...this.participantVersions]) {
      if (!migrating.has(version)) continue;
      const staying = entry.consumers.filter((c) => !participantNames(def).includes(c.participant));
      for (const c of entry.consumers) if (!staying.includes(c)) inherited.set(c.participant, c.name);
      if (staying.length > 0) this.participantVersions.set(version, { ...entry, consumers: staying });
      else this.participantVersions.delete(version);
    }
    // As the constructs name them: the newest version's participants by their names, a kept
    // version's as `<name>-v<version>` (operator commands then mean the newest by a plain name).
    for (const [version, entry] of [...this.participantVersions]) {
      const renamed = entry.consumers.map((c) => {
        if (c.name !== c.participant || inherited.get(c.participant) === c.name) return c;
        const name = `${c.participant}-v${version}`;
        const wiring = this.consumers.get(c.name)!;
        this.consumers.delete(c.name);
        this.consumers.set(name, { ...wiring, name });
        this.consumerParticipants.set(name, c.participant);
        return { participant: c.participant, name };
      });
      this.participantVersions.set(version, { ...entry, consumers: renamed });
    }
    const names = new Map<string, string>();
    for (const participant of participantNames(def)) names.set(participant, inherited.get(participant) ?? participant);
    this.wireParticipants(def, next.participants, (p) => names.get(p)!);
    this.deployed = def as D;
    this.wireFrameworkFunctions(def);
    for (const listener of this.deployListeners) listener(def);
  }

  private readonly deployListeners: ((def: AnySagaDefinition) => void)[] = [];

  /** Called after every {@link deploy} with the new definition (the local reconciler rebuilds itself here). */
  onDeploy(listener: (def: AnySagaDefinition) => void): void {
    this.deployListeners.push(listener);
  }

  /** The participant a consumer runs (`inventory-v2` runs `inventory`); the consumer's own name for the tracker. */
  participantOf(consumer: string): string {
    return this.consumerParticipants.get(consumer) ?? consumer;
  }

  /** Every participant consumer ever wired (retired ones too: their rejections stay readable). */
  private readonly consumerParticipants = new Map<string, string>();

  /** Deployed participant versions and their consumers, oldest first. */
  get versions(): { readonly version: number; readonly consumers: readonly string[] }[] {
    return [...this.participantVersions.entries()].sort(([a], [b]) => a - b).map(([version, v]) => ({ version, consumers: v.consumers.map((c) => c.name) }));
  }

  /**
   * Removes a previous version's participants once its sagas have drained (no open saga of that
   * version, nothing in its queues). Refuses otherwise, saying what is still there.
   */
  async retire(version: number): Promise<void> {
    const entry = this.participantVersions.get(version);
    if (!entry) throw new LocalCloudError(`No participants of v${version} are deployed; deployed: ${this.versions.map((v) => `v${v.version}`).join(', ')}.`, { version });
    if (version === this.deployed.version) throw new LocalCloudError(`v${version} is the newest version; deploy a newer one before retiring it.`, { version });
    const open = (await this.openSagasByVersion())[version] ?? 0;
    const queued = entry.consumers.reduce((n, c) => n + this.consumer(c.name).queue.size + this.consumer(c.name).dlq.size, 0);
    if (open > 0 || queued > 0) {
      throw new LocalCloudError(`v${version} has not drained: ${open} open saga(s), ${queued} message(s) in its queues and DLQs. Retire it once both are 0.`, { version, open, queued });
    }
    for (const { name } of entry.consumers) {
      this.bus.removeRulesTargeting(this.consumer(name).queue);
      this.consumers.delete(name);
    }
    this.participantVersions.delete(version);
  }

  /** Open sagas counted by the definition version they run on. */
  async openSagasByVersion(): Promise<Record<number, number>> {
    return openSagasByVersion(this.client, this.tableName);
  }

  /** Starts a saga through the initiator's outbox, as `startSaga` does in AWS. */
  async startSaga(payload: PayloadOf<D, D['start']>, options: StartSagaOptions = {}): Promise<{ sagaId: string; eventId: string }> {
    return startSaga(this.definition, payload, { client: this.client, tableName: this.tableName, clock: this.clock, ids: () => this.random.uuid() }, options);
  }

  /** Runs `run` every `everyMs` of virtual time (EventBridge Scheduler's role). */
  schedule(name: string, everyMs: number, run: () => Promise<void>, options: { readonly background?: boolean } = {}): void {
    this.tasks.push({ name, everyMs, nextAt: this.clock.now() + everyMs, run, ...(options.background ? { background: true } : {}) });
  }

  /** Hook to choose which visible messages a consumer receives (fault injection reorders here). */
  pickMessages: (consumer: string, candidates: LocalMessage[]) => LocalMessage[] = (_c, candidates) =>
    this.options.reorder ? this.random.shuffle(candidates) : candidates;

  /** Hook before a consumer is invoked with a batch; return false to leave the batch undelivered (stall). */
  beforeInvoke: (consumer: string, messages: LocalMessage[]) => boolean = () => true;
  /**
   * The outbox stream records the relay gets of each batch the stream returns; the others are
   * skipped for good, like records that aged out of the stream (fault injection). @default all
   */
  streamRecordFilter: (records: DynamoDBRecord[]) => DynamoDBRecord[] = (records) => records;

  /**
   * One unit of work: a relay batch; or, one invocation at a time, one consumer batch; or, with
   * concurrency, one scheduling decision — start another invocation, or let one waiting DynamoDB
   * call of a running invocation proceed, chosen by seed. False when nothing is ready now.
   */
  async step(): Promise<boolean> {
    await this.poller.fetch();
    if (this.poller.pending > 0) this.simulateDuration();
    if (await this.poller.deliver((event) => this.relay({ ...event, Records: this.streamRecordFilter(event.Records) }, this.invocationContext('relay')))) return true;
    if (this.concurrency === 1) {
      const ready = [...this.consumers.values()].filter((c) => c.queue.hasVisible());
      if (ready.length === 0) return false;
      await this.invoke(ready[this.random.int(ready.length)]!);
      return true;
    }
    const finished = await this.interleaver.settle();
    const startable = [...this.consumers.values()].filter((c) => this.interleaver.runningOf(c.name) < this.concurrency && c.queue.hasVisible());
    const waiting = this.interleaver.waiting;
    if (startable.length === 0 && waiting === 0) return finished > 0;
    // One round: perhaps start one more invocation (which runs to its first DynamoDB call), then
    // let every waiting call proceed in a seeded order — each in-flight invocation takes one step.
    if (startable.length > 0 && (waiting === 0 || this.random.chance(0.5))) {
      const consumer = startable[this.random.int(startable.length)]!;
      this.interleaver.start(consumer.name, () => this.invoke(consumer));
    }
    this.interleaver.releaseAll((items) => this.random.shuffle(items));
    return true;
  }

  private invocations = 0;
  /** A Lambda context for one local invocation: a request id from a counter (no seeded draw, so seeds replay unchanged). */
  private invocationContext(functionName: string): InvocationContext {
    return { awsRequestId: `local-${functionName}-${++this.invocations}` };
  }

  private async invoke(consumer: ConsumerWiring): Promise<void> {
    const messages = consumer.queue.receive(this.options.batchSize ?? 10, (c) => this.pickMessages(consumer.name, c));
    if (messages.length === 0) return;
    if (!this.beforeInvoke(consumer.name, messages)) return;
    this.simulateDuration();
    let failed: Set<string>;
    try {
      const response = await consumer.handler({ Records: messages.map((m) => consumer.queue.toRecord(m)) }, this.invocationContext(consumer.name));
      failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    } catch {
      failed = new Set(messages.map((m) => m.messageId)); // a thrown handler fails the whole batch
    }
    for (const m of messages) if (!failed.has(m.messageId) && m.receiptHandle) consumer.queue.delete(m.receiptHandle);
  }

  private recordOutcome(outcome: RecordOutcome): void {
    appendBounded(this.outcomes, outcome, this.options.retain ?? DEFAULT_RETAINED);
    const key = 'kind' in outcome ? (outcome.kind === 'committed' ? `committed-${outcome.state}` : outcome.kind) : 'unknown';
    this.outcomeCounts.set(key, (this.outcomeCounts.get(key) ?? 0) + 1);
  }

  private simulateDuration(): void {
    const [min, max] = this.options.invocationMs ?? [5, 40];
    this.clock.advance(min + this.random.int(Math.max(1, max - min + 1)));
  }

  /** True while a queue holds messages (visible or in flight) or the stream has undelivered records. */
  hasPendingWork(): boolean {
    return this.poller.pending > 0 || this.interleaver.size > 0 || [...this.consumers.values()].some((c) => c.queue.size > 0);
  }

  /** Earliest future moment something becomes ready: a message's visibility, or a scheduled task. */
  private nextWakeUp(): number | undefined {
    const times = [...[...this.consumers.values()].map((c) => c.queue.nextVisibleAt()), ...this.tasks.filter((t) => !t.background).map((t) => t.nextAt)].filter((t): t is number => t !== undefined);
    return times.length ? Math.min(...times) : undefined;
  }

  private async runDueTasks(): Promise<boolean> {
    let ran = false;
    for (const task of this.tasks) {
      while (task.nextAt <= this.clock.now()) {
        task.nextAt += task.everyMs;
        await task.run();
        ran = true;
      }
    }
    return ran;
  }

  /**
   * Runs until nothing is pending and no saga is open — moving the virtual clock forward to the
   * next visibility timeout or scheduled task whenever the system is idle — or until the
   * virtual-time budget is spent.
   */
  async runUntilQuiet(options: { readonly maxVirtualMs?: number; readonly maxSteps?: number; readonly onProgress?: (steps: number) => void } = {}): Promise<{ steps: number; virtualMs: number; quiet: boolean }> {
    const startedAt = this.clock.now();
    const horizon = startedAt + (options.maxVirtualMs ?? 60 * 60_000);
    const maxSteps = options.maxSteps ?? 5_000_000;
    let steps = 0;
    for (;;) {
      if (steps >= maxSteps) return { steps, virtualMs: this.clock.now() - startedAt, quiet: false };
      await this.runDueTasks();
      if (await this.step()) {
        steps++;
        if (steps % 500 === 0) options.onProgress?.(steps);
        continue;
      }
      await this.poller.fetch();
      if (this.poller.pending > 0) continue;
      if (!this.hasPendingWork() && (await this.openSagaCount()) === 0) return { steps, virtualMs: this.clock.now() - startedAt, quiet: true };
      const next = this.nextWakeUp();
      if (next === undefined || next > horizon) return { steps, virtualMs: this.clock.now() - startedAt, quiet: !this.hasPendingWork() };
      this.clock.advanceTo(next);
    }
  }

  /** Number of sagas in the open-sagas index (not terminal). */
  async openSagaCount(): Promise<number> {
    return countOpenSagas(this.client, this.tableName);
  }

  async sagaRecord(sagaId: string): Promise<SagaRecord | undefined> {
    return readSagaRecord(this.client, this.tableName, sagaId);
  }

  /** The work queue or DLQ with this ARN (records carry it as `eventSourceARN`). */
  queueByArn(arn: string): LocalQueue | undefined {
    for (const c of this.consumers.values()) for (const q of [c.queue, c.dlq]) if (q.arn === arn) return q;
    return undefined;
  }

  consumer(name: string): ConsumerWiring {
    const c = this.consumers.get(name);
    if (!c) throw new Error(`No consumer ${JSON.stringify(name)} in this local cloud; consumers: ${[...this.consumers.keys()].join(', ')}.`);
    return c;
  }

  async stop(): Promise<void> {
    this.dynamo.destroy();
    this.eventBridge.destroy();
  }
}
