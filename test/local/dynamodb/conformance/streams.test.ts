import { DeleteItemCommand, DescribeTableCommand, PutItemCommand, TransactWriteItemsCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, ListStreamsCommand, type _Record, type ShardIteratorType } from '@aws-sdk/client-dynamodb-streams';
import { expect, it } from 'vitest';
import { expectDocumentedError, forEachTarget, type Target } from './targets.js';

/**
 * DynamoDB Streams: ListStreams, DescribeStream, GetShardIterator (TRIM_HORIZON / LATEST /
 * AT_SEQUENCE_NUMBER / AFTER_SEQUENCE_NUMBER), GetRecords, per view type.
 * API Reference (Streams): API_streams_ListStreams.html, API_streams_DescribeStream.html,
 * API_streams_GetShardIterator.html, API_streams_GetRecords.html, API_streams_StreamRecord.html.
 * Developer Guide, "Change data capture for DynamoDB Streams" (Streams.html): each record appears
 * exactly once, in the order of the item's modifications; "If you perform a PutItem or UpdateItem
 * operation that does not change any data in an item, DynamoDB Streams does not write a stream
 * record for that operation."
 */

type View = 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';
const S = (v: string): AttributeValue => ({ S: v });

async function streamArnOf(t: Target, TableName: string): Promise<string> {
  const { Table } = await t.client.send(new DescribeTableCommand({ TableName }));
  return Table!.LatestStreamArn!;
}

/** Every record from the given iterator type on every shard, oldest first. */
async function readRecords(t: Target, StreamArn: string, type: ShardIteratorType = 'TRIM_HORIZON', SequenceNumber?: string): Promise<_Record[]> {
  const { StreamDescription } = await t.streams.send(new DescribeStreamCommand({ StreamArn }));
  const records: _Record[] = [];
  for (const shard of StreamDescription?.Shards ?? []) {
    let iterator = (await t.streams.send(new GetShardIteratorCommand({ StreamArn, ShardId: shard.ShardId!, ShardIteratorType: type, ...(SequenceNumber ? { SequenceNumber } : {}) }))).ShardIterator;
    for (let i = 0; iterator && i < 5; i++) {
      const out = await t.streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
      records.push(...(out.Records ?? []));
      if (!out.Records?.length) break;
      iterator = out.NextShardIterator;
    }
  }
  return records.sort((a, b) => (BigInt(a.dynamodb!.SequenceNumber!) < BigInt(b.dynamodb!.SequenceNumber!) ? -1 : 1));
}

forEachTarget('streams', (t) => {
  it('lists the table stream and describes its shards', async () => {
    const TableName = await t.compositeTable({ stream: 'NEW_AND_OLD_IMAGES', prefix: 'str' });
    const arn = await streamArnOf(t, TableName);
    const listed = await t.streams.send(new ListStreamsCommand({ TableName }));
    expect(listed.Streams).toEqual([{ StreamArn: arn, TableName, StreamLabel: arn.split('/stream/')[1] }]);
    const { StreamDescription } = await t.streams.send(new DescribeStreamCommand({ StreamArn: arn }));
    expect(StreamDescription?.StreamArn).toBe(arn);
    expect(StreamDescription?.TableName).toBe(TableName);
    expect(StreamDescription?.StreamStatus).toBe('ENABLED');
    expect(StreamDescription?.StreamViewType).toBe('NEW_AND_OLD_IMAGES');
    expect(StreamDescription?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(StreamDescription?.Shards?.length).toBeGreaterThanOrEqual(1);
    expect(StreamDescription?.Shards?.[0]?.ShardId).toMatch(/^shardId-/);
    expect(StreamDescription?.Shards?.[0]?.SequenceNumberRange?.StartingSequenceNumber).toMatch(/^\d+$/);
  });

  const expectations: Record<View, { newImage: boolean; oldImage: boolean }> = {
    KEYS_ONLY: { newImage: false, oldImage: false },
    NEW_IMAGE: { newImage: true, oldImage: false },
    OLD_IMAGE: { newImage: false, oldImage: true },
    NEW_AND_OLD_IMAGES: { newImage: true, oldImage: true },
  };
  for (const [view, want] of Object.entries(expectations) as [View, { newImage: boolean; oldImage: boolean }][]) {
    it(`records INSERT, MODIFY and REMOVE with the ${view} images, in order`, async () => {
      const TableName = await t.compositeTable({ stream: view, prefix: 'str' });
      const Key = { pk: S('p'), sk: S('s') };
      const v1 = { ...Key, v: S('1') };
      const v2 = { ...Key, v: S('2') };
      await t.client.send(new PutItemCommand({ TableName, Item: v1 }));
      await t.client.send(new UpdateItemCommand({ TableName, Key, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': S('2') } }));
      await t.client.send(new DeleteItemCommand({ TableName, Key }));
      const records = await readRecords(t, await streamArnOf(t, TableName));
      expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
      const images = [
        { newImage: v1, oldImage: undefined },
        { newImage: v2, oldImage: v1 },
        { newImage: undefined, oldImage: v2 },
      ];
      records.forEach((record, i) => {
        expect(record.eventSource).toBe('aws:dynamodb');
        expect(record.awsRegion).toBe(process.env.AWS_REGION ?? 'us-east-1');
        expect(record.dynamodb?.Keys).toEqual(Key);
        expect(record.dynamodb?.StreamViewType).toBe(view);
        expect(record.dynamodb?.NewImage).toEqual(want.newImage ? images[i]!.newImage : undefined);
        expect(record.dynamodb?.OldImage).toEqual(want.oldImage ? images[i]!.oldImage : undefined);
        expect(record.dynamodb?.SizeBytes).toBeGreaterThan(0);
      });
      const seqs = records.map((r) => BigInt(r.dynamodb!.SequenceNumber!));
      expect(seqs).toEqual([...seqs].sort((a, b) => (a < b ? -1 : 1)));
      expect(new Set(records.map((r) => r.eventID)).size).toBe(3);
    });
  }

  it('reads only later records from a LATEST iterator', async () => {
    const TableName = await t.hashTable({ stream: 'KEYS_ONLY', prefix: 'str' });
    const arn = await streamArnOf(t, TableName);
    await t.client.send(new PutItemCommand({ TableName, Item: { pk: S('before') } }));
    const { StreamDescription } = await t.streams.send(new DescribeStreamCommand({ StreamArn: arn }));
    const shard = StreamDescription!.Shards!.at(-1)!;
    const latest = (await t.streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard.ShardId!, ShardIteratorType: 'LATEST' }))).ShardIterator!;
    await t.client.send(new PutItemCommand({ TableName, Item: { pk: S('after') } }));
    const out = await t.streams.send(new GetRecordsCommand({ ShardIterator: latest }));
    expect((out.Records ?? []).map((r) => r.dynamodb?.Keys?.pk?.S)).toEqual(['after']);
    expect(out.NextShardIterator).toBeDefined();
  });

  it('starts at or after a sequence number with AT_SEQUENCE_NUMBER / AFTER_SEQUENCE_NUMBER', async () => {
    const TableName = await t.hashTable({ stream: 'KEYS_ONLY', prefix: 'str' });
    for (const pk of ['a', 'b', 'c']) await t.client.send(new PutItemCommand({ TableName, Item: { pk: S(pk) } }));
    const arn = await streamArnOf(t, TableName);
    const all = await readRecords(t, arn);
    const second = all[1]!.dynamodb!.SequenceNumber!;
    expect((await readRecords(t, arn, 'AT_SEQUENCE_NUMBER', second)).map((r) => r.dynamodb?.Keys?.pk?.S)).toEqual(['b', 'c']);
    expect((await readRecords(t, arn, 'AFTER_SEQUENCE_NUMBER', second)).map((r) => r.dynamodb?.Keys?.pk?.S)).toEqual(['c']);
  });

  it('records each write of a TransactWriteItems', async () => {
    const TableName = await t.hashTable({ stream: 'NEW_IMAGE', prefix: 'str' });
    await t.client.send(new PutItemCommand({ TableName, Item: { pk: S('old') } }));
    await t.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName, Item: { pk: S('t1') } } },
          { Update: { TableName, Key: { pk: S('old') }, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': S('x') } } },
          { ConditionCheck: { TableName, Key: { pk: S('none') }, ConditionExpression: 'attribute_not_exists(pk)' } },
        ],
      }),
    );
    const records = await readRecords(t, await streamArnOf(t, TableName));
    const byKey = records.map((r) => `${r.eventName}:${r.dynamodb?.Keys?.pk?.S}`);
    expect(byKey[0]).toBe('INSERT:old');
    expect(byKey.slice(1).sort()).toEqual(['INSERT:t1', 'MODIFY:old']);
  });

  it('writes no record for a put of an identical item or an update that changes nothing', async () => {
    const TableName = await t.hashTable({ stream: 'NEW_AND_OLD_IMAGES', prefix: 'str' });
    const item = { pk: S('same'), v: S('1') };
    await t.client.send(new PutItemCommand({ TableName, Item: item }));
    await t.client.send(new PutItemCommand({ TableName, Item: item }));
    await t.client.send(new UpdateItemCommand({ TableName, Key: { pk: S('same') }, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': S('1') } }));
    const names = (await readRecords(t, await streamArnOf(t, TableName))).map((r) => r.eventName);
    if (t.diverges('moto', 'a PutItem of an identical item and an UpdateItem that changes nothing each write a MODIFY stream record (docs: no record)')) expect(names).toEqual(['INSERT', 'MODIFY', 'MODIFY']);
    else expect(names).toEqual(['INSERT']);
  });

  it('writes no record for a delete of a missing item or a failed conditional write', async () => {
    const TableName = await t.hashTable({ stream: 'KEYS_ONLY', prefix: 'str' });
    await t.client.send(new DeleteItemCommand({ TableName, Key: { pk: S('never') } }));
    await t.client.send(new PutItemCommand({ TableName, Item: { pk: S('x') }, ConditionExpression: 'attribute_exists(pk)' })).catch(() => undefined);
    expect(await readRecords(t, await streamArnOf(t, TableName))).toEqual([]);
  });

  it('fails if GetShardIterator names an unknown stream', async () => {
    const TableName = await t.hashTable({ stream: 'KEYS_ONLY', prefix: 'str' });
    const arn = await streamArnOf(t, TableName);
    const { StreamDescription } = await t.streams.send(new DescribeStreamCommand({ StreamArn: arn }));
    const ShardId = StreamDescription!.Shards![0]!.ShardId!;
    const unknown = arn.replace(/\/stream\/.*/, '/stream/2000-01-01T00:00:00.000');
    await expectDocumentedError(t, t.streams.send(new GetShardIteratorCommand({ StreamArn: unknown, ShardId, ShardIteratorType: 'TRIM_HORIZON' })), 'ResourceNotFoundException', /^Requested resource not found/, {
      moto: { reason: "GetShardIterator on an unknown stream label of an existing table succeeds (the stream is found by table name)", actual: 'success' },
    });
  });
});
