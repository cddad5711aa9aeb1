import { appendBounded, DEFAULT_RETAINED } from './bounded.js';
import type { EventBridgeClient, PutEventsRequestEntry, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { entrySize, PUT_EVENTS_MAX_BYTES, PUT_EVENTS_MAX_ENTRIES } from '../runtime/relay/index.js';
import type { Clock } from '../runtime/shared/index.js';
import { LocalCloudError } from './errors.js';
import { compilePattern } from './pattern/index.js';
import { skipMiddlewareAfterInProcessAnswer } from './sdk-stack.js';
import type { LocalQueue } from './queue.js';

export interface LocalRule {
  readonly name: string;
  readonly pattern: unknown;
  readonly target: LocalQueue;
  readonly matcher: { matches(event: unknown): boolean };
}

/** A published event as EventBridge would deliver it to a target. */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: unknown;
}

/** Per-entry fault injection: return an EventBridge error code to fail the entry. */
export type EntryFault = (entry: PutEventsRequestEntry) => string | undefined;

/** Thrown for requests EventBridge would refuse as a whole (HTTP 400 ValidationException). */
export class LocalBusValidationError extends LocalCloudError {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationException';
  }
}

/**
 * An EventBridge bus in process: PutEvents validation and limits, a fresh event id per entry (as
 * EventBridge assigns), rules with faithful pattern matching, delivery of the event JSON to SQS
 * targets, and an archive of everything published.
 *
 * @example
 * ```ts
 * const bus = new LocalEventBus('orders', clock, ids);
 * bus.addRule('inventory-OrderRequested', { 'detail-type': ['OrderRequested'] }, inventoryQueue);
 * bus.attachTo(eventBridgeClient); // PutEventsCommand now lands here
 * ```
 */
export class LocalEventBus {
  readonly rules: LocalRule[] = [];
  /** The most recent events put on the bus (at most `archiveLimit`), for inspection. */
  readonly archive: BusEvent[] = [];
  private putEventsCalls = 0;
  private publishedCount = 0;
  private readonly listeners: ((event: BusEvent) => void)[] = [];
  entryFault: EntryFault | undefined;

  constructor(
    readonly name: string,
    private readonly clock: Clock,
    private readonly newId: () => string,
    /** Events kept in `archive`; older ones are dropped (a soak would otherwise grow without bound). @default 10 000 */
    private readonly archiveLimit = DEFAULT_RETAINED,
  ) {}

  /** Every event accepted so far, archived or not. */
  get published(): number {
    return this.publishedCount;
  }

  /** Calls `listener` with each event the bus accepts (for tools that need all of them, beyond the archive's cap). */
  onEvent(listener: (event: BusEvent) => void): void {
    this.listeners.push(listener);
  }

  get calls(): number {
    return this.putEventsCalls;
  }

  addRule(name: string, pattern: unknown, target: LocalQueue): void {
    this.rules.push({ name, pattern, target, matcher: compilePattern(pattern) });
  }

  /** Removes every rule that targets `target` (a consumer being redeployed or retired); returns how many. */
  removeRulesTargeting(target: LocalQueue): number {
    const before = this.rules.length;
    for (let i = this.rules.length - 1; i >= 0; i--) if (this.rules[i]!.target === target) this.rules.splice(i, 1);
    return before - this.rules.length;
  }

  putEvents(entries: readonly PutEventsRequestEntry[]): PutEventsResultEntry[] {
    this.putEventsCalls++;
    if (entries.length === 0 || entries.length > PUT_EVENTS_MAX_ENTRIES) {
      throw new LocalBusValidationError(`PutEvents takes 1 to ${PUT_EVENTS_MAX_ENTRIES} entries, got ${entries.length}.`);
    }
    const total = entries.reduce((n, e) => n + entrySize(e), 0);
    if (total > PUT_EVENTS_MAX_BYTES) {
      throw new LocalBusValidationError(`PutEvents request is ${total} bytes; the limit is ${PUT_EVENTS_MAX_BYTES}.`);
    }
    return entries.map((entry) => this.putOne(entry));
  }

  private putOne(entry: PutEventsRequestEntry): PutEventsResultEntry {
    if (entry.EventBusName && entry.EventBusName !== this.name && !entry.EventBusName.endsWith(`/${this.name}`)) {
      return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${entry.EventBusName} does not exist.` };
    }
    if (!entry.Source || !entry.DetailType || !entry.Detail) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Source, DetailType and Detail are required.' };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not valid JSON.' };
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail must be a JSON object.' };
    }
    const fault = this.entryFault?.(entry);
    if (fault) return { ErrorCode: fault, ErrorMessage: `Injected fault: ${fault}` };
    const event: BusEvent = {
      version: '0',
      id: this.newId(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: '000000000000',
      time: (entry.Time ?? new Date(this.clock.now())).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: 'local',
      resources: entry.Resources ?? [],
      detail,
    };
    appendBounded(this.archive, event, this.archiveLimit);
    this.publishedCount++;
    for (const listener of this.listeners) listener(event);
    const body = JSON.stringify(event);
    // EventBridge hands an entry's TraceHeader to SQS targets as the message's AWSTraceHeader.
    const traceHeader = entry.TraceHeader ? { traceHeader: entry.TraceHeader } : {};
    for (const rule of this.rules) if (rule.matcher.matches(event)) rule.target.send(body, traceHeader);
    return { EventId: event.id };
  }

  /**
   * Routes an EventBridge client's PutEvents calls to this bus, so the relay runs its real AWS
   * adapter code locally (and SDK middleware, such as call counters, still sees every call).
   */
  attachTo(client: EventBridgeClient): void {
    client.middlewareStack.add(
      (_next, context) => async (args) => {
        if (context.commandName !== 'PutEventsCommand') throw new LocalCloudError(`The local bus supports PutEvents only, not ${context.commandName}.`);
        const input = args.input as { Entries?: PutEventsRequestEntry[] };
        const results = this.putEvents(input.Entries ?? []);
        return { output: { $metadata: { httpStatusCode: 200 }, FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results }, response: {} } as never;
      },
      { step: 'initialize', name: 'localEventBus', priority: 'low' },
    );
    skipMiddlewareAfterInProcessAnswer(client);
  }
}
