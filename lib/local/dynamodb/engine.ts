import { randomUUID } from 'node:crypto';
import { DynamoDbError } from './errors.js';
import { batchGetItem, batchWriteItem } from './operations/batch.js';
import { deleteItem, getItem, putItem, updateItem } from './operations/items.js';
import { query, scan } from './operations/reads.js';
import { describeStream, getRecords, getShardIterator, listStreams } from './operations/streams.js';
import { createTable, deleteTable, describeTable, describeTimeToLive, listTables, updateTable, updateTimeToLive } from './operations/tables.js';
import { transactGetItems, transactWriteItems } from './operations/transactions.js';
import type { EngineState } from './state.js';
import type { OperationInput, OperationOutput } from './types.js';

export interface DynamoDbEngineOptions {
  /** The clock (epoch ms) for timestamps, TTL, iterator expiry and token windows. @default Date.now */
  readonly now?: () => number;
  /** @default AWS_REGION, else 'us-east-1' */
  readonly region?: string;
  /** Account id in ARNs. @default '000000000000' */
  readonly accountId?: string;
  /**
   * Stream records kept per table; older ones are trimmed, as records older than 24 hours are in
   * DynamoDB Streams. @default 100000
   */
  readonly streamRetention?: number;
  /** Ids (table ids). @default crypto.randomUUID — pass a seeded source for byte-identical runs */
  readonly ids?: () => string;
  /**
   * Milliseconds every request waits before the engine runs it, on both transports (the SDK fast
   * path of `attachDynamoDbEngine` and the HTTP server of `startLocalDynamoDb`): a fixed stand-in
   * for the network and service time each call to AWS costs, so round trips count locally as they
   * do there. Fixed, not drawn at random, so runs stay comparable; concurrent requests wait side by
   * side, as calls in flight to AWS do. @default 0 (no wait)
   *
   * @example
   * ```ts
   * const local = await startLocalDynamoDb({ engine: new DynamoDbEngine({ requestDelayMs: 4 }) });
   * ```
   */
  readonly requestDelayMs?: number;
  /** How the request delay is waited for. @default a `setTimeout` of that many ms (tests inject a fake) */
  readonly sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Operation = (state: EngineState, input: OperationInput) => OperationOutput;

const OPERATIONS: Readonly<Record<string, Operation>> = {
  CreateTable: createTable,
  UpdateTable: updateTable,
  DeleteTable: deleteTable,
  DescribeTable: describeTable,
  ListTables: listTables,
  UpdateTimeToLive: updateTimeToLive,
  DescribeTimeToLive: describeTimeToLive,
  PutItem: putItem,
  GetItem: getItem,
  UpdateItem: updateItem,
  DeleteItem: deleteItem,
  Query: query,
  Scan: scan,
  BatchGetItem: batchGetItem,
  BatchWriteItem: batchWriteItem,
  TransactWriteItems: transactWriteItems,
  TransactGetItems: transactGetItems,
  ListStreams: listStreams,
  DescribeStream: describeStream,
  GetShardIterator: getShardIterator,
  GetRecords: getRecords,
};

/**
 * An in-memory DynamoDB + DynamoDB Streams: tables with composite keys and secondary indexes,
 * conditional writes and every expression, transactions, batches, paginated queries and scans,
 * streams with all four view types, TTL driven by the given clock. Operations run one at a time and
 * synchronously, so each is atomic and a seeded caller gets the same results every run.
 *
 * Reach it through the AWS SDK (`attachDynamoDbEngine`) or over HTTP (`startLocalDynamoDb`);
 * `execute` is the shared entry point both use.
 *
 * @example
 * ```ts
 * const engine = new DynamoDbEngine();
 * engine.execute('CreateTable', { TableName: 'orders', BillingMode: 'PAY_PER_REQUEST',
 *   AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] });
 * engine.execute('PutItem', { TableName: 'orders', Item: { pk: { S: 'o-1' }, total: { N: '12' } } });
 * engine.execute('GetItem', { TableName: 'orders', Key: { pk: { S: 'o-1' } } }); // { Item: { pk: …, total: { N: '12' } } }
 * ```
 */
export class DynamoDbEngine {
  /** Names of the operations this engine serves (anything else is UnknownOperationException). */
  static readonly operations: readonly string[] = Object.keys(OPERATIONS);
  private readonly state: EngineState;
  private operationCount = 0;
  /** See {@link DynamoDbEngineOptions.requestDelayMs}. */
  readonly requestDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: DynamoDbEngineOptions = {}) {
    const delay = options.requestDelayMs ?? 0;
    if (!Number.isFinite(delay) || delay < 0) throw new RangeError(`requestDelayMs must be a finite number of milliseconds ≥ 0, got ${String(options.requestDelayMs)}.`);
    this.requestDelayMs = delay;
    this.sleep = options.sleep ?? realSleep;
    const ids = options.ids ?? randomUUID;
    this.state = {
      tables: new Map(),
      now: options.now ?? Date.now,
      region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
      accountId: options.accountId ?? '000000000000',
      streamRetention: options.streamRetention ?? 100_000,
      transactionTokens: new Map(),
      nextId: ids,
    };
  }

  get region(): string {
    return this.state.region;
  }

  /** Operations executed so far (every call, failed ones included). */
  get operationsExecuted(): number {
    return this.operationCount;
  }

  /**
   * Waits the request delay ({@link DynamoDbEngineOptions.requestDelayMs}); the transports await it
   * before each {@link execute}. Resolves at once when there is none.
   */
  async awaitRequestDelay(): Promise<void> {
    if (this.requestDelayMs > 0) await this.sleep(this.requestDelayMs);
  }

  /**
   * Executes one DynamoDB or DynamoDB Streams operation by its API name. Input and output are in
   * the AWS SDK v3 shape (binary as Uint8Array, timestamps as Date). Throws {@link DynamoDbError}.
   */
  execute(operation: string, input: OperationInput = {}): OperationOutput {
    this.operationCount++;
    const run = OPERATIONS[operation];
    if (!run) throw new DynamoDbError('UnknownOperationException', `Operation ${operation} is not supported by this engine; supported: ${DynamoDbEngine.operations.join(', ')}.`);
    return run(this.state, input ?? {});
  }

  /**
   * Deletes every item whose TTL attribute is in the past (by the engine's clock), as DynamoDB's
   * background TTL process does; each deletion appears in the table's stream as a REMOVE with the
   * service's `userIdentity`. Returns how many items were deleted. The local cloud calls this on a
   * schedule; DynamoDB itself may take up to a few days.
   */
  expireItems(options: { readonly limitPerTable?: number } = {}): number {
    const now = this.state.now();
    let expired = 0;
    for (const table of this.state.tables.values()) expired += table.expire(now, options.limitPerTable ?? Number.POSITIVE_INFINITY);
    return expired;
  }

  /** Records appended to any table's stream so far (a cheap "anything new?" for pollers). */
  get streamChanges(): number {
    let n = 0;
    for (const table of this.state.tables.values()) n += table.stream?.appended ?? 0;
    return n;
  }

  /** Every table and its items dropped: a fresh engine without a new object. */
  reset(): void {
    this.state.tables.clear();
    this.state.transactionTokens.clear();
  }
}
