import { AsyncLocalStorage } from 'node:async_hooks';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { itemSize, plainItemSize } from './capacity.js';

/** The services whose calls the benchmark counts. */
export type Service = 'dynamodb' | 'dynamodb-streams' | 'eventbridge';

/** One SDK call as seen by the counting middleware. */
export interface CallRecord {
  readonly seq: number;
  readonly service: Service;
  /** SDK command name without the `Command` suffix, e.g. `TransactWriteItems`. */
  readonly command: string;
  /** What the harness was doing (a participant step, the relay, the harness itself). */
  readonly scope: string;
  /** Items in a TransactWriteItems / BatchWriteItem, entries in a PutEvents. */
  readonly items: number;
  /** PutEvents: bytes EventBridge counts against the request limit. */
  readonly requestBytes: number;
  ok: boolean;
  /** Wall time of the call as the client saw it. */
  ms?: number;
  errorName?: string;
  /** Items DynamoDB read: Query/Scan `ScannedCount`, GetItem 1 when an item came back. */
  scanned?: number;
  /** GetItem: size of the item returned (0 when none), kept when `recordInputs` is on. */
  outputBytes?: number;
  /** The wire-level (marshalled) input, kept only when `recordInputs` is on (floor replay). */
  input?: Record<string, unknown>;
  /** Selected output fields (stream iterators), kept only when `recordInputs` is on. */
  output?: Record<string, unknown>;
}

export interface AttachOptions {
  /** Keep each call's marshalled input (for replay and item sizes) and GetItem output sizes. @default false */
  readonly recordInputs?: boolean;
}

/** The part of an AWS SDK v3 client the counter needs (kept structural: no @smithy imports). */
export interface Stackful {
  readonly middlewareStack: { add(middleware: unknown, options: Record<string, unknown>): void };
}

type Args = { input: Record<string, unknown>; request?: unknown };
type Next = (args: Args) => Promise<{ output: Record<string, unknown>; response?: unknown }>;
type Context = { commandName?: string; [key: symbol]: CallRecord | undefined };

const RECORD = Symbol('bench.callRecord');
const AV_TYPES = new Set(['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS']);

/** EventBridge's size rule for one PutEvents entry (Source + DetailType + Detail + Resources, +14 with Time). */
function putEventsBytes(entries: readonly Record<string, unknown>[]): number {
  let total = 0;
  for (const e of entries) {
    if (e.Time) total += 14;
    for (const key of ['Source', 'DetailType', 'Detail'] as const) if (typeof e[key] === 'string') total += Buffer.byteLength(e[key], 'utf8');
    for (const r of (e.Resources as string[] | undefined) ?? []) total += Buffer.byteLength(r, 'utf8');
  }
  return total;
}

/** Size of a returned item, in wire form (raw client) or plain values (document client). */
function returnedItemBytes(item: Record<string, unknown> | undefined): number {
  if (!item) return 0;
  const wire = Object.values(item).every((v) => typeof v === 'object' && v !== null && Object.keys(v).length === 1 && AV_TYPES.has(Object.keys(v)[0]!));
  return wire ? itemSize(item as Record<string, AttributeValue>) : plainItemSize(item);
}

/**
 * Counts AWS SDK calls with client middleware — what goes over the wire, not what the code says it
 * does. Calls are attributed to the current scope ({@link CallCounter.withScope}), an
 * AsyncLocalStorage value, so a participant's calls are told apart from the tracker's and the relay's.
 *
 * @example
 * ```ts
 * const counter = new CallCounter();
 * counter.attach(documentClient, 'dynamodb');
 * await counter.withScope('order.createOrder', () => handler(event));
 * counter.count({ scope: 'order.createOrder', command: 'TransactWriteItems' }); // 1
 * ```
 */
export class CallCounter {
  readonly calls: CallRecord[] = [];
  private readonly scopes = new AsyncLocalStorage<string>();
  private readonly attached = new WeakSet<object>();
  private seq = 0;
  /** Scope of calls made outside any {@link withScope}. */
  defaultScope = 'unscoped';

  withScope<T>(scope: string, fn: () => Promise<T>): Promise<T> {
    return this.scopes.run(scope, fn);
  }

  currentScope(): string {
    return this.scopes.getStore() ?? this.defaultScope;
  }

  /**
   * Adds the counting middleware to a client (idempotent per client). It sits at the front of the
   * `initialize` step, so it also sees calls a later middleware answers locally (the local bus).
   */
  attach(client: Stackful, service: Service, options: AttachOptions = {}): void {
    if (this.attached.has(client)) return;
    this.attached.add(client);
    const stack = client.middlewareStack;
    stack.add(
      (next: Next, context: Context) => async (args: Args) => {
        const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        const input = args.input;
        const items = Array.isArray(input.TransactItems)
          ? input.TransactItems.length
          : Array.isArray(input.Entries)
            ? input.Entries.length
            : input.RequestItems
              ? Object.values(input.RequestItems as Record<string, unknown[]>).reduce((n, l) => n + l.length, 0)
              : 1;
        const record: CallRecord = {
          seq: this.seq++,
          service,
          command,
          scope: this.currentScope(),
          items,
          requestBytes: Array.isArray(input.Entries) ? putEventsBytes(input.Entries as Record<string, unknown>[]) : 0,
          ok: false,
        };
        context[RECORD] = record;
        this.calls.push(record);
        const start = performance.now();
        try {
          const result = await next(args);
          record.ms = performance.now() - start;
          record.ok = true;
          const out = result.output;
          if (command === 'Query' || command === 'Scan') record.scanned = Number(out.ScannedCount ?? out.Count ?? 0);
          if (command === 'GetItem') record.scanned = out.Item ? 1 : 0;
          if (options.recordInputs && command === 'GetItem') record.outputBytes = returnedItemBytes(result.output.Item as Record<string, unknown> | undefined);
          if (options.recordInputs && service === 'dynamodb-streams') {
            const o = result.output;
            record.output = { ShardIterator: o.ShardIterator, NextShardIterator: o.NextShardIterator, Shards: (o.StreamDescription as { Shards?: unknown[] } | undefined)?.Shards };
          }
          return result;
        } catch (error) {
          record.ms = performance.now() - start;
          record.errorName = (error as { name?: string }).name ?? 'Error';
          throw error;
        }
      },
      { step: 'initialize', priority: 'high', name: 'benchCallCounter', override: true },
    );
    if (options.recordInputs) {
      // After serialization the input is in wire form (lib-dynamodb has marshalled it), which is
      // what a raw client replays.
      stack.add(
        (next: Next, context: Context) => async (args: Args) => {
          const record = context[RECORD];
          if (record) record.input = args.input;
          return next(args);
        },
        { step: 'build', priority: 'high', name: 'benchInputRecorder', override: true },
      );
    }
  }

  /** Number of calls matching a filter. */
  count(filter: Partial<Pick<CallRecord, 'service' | 'command' | 'scope'>> = {}): number {
    return this.select(filter).length;
  }

  select(filter: Partial<Pick<CallRecord, 'service' | 'command' | 'scope'>> = {}): CallRecord[] {
    return this.calls.filter((c) => (filter.service === undefined || c.service === filter.service) && (filter.command === undefined || c.command === filter.command) && (filter.scope === undefined || c.scope === filter.scope));
  }

  /** Calls grouped by scope, then by `service:command`. */
  byScope(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const c of this.calls) {
      const s = (out[c.scope] ??= {});
      const key = `${c.service}:${c.command}`;
      s[key] = (s[key] ?? 0) + 1;
    }
    return out;
  }

  /** Forgets every call so far (keeps the attachments). */
  reset(): void {
    this.calls.length = 0;
  }
}

/**
 * Attaches the counter to every client of a class on its first call, for clients the harness cannot
 * reach (the local cloud keeps its DynamoDB Streams client private). Returns the undo function.
 * A `LocalCloud.streamsClient` accessor would make this unnecessary.
 */
export function attachToEveryInstance(clientClass: { prototype: object }, counter: CallCounter, service: Service, options: AttachOptions = {}): () => void {
  const proto = clientClass.prototype as { send: (...args: unknown[]) => unknown };
  const own = Object.prototype.hasOwnProperty.call(proto, 'send');
  const original = proto.send;
  proto.send = function send(this: Stackful, ...args: unknown[]) {
    counter.attach(this, service, options);
    return original.apply(this, args);
  };
  return () => {
    if (own) proto.send = original;
    else delete (proto as { send?: unknown }).send;
  };
}
