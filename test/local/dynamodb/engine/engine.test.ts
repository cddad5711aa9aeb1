import { ConditionalCheckFailedException, CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, TransactionCanceledException, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, TrimmedDataAccessException } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { attachDynamoDbEngine, DynamoDbEngine, DynamoDbError } from '../../../../lib/local/dynamodb/index.js';

/**
 * Engine behaviour the conformance suite cannot drive from outside: the clock it is given (TTL,
 * iterator expiry), stream retention, the SDK fast path's classes, the gate hook.
 */
function table(engine: DynamoDbEngine, name = 'tbl', extra: Record<string, unknown> = {}): void {
  engine.execute('CreateTable', {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    ...extra,
  });
}

const streamArn = (engine: DynamoDbEngine, name = 'tbl') => (engine.execute('DescribeTable', { TableName: name }).Table as { LatestStreamArn: string }).LatestStreamArn;

function readAll(engine: DynamoDbEngine, arn: string): Record<string, unknown>[] {
  const shard = (engine.execute('DescribeStream', { StreamArn: arn }).StreamDescription as { Shards: { ShardId: string }[] }).Shards[0]!.ShardId;
  const it = engine.execute('GetShardIterator', { StreamArn: arn, ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' }).ShardIterator;
  return engine.execute('GetRecords', { ShardIterator: it }).Records as Record<string, unknown>[];
}

describe('DynamoDbEngine', () => {
  it('expires items by its own clock, as REMOVE records carrying the service identity', () => {
    // GIVEN TTL on `exp` and a clock the test moves
    let now = Date.UTC(2026, 0, 1);
    const engine = new DynamoDbEngine({ now: () => now });
    table(engine);
    engine.execute('UpdateTimeToLive', { TableName: 'tbl', TimeToLiveSpecification: { Enabled: true, AttributeName: 'exp' } });
    const at = Math.floor(now / 1000) + 60;
    engine.execute('PutItem', { TableName: 'tbl', Item: { pk: { S: 'a' }, sk: { N: '1' }, exp: { N: String(at) } } });
    engine.execute('PutItem', { TableName: 'tbl', Item: { pk: { S: 'b' }, sk: { N: '1' }, exp: { N: String(at + 3600) } } });
    // WHEN the clock passes the first item's expiry only
    expect(engine.expireItems()).toBe(0);
    now += 61_000;
    expect(engine.expireItems()).toBe(1);
    // THEN that item is gone, and the stream shows a TTL deletion
    expect(engine.execute('GetItem', { TableName: 'tbl', Key: { pk: { S: 'a' }, sk: { N: '1' } } }).Item).toBeUndefined();
    const removes = readAll(engine, streamArn(engine)).filter((r) => r.eventName === 'REMOVE');
    expect(removes).toHaveLength(1);
    expect(removes[0]).toMatchObject({ userIdentity: { PrincipalId: 'dynamodb.amazonaws.com', Type: 'Service' } });
  });

  it('trims its stream past the retention; a reader behind it gets TrimmedDataAccessException', () => {
    // GIVEN a stream that keeps 3 records and an iterator taken at the start
    const engine = new DynamoDbEngine({ streamRetention: 3 });
    table(engine);
    const arn = streamArn(engine);
    engine.execute('PutItem', { TableName: 'tbl', Item: { pk: { S: 'x' }, sk: { N: '0' } } });
    const shard = (engine.execute('DescribeStream', { StreamArn: arn }).StreamDescription as { Shards: { ShardId: string }[] }).Shards[0]!.ShardId;
    const early = engine.execute('GetShardIterator', { StreamArn: arn, ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' }).ShardIterator;
    // WHEN five more writes push the first records out
    for (let i = 1; i <= 5; i++) engine.execute('PutItem', { TableName: 'tbl', Item: { pk: { S: 'x' }, sk: { N: String(i) } } });
    // THEN the old iterator fails with the service's error, and TRIM_HORIZON starts at what is kept
    expect(() => engine.execute('GetRecords', { ShardIterator: early })).toThrow(expect.objectContaining({ name: 'TrimmedDataAccessException' }) as Error);
    expect(readAll(engine, arn).map((r) => (r.dynamodb as { Keys: { sk: { N: string } } }).Keys.sk.N)).toEqual(['3', '4', '5']);
  });

  it('keeps exactly the retention across chunked trims (thousands of writes)', () => {
    const engine = new DynamoDbEngine({ streamRetention: 5 });
    table(engine);
    for (let i = 0; i < 2500; i++) engine.execute('PutItem', { TableName: 'tbl', Item: { pk: { S: 'x' }, sk: { N: String(i) } } });
    expect(readAll(engine, streamArn(engine)).map((r) => (r.dynamodb as { Keys: { sk: { N: string } } }).Keys.sk.N)).toEqual(['2495', '2496', '2497', '2498', '2499']);
  });

  it('expires shard iterators after 15 minutes of its clock', () => {
    let now = 0;
    const engine = new DynamoDbEngine({ now: () => now });
    table(engine);
    const arn = streamArn(engine);
    const shard = (engine.execute('DescribeStream', { StreamArn: arn }).StreamDescription as { Shards: { ShardId: string }[] }).Shards[0]!.ShardId;
    const iterator = engine.execute('GetShardIterator', { StreamArn: arn, ShardId: shard, ShardIteratorType: 'LATEST' }).ShardIterator;
    now += 15 * 60_000 + 1;
    expect(() => engine.execute('GetRecords', { ShardIterator: iterator })).toThrow(expect.objectContaining({ name: 'ExpiredIteratorException' }) as Error);
  });

  it('keeps a ClientRequestToken for 10 minutes of its clock, each token for its own window', () => {
    // GIVEN two tokens, stored 5 minutes apart, each on a transaction that adds 1
    let now = 0;
    const engine = new DynamoDbEngine({ now: () => now });
    table(engine);
    const add = (token: string) =>
      engine.execute('TransactWriteItems', {
        ClientRequestToken: token,
        TransactItems: [{ Update: { TableName: 'tbl', Key: { pk: { S: token }, sk: { N: '1' } }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': { N: '1' } } } }],
      });
    const count = (token: string) => (engine.execute('GetItem', { TableName: 'tbl', Key: { pk: { S: token }, sk: { N: '1' } } }).Item as { n: { N: string } }).n.N;
    add('first');
    now += 5 * 60_000;
    add('second');
    // WHEN each is repeated at the end of the first one's window, then just past it
    now += 5 * 60_000;
    add('first');
    add('second');
    expect([count('first'), count('second')]).toEqual(['1', '1']);
    now += 1;
    add('first');
    add('second');
    // THEN only the first token is forgotten: its request applies again, the second's does not
    expect([count('first'), count('second')]).toEqual(['2', '1']);
    // AND after the clock stepped back, a token stored later but at an earlier time still expires on time
    now = 2_000_000;
    add('late');
    now = 0;
    add('early');
    now = 10 * 60_000 + 1;
    add('early');
    add('late');
    expect([count('early'), count('late')]).toEqual(['2', '1']);
  });

  it('writes no stream record for a put that changes nothing', () => {
    const engine = new DynamoDbEngine();
    table(engine);
    const item = { pk: { S: 'a' }, sk: { N: '1' }, v: { S: 'same' } };
    engine.execute('PutItem', { TableName: 'tbl', Item: item });
    engine.execute('PutItem', { TableName: 'tbl', Item: item });
    expect(readAll(engine, streamArn(engine)).map((r) => r.eventName)).toEqual(['INSERT']);
  });

  it('fails if an operation is unknown, naming the ones it serves', () => {
    const engine = new DynamoDbEngine();
    expect(() => engine.execute('ExecuteStatement', {})).toThrow(DynamoDbError);
    expect(() => engine.execute('ExecuteStatement', {})).toThrow(/ExecuteStatement is not supported by this engine; supported: CreateTable/);
  });

  it('keeps stored items safe from callers mutating what they passed in or got back', () => {
    const engine = new DynamoDbEngine();
    table(engine);
    const item = { pk: { S: 'a' }, sk: { N: '1' }, list: { L: [{ S: 'x' }] } };
    engine.execute('PutItem', { TableName: 'tbl', Item: item });
    (item.list.L as { S: string }[]).push({ S: 'mutated' });
    const got = engine.execute('GetItem', { TableName: 'tbl', Key: { pk: { S: 'a' }, sk: { N: '1' } } }).Item as { list: { L: unknown[] } };
    got.list.L.push({ S: 'also mutated' });
    const again = engine.execute('GetItem', { TableName: 'tbl', Key: { pk: { S: 'a' }, sk: { N: '1' } } }).Item as { list: { L: unknown[] } };
    expect(again.list.L).toEqual([{ S: 'x' }]);
  });
});

describe('attachDynamoDbEngine (the SDK fast path)', () => {
  const clients = (options: Parameters<typeof attachDynamoDbEngine>[2] = {}) => {
    const engine = new DynamoDbEngine();
    const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const streams = new DynamoDBStreamsClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    attachDynamoDbEngine(client, engine, options);
    attachDynamoDbEngine(streams, engine, options);
    table(engine);
    return { engine, client, streams };
  };

  it("raises the SDK's own exception classes, with the service's members", async () => {
    const { client } = clients();
    await client.send(new PutItemCommand({ TableName: 'tbl', Item: { pk: { S: 'a' }, sk: { N: '1' } } }));
    const put = () => client.send(new PutItemCommand({ TableName: 'tbl', Item: { pk: { S: 'a' }, sk: { N: '1' } }, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
    const error = await put().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect(error).toMatchObject({ name: 'ConditionalCheckFailedException', $fault: 'client', $metadata: { httpStatusCode: 400 }, Item: { pk: { S: 'a' }, sk: { N: '1' } } });
    const tx = await client
      .send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: 'tbl', Item: { pk: { S: 'b' }, sk: { N: '1' } } } }, { ConditionCheck: { TableName: 'tbl', Key: { pk: { S: 'a' }, sk: { N: '1' } }, ConditionExpression: 'attribute_not_exists(pk)' } }] }))
      .catch((e: unknown) => e);
    expect(tx).toBeInstanceOf(TransactionCanceledException);
    expect((tx as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual(['None', 'ConditionalCheckFailed']);
    const validation = await client.send(new GetItemCommand({ TableName: 'tbl', Key: { pk: { S: 'a' } } })).catch((e: unknown) => e);
    expect(validation).toMatchObject({ name: 'ValidationException', message: 'The provided key element does not match the schema' });
  });

  it('raises the Streams client its own classes too', async () => {
    const engine = new DynamoDbEngine({ streamRetention: 1 });
    const streams = new DynamoDBStreamsClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    attachDynamoDbEngine(streams, engine);
    table(engine);
    const arn = streamArn(engine);
    engine.execute('PutItem', { TableName: 'tbl', Item: { pk: { S: 'a' }, sk: { N: '1' } } });
    const shard = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription!.Shards![0]!.ShardId!;
    const { ShardIterator } = await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' }));
    engine.execute('PutItem', { TableName: 'tbl', Item: { pk: { S: 'b' }, sk: { N: '1' } } });
    const error = await streams.send(new GetRecordsCommand({ ShardIterator })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrimmedDataAccessException);
    const fresh = await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' }));
    const records = await streams.send(new GetRecordsCommand({ ShardIterator: fresh.ShardIterator }));
    expect(records.Records?.[0]?.dynamodb?.ApproximateCreationDateTime).toBeInstanceOf(Date);
  });

  it("unmarshalls a document client's output with that client's own options", async () => {
    const { client } = clients();
    const doc = DynamoDBDocumentClient.from(client, { unmarshallOptions: { wrapNumbers: true } });
    await doc.send(new PutCommand({ TableName: 'tbl', Item: { pk: 'a', sk: 1, big: { n: 12345678901234567890n }, tags: new Set(['x']) } }));
    const got = await doc.send(new GetCommand({ TableName: 'tbl', Key: { pk: 'a', sk: 1 } }));
    expect((got.Item!.big as { n: { value: string } }).n.value).toBe('12345678901234567890');
    expect(got.Item!.tags).toEqual(new Set(['x']));
    const plain = DynamoDBDocumentClient.from(client);
    const q = await plain.send(new QueryCommand({ TableName: 'tbl', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'a' } }));
    expect(q.Items?.[0]).toMatchObject({ pk: 'a', sk: 1, tags: new Set(['x']) });
    // and the plain client, on the same stack, still gets AttributeValues
    expect((await client.send(new GetItemCommand({ TableName: 'tbl', Key: { pk: { S: 'a' }, sk: { N: '1' } } }))).Item?.pk).toEqual({ S: 'a' });
  });

  it('awaits the beforeOperation hook before each call', async () => {
    const seen: string[] = [];
    const { client } = clients({ beforeOperation: async (op) => void seen.push(op) });
    await client.send(new PutItemCommand({ TableName: 'tbl', Item: { pk: { S: 'a' }, sk: { N: '1' } } }));
    await client.send(new GetItemCommand({ TableName: 'tbl', Key: { pk: { S: 'a' }, sk: { N: '1' } } }));
    expect(seen).toEqual(['PutItem', 'GetItem']);
  });

  it('creates tables through the SDK like any call', async () => {
    const { client } = clients();
    const out = await client.send(new CreateTableCommand({ TableName: 'other', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }));
    expect(out.TableDescription?.CreationDateTime).toBeInstanceOf(Date);
    expect(out.TableDescription?.TableStatus).toBe('ACTIVE');
  });
});

describe('UpdateTable', () => {
  it('switches a stream off (nothing new recorded) and on again (a new stream)', () => {
    const engine = new DynamoDbEngine();
    table(engine);
    const first = streamArn(engine);
    engine.execute('UpdateTable', { TableName: 'tbl', StreamSpecification: { StreamEnabled: false } });
    engine.execute('PutItem', { TableName: 'tbl', Item: { pk: { S: 'a' }, sk: { N: '1' } } });
    expect(readAll(engine, first)).toEqual([]);
    expect(() => engine.execute('UpdateTable', { TableName: 'tbl', StreamSpecification: { StreamEnabled: false } })).toThrow('Stream is already disabled');
    expect(() => engine.execute('UpdateTable', { TableName: 'tbl', GlobalSecondaryIndexUpdates: [] })).toThrow(/not supported by this engine/);
  });
});
