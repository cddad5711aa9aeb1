import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamApiRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { compilePattern } from './pattern/index.js';

export interface StreamPollerOptions {
  readonly streamsClient: DynamoDBStreamsClient;
  readonly streamArn: string;
  /** Lambda event filter (EventBridge pattern syntax); non-matching records are skipped. */
  readonly filter?: unknown;
  /** @default 100 */
  readonly batchSize?: number;
  /** Retries of a failing record before it goes to the on-failure destination. @default 5 */
  readonly retryAttempts?: number;
  /** What Lambda sends to the on-failure destination: the records it gave up on. */
  readonly onFailure?: (records: DynamoDBRecord[], reason: string) => void;
  /**
   * Records the poller could not read because the stream trimmed them before it got there (the
   * 24-hour retention passed): Lambda's event source skips them and its IteratorAge alarm tells.
   */
  readonly onTrimmed?: (shardId: string, reason: string) => void;
  /**
   * A cheap hint that the stream may have new records (the in-process engine's change counter):
   * when it says no, `fetch` skips its GetRecords calls. Absent, every fetch reads the stream.
   */
  readonly changeCounter?: () => number;
  /**
   * The stream's GetRecords returns every record up to its Limit, so a shorter page is the tip of
   * the shard and ends the fetch (true of the in-process engine). DynamoDB Streams may return a
   * short page anywhere, so by default a fetch reads on until a page comes back empty — one extra
   * call per fetch, half of all GetRecords in a local run. @default false
   */
  readonly shortPageIsTip?: boolean;
}

/** Records asked for per GetRecords (the API's maximum). */
const GET_RECORDS_LIMIT = 1000;

interface ShardState {
  iterator: string | undefined;
  closed: boolean;
  /** Last sequence number read, to resume after an expired iterator. */
  lastSequence: string | undefined;
}

/**
 * A Lambda DynamoDB-stream event source over a DynamoDB stream (the engine's, or any endpoint's): same record shape,
 * filter criteria, batch size, ReportBatchItemFailures (resume from the first failed sequence
 * number), bisect on error, bounded retries and an on-failure destination.
 */
export class StreamPoller {
  private readonly shards = new Map<string, ShardState>();
  private buffer: DynamoDBRecord[] = [];
  private headFailures = 0;
  private readonly matcher: { matches(e: unknown): boolean } | undefined;
  private readonly batchSize: number;
  private readonly retryAttempts: number;
  private bisectTo: number | undefined;
  private fetches = 0;
  private needDiscovery = true;
  private seenChanges: number | undefined;

  constructor(private readonly options: StreamPollerOptions) {
    this.matcher = options.filter ? compilePattern(options.filter) : undefined;
    this.batchSize = options.batchSize ?? 100;
    this.retryAttempts = options.retryAttempts ?? 5;
  }

  get pending(): number {
    return this.buffer.length;
  }

  /** Reads every new record from all open shards into the buffer (filtered). */
  async fetch(): Promise<number> {
    const changes = this.options.changeCounter?.();
    if (changes !== undefined && changes === this.seenChanges && !this.needDiscovery) return 0;
    this.seenChanges = changes;
    // DescribeStream is the expensive call: only when starting, when a shard closed, or now and then.
    if (this.needDiscovery || this.fetches % 50 === 0) await this.discoverShards();
    this.fetches++;
    let fetched = 0;
    for (const [shardId, state] of [...this.shards.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      while (state.iterator && !state.closed) {
        const out = await this.getRecords(shardId, state);
        if (!out) continue;
        const records = (out.Records ?? []).map((r) => toLambdaRecord(r, this.options.streamArn));
        if (records.length) state.lastSequence = records[records.length - 1]!.dynamodb?.SequenceNumber;
        for (const r of records) if (!this.matcher || this.matcher.matches(r)) this.buffer.push(r);
        fetched += records.length;
        state.iterator = out.NextShardIterator;
        if (!out.NextShardIterator) {
          state.closed = true;
          this.needDiscovery = true; // a closed shard has children to follow
        }
        if (records.length === 0 || (this.options.shortPageIsTip && records.length < GET_RECORDS_LIMIT)) break;
      }
    }
    return fetched;
  }

  /**
   * Delivers one batch to the handler. Returns false when there was nothing to deliver.
   * Failures are retried on the next call, from the first failed record.
   */
  async deliver(handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>): Promise<boolean> {
    if (this.buffer.length === 0) return false;
    const size = Math.min(this.bisectTo ?? this.batchSize, this.batchSize);
    const batch = this.buffer.slice(0, size);
    let failedAt: number;
    try {
      const response = await handler({ Records: batch });
      const failedSeqs = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      failedAt = batch.findIndex((r) => failedSeqs.has(r.dynamodb?.SequenceNumber ?? ''));
      this.bisectTo = undefined;
    } catch (error) {
      // A thrown error fails the whole batch: bisect it, as BisectBatchOnFunctionError does.
      // Halve the batch actually delivered (not the configured size, which may exceed the buffer).
      failedAt = 0;
      this.bisectTo = Math.max(1, Math.floor(batch.length / 2));
      if (batch.length > 1) return true;
      return this.countFailure(batch, `handler error: ${(error as Error).message}`);
    }
    if (failedAt === -1) {
      this.buffer = this.buffer.slice(batch.length);
      this.headFailures = 0;
      return true;
    }
    // Records before the first failure succeeded: a new head starts its own retry count.
    if (failedAt > 0) this.headFailures = 0;
    this.buffer = this.buffer.slice(failedAt);
    return this.countFailure(this.buffer.slice(0, 1), 'record reported in batchItemFailures');
  }

  private countFailure(records: DynamoDBRecord[], reason: string): true {
    this.headFailures++;
    if (this.headFailures > this.retryAttempts) {
      this.options.onFailure?.(records, `${reason}; gave up after ${this.retryAttempts} retries`);
      this.buffer = this.buffer.slice(records.length);
      this.headFailures = 0;
      this.bisectTo = undefined;
    }
    return true;
  }

  /**
   * One GetRecords; an expired iterator (15 minutes unused, e.g. while the virtual clock jumped)
   * is renewed after the last record read, and a trimmed position restarts at the trim horizon,
   * reported through `onTrimmed`. Returns undefined when the iterator was replaced.
   */
  private async getRecords(shardId: string, state: ShardState) {
    try {
      return await this.options.streamsClient.send(new GetRecordsCommand({ ShardIterator: state.iterator, Limit: GET_RECORDS_LIMIT }));
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'ExpiredIteratorException') {
        state.iterator = await this.iteratorFor(shardId, state.lastSequence ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: state.lastSequence } : { ShardIteratorType: 'TRIM_HORIZON' });
        return undefined;
      }
      if (name === 'TrimmedDataAccessException') {
        this.options.onTrimmed?.(shardId, (error as Error).message);
        state.iterator = await this.iteratorFor(shardId, { ShardIteratorType: 'TRIM_HORIZON' });
        return undefined;
      }
      throw error;
    }
  }

  private async iteratorFor(shardId: string, position: { ShardIteratorType: 'TRIM_HORIZON' | 'AFTER_SEQUENCE_NUMBER'; SequenceNumber?: string }): Promise<string | undefined> {
    try {
      const it = await this.options.streamsClient.send(new GetShardIteratorCommand({ StreamArn: this.options.streamArn, ShardId: shardId, ...position }));
      return it.ShardIterator;
    } catch (error) {
      if ((error as Error).name !== 'TrimmedDataAccessException') throw error;
      this.options.onTrimmed?.(shardId, (error as Error).message);
      const it = await this.options.streamsClient.send(new GetShardIteratorCommand({ StreamArn: this.options.streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
      return it.ShardIterator;
    }
  }

  private async discoverShards(): Promise<void> {
    this.needDiscovery = false;
    const out = await this.options.streamsClient.send(new DescribeStreamCommand({ StreamArn: this.options.streamArn }));
    for (const shard of out.StreamDescription?.Shards ?? []) {
      if (!shard.ShardId || this.shards.has(shard.ShardId)) continue;
      const it = await this.options.streamsClient.send(new GetShardIteratorCommand({ StreamArn: this.options.streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
      this.shards.set(shard.ShardId, { iterator: it.ShardIterator, closed: false, lastSequence: undefined });
    }
  }
}

/** DynamoDB Streams API record → the JSON shape Lambda hands to a stream-triggered function. */
function toLambdaRecord(r: StreamApiRecord, streamArn: string): DynamoDBRecord {
  const d = r.dynamodb ?? {};
  return {
    eventID: r.eventID,
    eventName: r.eventName as DynamoDBRecord['eventName'],
    eventVersion: r.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: r.awsRegion ?? 'us-east-1',
    eventSourceARN: streamArn,
    dynamodb: {
      ApproximateCreationDateTime: d.ApproximateCreationDateTime ? Math.floor(d.ApproximateCreationDateTime.getTime() / 1000) : undefined,
      Keys: d.Keys as never,
      NewImage: d.NewImage as never,
      OldImage: d.OldImage as never,
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType as 'NEW_IMAGE',
    },
  };
}
