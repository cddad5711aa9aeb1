import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, type DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CallRecord } from './count-calls.js';
import { isReplayable, rawCommand, sendRaw } from './replay.js';

/**
 * Replays a recorded run's calls against another table, one after the other, with raw clients:
 * DynamoDB calls with their wire-form inputs (table name swapped), DynamoDB Streams calls against
 * the other table's stream (same calls in the same places; iterators are the other stream's own).
 * This is "the same sequence of raw calls issued directly": the floor a framework cannot beat.
 */
export class FloorReplay {
  /** The target stream's shard iterator per source shard id. */
  private readonly iterators = new Map<string, string | undefined>();
  /** Source iterator → source shard id, learnt from the recorded outputs. */
  private readonly shardOfIterator = new Map<string, string>();
  /** Source shard id → target shard id, by position in DescribeStream. */
  private readonly shardMap = new Map<string, string>();
  refused = 0;
  replayed = 0;
  /** Wall time per command name, for comparing with the recorded run's. */
  readonly timings = new Map<string, number[]>();

  constructor(
    private readonly dynamo: DynamoDBClient,
    private readonly streams: DynamoDBStreamsClient,
    private readonly source: { readonly tableName: string; readonly streamArn: string },
    private readonly target: { readonly tableName: string; readonly streamArn: string },
  ) {}

  /** Builds the commands first (not timed), then returns a function that sends them in order. */
  prepare(calls: readonly CallRecord[]): () => Promise<void> {
    const replacements = new Map([[this.source.tableName, this.target.tableName]]);
    const steps: (() => Promise<void>)[] = [];
    for (const call of calls) {
      if (call.service === 'dynamodb') {
        if (!isReplayable(call.command)) throw new Error(`Floor replay cannot issue ${call.command}.`);
        const command = rawCommand(call, replacements);
        steps.push(async () => {
          const r = await sendRaw(this.dynamo, command);
          this.replayed++;
          if (!r.ok) this.refused++;
        });
      } else if (call.service === 'dynamodb-streams') {
        steps.push(this.streamStep(call));
      }
    }
    const names = calls.filter((c) => c.service === 'dynamodb' || c.service === 'dynamodb-streams').map((c) => c.command);
    return async () => {
      for (let i = 0; i < steps.length; i++) {
        const start = performance.now();
        await steps[i]!();
        const name = names[i]!;
        if (!this.timings.has(name)) this.timings.set(name, []);
        this.timings.get(name)!.push(performance.now() - start);
      }
    };
  }

  private streamStep(call: CallRecord): () => Promise<void> {
    const input = call.input ?? {};
    const output = call.output ?? {};
    if (call.command === 'DescribeStream') {
      const sourceShards = ((output.Shards as { ShardId?: string }[] | undefined) ?? []).map((s) => s.ShardId ?? '');
      return async () => {
        const out = await this.streams.send(new DescribeStreamCommand({ StreamArn: this.target.streamArn }));
        const targetShards = (out.StreamDescription?.Shards ?? []).map((s) => s.ShardId ?? '');
        sourceShards.forEach((id, i) => {
          const t = targetShards[i] ?? targetShards[targetShards.length - 1];
          if (t && !this.shardMap.has(id)) this.shardMap.set(id, t);
        });
        this.replayed++;
      };
    }
    if (call.command === 'GetShardIterator') {
      const sourceShard = String(input.ShardId ?? '');
      if (typeof output.ShardIterator === 'string') this.shardOfIterator.set(output.ShardIterator, sourceShard);
      return async () => {
        const shard = this.shardMap.get(sourceShard);
        if (!shard) throw new Error(`Floor replay: no target shard for ${sourceShard}; DescribeStream was not replayed first.`);
        const out = await this.streams.send(new GetShardIteratorCommand({ StreamArn: this.target.streamArn, ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' }));
        this.iterators.set(sourceShard, out.ShardIterator);
        this.replayed++;
      };
    }
    if (call.command === 'GetRecords') {
      const sourceShard = this.shardOfIterator.get(String(input.ShardIterator ?? '')) ?? '';
      if (typeof output.NextShardIterator === 'string') this.shardOfIterator.set(output.NextShardIterator, sourceShard);
      return async () => {
        const iterator = this.iterators.get(sourceShard);
        this.replayed++;
        if (!iterator) return;
        const out = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: Number(input.Limit ?? 1000) }));
        this.iterators.set(sourceShard, out.NextShardIterator);
      };
    }
    throw new Error(`Floor replay cannot issue streams command ${call.command}.`);
  }
}
