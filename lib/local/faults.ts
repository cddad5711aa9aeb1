import { AsyncLocalStorage } from 'node:async_hooks';
import { ProvisionedThroughputExceededException, ThrottlingException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { AnySagaDefinition } from '../core/definition.js';
import type { CommitFaults } from '../runtime/participant/index.js';
import { RETRYABLE_ENTRY_ERRORS } from '../runtime/relay/index.js';
import { TRACKER, type ConsumerWiring, type LocalCloud } from './cloud.js';
import { LocalCloudError } from './errors.js';
import { makePoison, POISON_KINDS, type PoisonKind } from './poison.js';
import type { LocalMessage } from './queue.js';
import { SeededRandom } from './random.js';

/**
 * The fault knobs of a simulation. Each is a probability per opportunity:
 *
 * | knob | opportunity | what happens |
 * |---|---|---|
 * | `duplicate` | a message's first delivery | a copy is enqueued, now or up to 10 min later (at-least-once delivery) |
 * | `reorder` | a receive | the messages the receive samples (the oldest 100 visible) are shuffled; with p/10 per message, it is held back 1–30 s and overtaken |
 * | `crashBeforeCommit` | a step about to commit | the process dies before the transaction: nothing commits, the batch returns |
 * | `crashAfterCommit` | a committed step | the process dies after the transaction: the batch returns and is redelivered |
 * | `publishFailure` | a PutEvents entry | the entry fails: ⅔ retryable (`InternalFailure`, `ThrottlingException`), ⅓ a non-retryable code that keeps failing until the stream gives the record up |
 * | `throttle` | a DynamoDB call made by a consumer | `ThrottlingException` / `ProvisionedThroughputExceededException`, or a transaction cancelled with `TransactionConflict` |
 * | `poison` | a message delivery | a malformed message derived from it is put in the same queue |
 * | `stall` | a saga starting (the first delivery of its start event) | a random participant stops answering for 10–60 s: every batch it receives meanwhile times out and comes back after the visibility timeout, so deadlines fire |
 * | `trackerThrottle` | a tracker invocation | the tracker is throttled (Lambda concurrency, a slow table): the batch is left unprocessed and comes back after the visibility timeout, so published events reach the saga records minutes late — a tracker backlog |
 * | `dropStreamRecord` | an outbox record on the table's stream | the stream skips it, as a record that aged out of the 24-hour retention or a disabled event source would: the relay never sees it and leaves no note |
 */
export interface FaultPlan {
  readonly duplicate: number;
  readonly reorder: number;
  readonly crashBeforeCommit: number;
  readonly crashAfterCommit: number;
  readonly publishFailure: number;
  readonly throttle: number;
  readonly poison: number;
  readonly stall: number;
  /** @default 0 (optional, so plans written before it still type-check) */
  readonly dropStreamRecord?: number;
  /** @default 0 */
  readonly trackerThrottle?: number;
}
export type FaultKind = keyof FaultPlan;
export const FAULT_KINDS: readonly FaultKind[] = ['duplicate', 'reorder', 'crashBeforeCommit', 'crashAfterCommit', 'publishFailure', 'throttle', 'poison', 'stall', 'dropStreamRecord', 'trackerThrottle'];
export const NO_FAULTS: FaultPlan = { duplicate: 0, reorder: 0, crashBeforeCommit: 0, crashAfterCommit: 0, publishFailure: 0, throttle: 0, poison: 0, stall: 0, dropStreamRecord: 0, trackerThrottle: 0 };

/** Non-retryable PutEvents entry codes the relay reports as failed instead of retrying. */
export const NON_RETRYABLE_PUBLISH_ERRORS = ['AccessDeniedException', 'MalformedDetail'] as const;
const RETRYABLE_PUBLISH_ERRORS = ['InternalFailure', 'ThrottlingException'] as const;

/** A poison message the injector put in a queue: the input the invariant checker holds the system to. */
export interface InjectedPoison {
  readonly messageId: string;
  /** The local cloud consumer whose queue received it (`tracker` for the tracker). */
  readonly consumer: string;
  readonly kind: PoisonKind;
  readonly expectedReason: string;
  readonly body: string;
}

/** Thrown out of a consumer invocation that "crashed": the local cloud returns the whole batch. */
export class SimulatedCrashError extends LocalCloudError {
  constructor(consumer: string, where: string) {
    super(`Simulated crash of ${consumer} ${where}.`, { consumer });
    this.name = 'SimulatedCrashError';
  }
}

export interface FaultInjectorOptions {
  /**
   * Attempts a non-retryable PutEvents failure keeps failing for, so the stream source gives the
   * record up and the outbox row stays unpublished (the reconciler's case). @default 6 (1 + the
   * local stream poller's 5 retries)
   */
  readonly stickyPublishFailures?: number;
  /** Stall length range in ms. @default [10_000, 60_000] */
  readonly stallMs?: readonly [number, number];
  /** Latest a duplicate copy is delivered, in seconds. @default 600 */
  readonly maxDuplicateDelaySeconds?: number;
}

/**
 * Seeded fault injection onto a {@link LocalCloud}. Create it before the cloud (its
 * {@link commitFaults} go into the cloud's options), then {@link attach} it. Every decision is drawn
 * from its own generator, seeded from the simulation seed, in the cloud's single-threaded order — so
 * the same seed gives the same fault schedule. {@link heal} stops all faults (the end of the storm).
 *
 * @example
 * ```ts
 * const faults = new FaultInjector({ ...NO_FAULTS, duplicate: 0.1, crashAfterCommit: 0.03 }, seed);
 * const cloud = await LocalCloud.start({ definition, participants, seed, commitFaults: faults.commitFaults });
 * faults.attach(cloud);
 * ```
 */
export class FaultInjector {
  /** Injected faults by kind (plus finer-grained counters such as `publishFailurePermanent`). */
  readonly counts: Record<string, number> = {};
  readonly poison: InjectedPoison[] = [];
  readonly commitFaults: CommitFaults;
  private readonly random: SeededRandom;
  private healed = false;
  private cloud: LocalCloud | undefined;
  /**
   * The invocation a call belongs to. With concurrency several invocations are in flight at once,
   * so "the current one" is per async context, not a field; calls outside any invocation (the
   * reconciler, the relay, the test) see none and get no invocation faults.
   */
  private readonly invocation = new AsyncLocalStorage<{ consumer: string; crashed: boolean }>();
  private get current(): { consumer: string; crashed: boolean } | undefined {
    return this.invocation.getStore();
  }
  private readonly stalledUntil = new Map<string, number>();
  private readonly stickyPublish = new Map<string, number>();
  /** Stream records skipped so far (each counted once, however often its batch is redelivered). */
  private readonly droppedRecords = new Set<string>();
  private readonly seedForHash: number;
  private readonly considered = new WeakSet<LocalMessage>();
  private readonly poisonIds = new Set<string>();
  private readonly sticky: number;
  private readonly stallMs: readonly [number, number];
  private readonly maxDuplicateDelayMs: number;
  private readonly poisonKinds = Object.keys(POISON_KINDS) as PoisonKind[];

  constructor(
    readonly plan: FaultPlan,
    seed: number,
    options: FaultInjectorOptions = {},
  ) {
    for (const kind of FAULT_KINDS) {
      const p = plan[kind] ?? 0;
      if (!(typeof p === 'number' && p >= 0 && p <= 1)) throw new LocalCloudError(`Fault probability "${kind}" must be a number in [0, 1], got ${JSON.stringify(p)}.`, { kind });
      this.counts[kind] = 0;
    }
    this.random = new SeededRandom((seed * 2654435761) ^ 0x5eedfa17);
    this.seedForHash = Math.imul(seed, 0x9e3779b1) >>> 0;
    this.sticky = options.stickyPublishFailures ?? 6;
    this.stallMs = options.stallMs ?? [10_000, 60_000];
    this.maxDuplicateDelayMs = (options.maxDuplicateDelaySeconds ?? 600) * 1000;
    this.commitFaults = {
      beforeCommit: (info) => this.aroundCommit('crashBeforeCommit', `before committing ${info.participant}.${info.step}`),
      afterCommit: (info) => this.aroundCommit('crashAfterCommit', `after committing ${info.participant}.${info.step}`),
    };
  }

  /** Installs the hooks on a started cloud (its definition must be the one the poison is made for). */
  attach(cloud: LocalCloud): this {
    if (this.cloud) throw new LocalCloudError('This FaultInjector is already attached to a local cloud.');
    this.cloud = cloud;
    cloud.pickMessages = (consumer, candidates) => this.pick(consumer, candidates);
    cloud.beforeInvoke = (consumer, messages) => this.beforeInvoke(consumer, messages);
    cloud.bus.entryFault = (entry) => this.entryFault(entry);
    cloud.streamRecordFilter = (records) => records.filter((record) => !this.dropsStreamRecord(record.eventID ?? record.dynamodb?.SequenceNumber ?? ''));
    // Consumers wired later (a version deployed mid-run) are wrapped as they are wired.
    cloud.wrapHandler = (wiring) => this.wrap(wiring);
    for (const [name, wiring] of [...cloud.consumers]) cloud.consumers.set(name, { ...wiring, handler: this.wrap(wiring) });
    cloud.client.middlewareStack.add((next, context) => async (args) => {
      this.maybeThrottle(context.commandName ?? '', args.input as { TransactItems?: unknown[] });
      return next(args);
    }, { step: 'initialize', name: 'simulatedThrottling', priority: 'high' });
    return this;
  }

  /** Stops injecting: stalls end, held-back publishes go through, no new faults of any kind. */
  heal(): void {
    this.healed = true;
    this.stalledUntil.clear();
    this.stickyPublish.clear();
    this.droppedRecords.clear();
  }

  get isHealed(): boolean {
    return this.healed;
  }

  /**
   * Whether the stream skips a record: decided once per record (a hash of its id and the seed),
   * not per delivery — the stream source redelivers a batch after a failure, and a fresh roll each
   * time would drop a record the more often its batch failed.
   */
  private dropsStreamRecord(recordId: string): boolean {
    const p = this.plan.dropStreamRecord ?? 0;
    if (this.healed || p === 0) return false;
    let h = 0x811c9dc5 ^ this.seedForHash;
    for (let i = 0; i < recordId.length; i++) h = Math.imul(h ^ recordId.charCodeAt(i), 0x01000193);
    if ((h >>> 0) / 0x1_0000_0000 >= p) return false;
    if (!this.droppedRecords.has(recordId)) {
      this.droppedRecords.add(recordId);
      this.bump('dropStreamRecord');
    }
    return true;
  }

  private bump(kind: string, n = 1): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + n;
  }

  private roll(kind: FaultKind): boolean {
    return !this.healed && this.random.chance(this.plan[kind] ?? 0);
  }

  private get def(): AnySagaDefinition {
    return this.cloud!.definition;
  }

  private now(): number {
    return this.cloud!.clock.now();
  }

  /** Reordering: shuffle what a receive sees; now and then hold a message back so others overtake it. */
  private pick(consumer: string, candidates: LocalMessage[]): LocalMessage[] {
    if (this.healed || this.plan.reorder === 0) return candidates;
    const holdP = this.plan.reorder / 10;
    const eligible: LocalMessage[] = [];
    for (const m of candidates) {
      if (!this.considered.has(m)) {
        this.considered.add(m);
        if (m.receiveCount === 0 && this.random.chance(holdP)) {
          this.cloud!.consumer(consumer).queue.hideUntil(m, this.now() + 1_000 + this.random.int(29_000));
          this.bump('reorder');
          this.bump('reorderHeldBack');
          continue;
        }
      }
      eligible.push(m);
    }
    if (eligible.length > 1 && this.roll('reorder')) {
      this.bump('reorder');
      return this.random.shuffle(eligible);
    }
    return eligible;
  }

  private beforeInvoke(consumer: string, messages: LocalMessage[]): boolean {
    if (this.healed) return true;
    const isParticipant = consumer !== TRACKER;
    const until = this.stalledUntil.get(consumer);
    if (until !== undefined) {
      if (this.now() < until) {
        this.bump('stalledBatches');
        return false;
      }
      this.stalledUntil.delete(consumer);
    }
    if (!isParticipant && this.roll('trackerThrottle')) {
      this.bump('trackerThrottle');
      return false;
    }
    const queue = this.cloud!.consumer(consumer).queue;
    for (const m of messages) {
      // Poison is its own fault: it is not duplicated, nor used as the sample of more poison.
      if (this.poisonIds.has(m.messageId)) continue;
      if (isParticipant && m.receiveCount === 1 && detailTypeOf(m.body) === this.def.start && this.roll('stall')) this.stallSomeone();
      if (m.receiveCount === 1 && this.roll('duplicate')) {
        // At-least-once: EventBridge or SQS hands the same event over again, soon or much later.
        const late = this.random.chance(0.5);
        const delayMs = late ? 5_000 + this.random.int(this.maxDuplicateDelayMs - 5_000) : this.random.int(5_000);
        queue.send(m.body, { delaySeconds: delayMs / 1000 });
        this.bump('duplicate');
      }
      if (this.roll('poison')) this.injectPoison(consumer, m.body);
    }
    return true;
  }

  /** A random participant stops answering for a while (its own stall, if any, is extended). */
  private stallSomeone(): void {
    const participants = [...this.cloud!.consumers.keys()].filter((c) => c !== TRACKER);
    const victim = participants[this.random.int(participants.length)]!;
    const [min, max] = this.stallMs;
    const until = this.now() + min + this.random.int(max - min + 1);
    this.stalledUntil.set(victim, Math.max(until, this.stalledUntil.get(victim) ?? 0));
    this.bump('stall');
  }

  private injectPoison(consumer: string, sample: string): void {
    const kind = this.poisonKinds[this.random.int(this.poisonKinds.length)]!;
    const poison = makePoison(this.def, kind, sample, this.random);
    if (!poison) return;
    const messageId = this.cloud!.consumer(consumer).queue.send(poison.body);
    this.poisonIds.add(messageId);
    this.poison.push({ messageId, consumer, kind, expectedReason: poison.expectedReason, body: poison.body });
    this.bump('poison');
  }

  /** Crash hooks: a dead process commits nothing more in this invocation. */
  private aroundCommit(kind: 'crashBeforeCommit' | 'crashAfterCommit', where: string): void {
    const current = this.current;
    if (!current) return;
    if (current.crashed) {
      if (kind === 'crashBeforeCommit') throw new SimulatedCrashError(current.consumer, 'earlier in this batch');
      return;
    }
    if (this.roll(kind)) {
      current.crashed = true;
      this.bump(kind);
      throw new SimulatedCrashError(current.consumer, where);
    }
  }

  private wrap(wiring: ConsumerWiring): ConsumerWiring['handler'] {
    return async (event) => {
      const current = { consumer: wiring.name, crashed: false };
      return this.invocation.run(current, async () => {
        const response = await wiring.handler(event);
        // Lambda never saw a response from a crashed process: the whole batch becomes visible again.
        if (current.crashed) throw new SimulatedCrashError(wiring.name, 'during the batch');
        return response;
      });
    };
  }

  private maybeThrottle(command: string, input: { TransactItems?: unknown[] }): void {
    if (!this.current || this.current.crashed || !this.roll('throttle')) return;
    this.bump('throttle');
    const $metadata = { httpStatusCode: 400 };
    if (command === 'TransactWriteItemsCommand' && this.random.chance(0.5)) {
      this.bump('throttleTransactionConflict');
      const n = Math.max(1, input.TransactItems?.length ?? 1);
      const hit = this.random.int(n);
      const reasons = Array.from({ length: n }, (_, i) => (i === hit ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' } : { Code: 'None' }));
      throw new TransactionCanceledException({ message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`, $metadata, CancellationReasons: reasons });
    }
    if (this.random.chance(0.5)) throw new ProvisionedThroughputExceededException({ message: 'The level of configured provisioned throughput for the table was exceeded (simulated).', $metadata });
    throw new ThrottlingException({ message: 'Throughput exceeds the current capacity of your table or index (simulated).', $metadata });
  }

  private entryFault(entry: PutEventsRequestEntry): string | undefined {
    if (this.healed) return undefined;
    const key = envelopeIdOf(entry);
    const left = key ? this.stickyPublish.get(key) : undefined;
    if (key && left !== undefined) {
      if (left <= 1) this.stickyPublish.delete(key);
      else this.stickyPublish.set(key, left - 1);
      return NON_RETRYABLE_PUBLISH_ERRORS[0];
    }
    if (!this.roll('publishFailure')) return undefined;
    this.bump('publishFailure');
    if (key && this.random.chance(1 / 3)) {
      this.bump('publishFailurePermanent');
      const code = NON_RETRYABLE_PUBLISH_ERRORS[this.random.int(NON_RETRYABLE_PUBLISH_ERRORS.length)]!;
      if (this.sticky > 1) this.stickyPublish.set(key, this.sticky - 1);
      return code;
    }
    const code = RETRYABLE_PUBLISH_ERRORS[this.random.int(RETRYABLE_PUBLISH_ERRORS.length)]!;
    if (!RETRYABLE_ENTRY_ERRORS.has(code)) throw new LocalCloudError(`Fault table out of date: ${code} should be retryable.`);
    return code;
  }
}

function detailTypeOf(body: string): string | undefined {
  const match = /"detail-type":"([^"]*)"/.exec(body);
  return match?.[1];
}

function envelopeIdOf(entry: PutEventsRequestEntry): string | undefined {
  try {
    const detail = JSON.parse(entry.Detail ?? '') as { eventId?: unknown };
    return typeof detail.eventId === 'string' ? detail.eventId : undefined;
  } catch {
    return undefined;
  }
}
