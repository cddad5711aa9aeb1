import { cloneItem } from '../clone.js';
import { DynamoDbError, validation } from '../errors.js';
import type { EngineState } from '../state.js';
import { decodeIterator, type StreamLog } from '../streams.js';
import type { OperationInput, OperationOutput } from '../types.js';

function streams(state: EngineState): StreamLog[] {
  return [...state.tables.values()].flatMap((t) => (t.stream ? [t.stream] : []));
}

function streamOf(state: EngineState, arn: unknown): StreamLog {
  const stream = streams(state).find((s) => s.arn === arn);
  if (!stream) throw new DynamoDbError('ResourceNotFoundException', `Requested resource not found: Stream: ${String(arn)} not found`);
  return stream;
}

export function listStreams(state: EngineState, input: OperationInput): OperationOutput {
  let all = streams(state).sort((a, b) => (a.arn < b.arn ? -1 : 1));
  if (input.TableName !== undefined) all = all.filter((s) => s.tableName === input.TableName);
  if (typeof input.ExclusiveStartStreamArn === 'string') all = all.filter((s) => s.arn > (input.ExclusiveStartStreamArn as string));
  const limit = input.Limit === undefined ? 100 : Number(input.Limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw validation(`1 validation error detected: Value '${String(input.Limit)}' at 'limit' failed to satisfy constraint: Member must have value ${limit < 1 ? 'greater than or equal to 1' : 'less than or equal to 100'}`);
  }
  const page = all.slice(0, limit);
  const out: OperationOutput = { Streams: page.map((s) => ({ StreamArn: s.arn, TableName: s.tableName, StreamLabel: s.label })) };
  if (all.length > limit) out.LastEvaluatedStreamArn = page[page.length - 1]!.arn;
  return out;
}

export function describeStream(state: EngineState, input: OperationInput): OperationOutput {
  const stream = streamOf(state, input.StreamArn);
  const key = stream.keySchema;
  return {
    StreamDescription: {
      StreamArn: stream.arn,
      StreamLabel: stream.label,
      StreamStatus: 'ENABLED',
      StreamViewType: stream.viewType,
      CreationRequestDateTime: stream.createdAt,
      TableName: stream.tableName,
      KeySchema: key.range === undefined ? [{ AttributeName: key.hash, KeyType: 'HASH' }] : [{ AttributeName: key.hash, KeyType: 'HASH' }, { AttributeName: key.range, KeyType: 'RANGE' }],
      Shards: [{ ShardId: stream.shardId, SequenceNumberRange: { StartingSequenceNumber: stream.startingSequenceNumber } }],
    },
  };
}

export function getShardIterator(state: EngineState, input: OperationInput): OperationOutput {
  const stream = streamOf(state, input.StreamArn);
  return { ShardIterator: stream.iterator(input, state.now()) };
}

export function getRecords(state: EngineState, input: OperationInput): OperationOutput {
  const iterator = decodeIterator(input.ShardIterator);
  const limit = input.Limit === undefined ? 1000 : Number(input.Limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw validation(`1 validation error detected: Value '${String(input.Limit)}' at 'limit' failed to satisfy constraint: Member must have value ${limit < 1 ? 'greater than or equal to 1' : 'less than or equal to 1000'}`);
  }
  const stream = streams(state).find((s) => s.arn === iterator.arn);
  // A deleted table's stream is gone; its readers see the shard as closed.
  if (!stream) throw new DynamoDbError('ResourceNotFoundException', `Requested resource not found: Stream: ${iterator.arn} not found`);
  const { records, next } = stream.read(iterator, limit, state.now());
  return { Records: records.map((r) => stream.toOutput(r, cloneItem)), NextShardIterator: next };
}
