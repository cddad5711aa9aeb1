import * as zlib from 'node:zlib';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  ScanCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DynamoDbError } from '../../../lib/local/dynamodb/errors.js';
import { startLocalDynamoDb, type EngineLike, type LocalDynamoDb } from '../../../lib/local/dynamodb/http.js';
import { crc32, crc32Table } from '../../../lib/local/dynamodb/http-wire.js';

/** The DynamoDB / DynamoDB Streams JSON 1.0 front end, driven by the real SDK v3 clients. */

type Reply = Record<string, unknown> | Error;

/** Records every call; answers each operation with the reply set for it (or `{}`). */
class FakeEngine implements EngineLike {
  readonly calls: { operation: string; input: Record<string, unknown> }[] = [];
  readonly replies = new Map<string, Reply>();
  execute(operation: string, input: Record<string, unknown>): Record<string, unknown> {
    this.calls.push({ operation, input });
    const reply = this.replies.get(operation) ?? {};
    if (reply instanceof Error) throw reply;
    return reply;
  }
}

const servers: LocalDynamoDb<EngineLike>[] = [];
const clients: { destroy(): void }[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  vi.restoreAllMocks();
});

async function setup(options: { latencyMs?: number } = {}) {
  const engine = new FakeEngine();
  const local = await startLocalDynamoDb({ engine, ...options });
  servers.push(local);
  const config = { endpoint: local.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 };
  const dynamo = new DynamoDBClient(config);
  const streams = new DynamoDBStreamsClient(config);
  clients.push(dynamo, streams);
  return { engine, local, dynamo, streams };
}

/** A raw JSON 1.0 call, for what SDKs never send. */
function post(local: LocalDynamoDb<EngineLike>, target: string | undefined, body: string) {
  const headers: Record<string, string> = { 'Content-Type': 'application/x-amz-json-1.0' };
  if (target !== undefined) headers['X-Amz-Target'] = target;
  return fetch(local.endpoint, { method: 'POST', headers, body });
}

const bytes = (...values: number[]) => new Uint8Array(values);

describe('local DynamoDB over HTTP: wire conversion', () => {
  it('hands the engine binary as Uint8Array wherever it sits, and returns binary to the SDK as Uint8Array', async () => {
    // GIVEN an item with binary at the top level, in a set, and nested in a map and a list
    const { engine, dynamo } = await setup();
    const item = {
      pk: { B: bytes(0, 1, 2, 255) },
      set: { BS: [bytes(1), bytes(2, 3)] },
      doc: { M: { inner: { B: bytes(9, 8) }, list: { L: [{ B: bytes(7) }, { S: 'text' }] } } },
      B: { S: 'an attribute named B is not binary' },
    };
    engine.replies.set('GetItem', { Item: item });
    // WHEN
    await dynamo.send(new PutItemCommand({ TableName: 't', Item: item, ExpressionAttributeNames: { '#B': 'B' }, ConditionExpression: 'attribute_not_exists(#B)' }));
    const got = await dynamo.send(new GetItemCommand({ TableName: 't', Key: { pk: { B: bytes(0, 1, 2, 255) } } }));
    // THEN the engine saw the SDK shape, byte for byte
    const put = engine.calls[0]!;
    expect(put.operation).toBe('PutItem');
    expect(put.input).toEqual({ TableName: 't', Item: item, ExpressionAttributeNames: { '#B': 'B' }, ConditionExpression: 'attribute_not_exists(#B)' });
    expect((put.input.Item as { pk: { B: unknown } }).pk.B).toBeInstanceOf(Uint8Array);
    expect(engine.calls[1]!.input.Key).toEqual({ pk: { B: bytes(0, 1, 2, 255) } });
    // AND the SDK parsed the base64 answer back to bytes
    expect(got.Item).toEqual(item);
    expect(got.Item?.doc?.M?.list?.L?.[0]?.B).toBeInstanceOf(Uint8Array);
  });

  it('sends dates as epoch seconds, fraction included, which the SDK reads as a Date', async () => {
    // GIVEN
    const { engine, dynamo, local } = await setup();
    const created = new Date('2024-03-05T06:07:08.123Z');
    engine.replies.set('DescribeTable', { Table: { TableName: 't', CreationDateTime: created, ItemCount: 0 } });
    // WHEN
    const out = await dynamo.send(new DescribeTableCommand({ TableName: 't' }));
    const raw = (await (await post(local, 'DynamoDB_20120810.DescribeTable', '{"TableName":"t"}')).json()) as { Table: { CreationDateTime: unknown } };
    // THEN
    expect(out.Table?.CreationDateTime).toEqual(created);
    expect(raw.Table.CreationDateTime).toBe(1709618828.123);
  });

  it('answers with the JSON 1.0 content type, a request id and the CRC32 of the body', async () => {
    // GIVEN
    const { engine, local, dynamo } = await setup();
    engine.replies.set('ListTables', { TableNames: ['a', 'é-unicode'] });
    // WHEN
    const response = await post(local, 'DynamoDB_20120810.ListTables', '{}');
    const body = new Uint8Array(await response.arrayBuffer());
    // THEN
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(response.headers.get('x-amzn-requestid')).toMatch(/^[A-Z0-9]{52}$/);
    expect(Number(response.headers.get('x-amz-crc32'))).toBe(zlib.crc32(body));
    // AND the SDK accepts the answer
    expect((await dynamo.send(new ListTablesCommand({}))).TableNames).toEqual(['a', 'é-unicode']);
  });

  it('computes CRC32 the same without node:zlib (older Node 20 releases)', () => {
    // The standard check value of CRC-32/ISO-HDLC
    expect(crc32Table(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const sample = new TextEncoder().encode('{"TableNames":["orders"]}');
    expect(crc32Table(sample)).toBe(crc32(sample));
    expect(crc32Table(new Uint8Array())).toBe(0);
  });
});

describe('local DynamoDB over HTTP: errors', () => {
  it('fails with the SDK\'s own ConditionalCheckFailedException, 400, carrying the old item', async () => {
    // GIVEN
    const { engine, dynamo } = await setup();
    engine.replies.set('PutItem', new DynamoDbError('ConditionalCheckFailedException', 'The conditional request failed', { Item: { pk: { B: bytes(5) } } }));
    // WHEN
    const error = await dynamo.send(new PutItemCommand({ TableName: 't', Item: { pk: { S: 'a' } } })).catch((e: unknown) => e);
    // THEN
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    const ccf = error as ConditionalCheckFailedException;
    expect(ccf.message).toBe('The conditional request failed');
    expect(ccf.$metadata.httpStatusCode).toBe(400);
    expect(ccf.$fault).toBe('client');
    expect(ccf.Item).toEqual({ pk: { B: bytes(5) } });
  });

  it('fails with TransactionCanceledException and its CancellationReasons, the message under `Message` as DynamoDB sends it', async () => {
    // GIVEN
    const { engine, dynamo, local } = await setup();
    const reasons = [{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }];
    const message = 'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]';
    engine.replies.set('TransactWriteItems', new DynamoDbError('TransactionCanceledException', message, { CancellationReasons: reasons }));
    // WHEN
    const error = await dynamo.send(new TransactWriteItemsCommand({ TransactItems: [] })).catch((e: unknown) => e);
    const raw = await post(local, 'DynamoDB_20120810.TransactWriteItems', '{"TransactItems":[]}');
    // THEN
    expect(error).toBeInstanceOf(TransactionCanceledException);
    const tce = error as TransactionCanceledException;
    expect(tce.$metadata.httpStatusCode).toBe(400);
    expect(tce.message).toBe(message);
    expect(tce.CancellationReasons).toEqual(reasons);
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({ __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException', Message: message, CancellationReasons: reasons });
  });

  it('fails with a ValidationException (a name the SDK has no class for) under its own name', async () => {
    // GIVEN
    const { engine, dynamo, local } = await setup();
    engine.replies.set('GetItem', new DynamoDbError('ValidationException', 'The provided key element does not match the schema'));
    // WHEN
    const error = (await dynamo.send(new GetItemCommand({ TableName: 't', Key: {} })).catch((e: unknown) => e)) as Error & { $metadata: { httpStatusCode?: number } };
    const raw = await post(local, 'DynamoDB_20120810.GetItem', '{}');
    // THEN
    expect(error.name).toBe('ValidationException');
    expect(error.message).toBe('The provided key element does not match the schema');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(await raw.json()).toEqual({ __type: 'com.amazonaws.dynamodb.v20120810#ValidationException', message: 'The provided key element does not match the schema' });
  });

  it('fails with a 500 InternalServerError if the engine throws anything else, logs it, and keeps serving', async () => {
    // GIVEN an engine with a bug
    const { engine, dynamo, local } = await setup();
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    engine.replies.set('Scan', new TypeError('cannot read properties of undefined'));
    // WHEN
    const error = (await dynamo.send(new ScanCommand({ TableName: 't' })).catch((e: unknown) => e)) as Error & { $metadata: { httpStatusCode?: number }; $fault: string };
    const raw = await post(local, 'DynamoDB_20120810.Scan', '{"TableName":"t"}');
    // THEN
    expect(error.name).toBe('InternalServerError');
    expect(error.$fault).toBe('server');
    expect(error.$metadata.httpStatusCode).toBe(500);
    expect(raw.status).toBe(500);
    expect(await raw.json()).toEqual({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error: cannot read properties of undefined' });
    expect(log).toHaveBeenCalled();
    // AND the next call is served
    expect((await dynamo.send(new ListTablesCommand({}))).$metadata.httpStatusCode).toBe(200);
  });

  it('fails with UnknownOperationException if the target is missing, unknown, or a Streams operation under the DynamoDB target', async () => {
    // GIVEN
    const { engine, local } = await setup();
    // WHEN
    const answers = await Promise.all(
      [undefined, 'DynamoDB_20120810.', 'DynamoDB_20120810', 'dynamodb_20120810.ListTables', 'Kinesis_20131202.ListStreams', 'DynamoDB_20120810.GetRecords', 'DynamoDBStreams_20120810.PutItem'].map(async (target) => {
        const response = await post(local, target, '{}');
        return { status: response.status, body: (await response.json()) as { __type: string } };
      }),
    );
    // THEN every one is refused before the engine
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.body.__type).toBe('com.amazon.coral.service#UnknownOperationException');
    }
    expect(engine.calls).toEqual([]);
  });

  it('fails with UnknownOperationException if the engine does not know the operation (the engine owns the list)', async () => {
    // GIVEN an engine that refuses the operation, as DynamoDbEngine does for anything it does not serve
    const { engine, local, dynamo } = await setup();
    engine.replies.set('Bogus', new DynamoDbError('UnknownOperationException', 'Operation Bogus is not supported'));
    // WHEN
    const response = await post(local, 'DynamoDB_20120810.Bogus', '{}');
    // THEN
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ __type: 'com.amazon.coral.service#UnknownOperationException', message: 'Operation Bogus is not supported' });
    expect(engine.calls).toEqual([{ operation: 'Bogus', input: {} }]);
    // AND the SDK sees the error by name
    engine.replies.set('ListTables', new DynamoDbError('UnknownOperationException', 'no'));
    await expect(dynamo.send(new ListTablesCommand({}))).rejects.toMatchObject({ name: 'UnknownOperationException', $metadata: { httpStatusCode: 400 } });
  });

  it('fails with SerializationException if the body is not a JSON object or a binary value is not base64', async () => {
    // GIVEN
    const { engine, local } = await setup();
    // WHEN
    const answers = await Promise.all(
      ['{"TableName":', '', '[1,2]', '"text"', 'null', '{"TableName":"t","Item":{"pk":{"B":"not base64!"}}}', '{"TableName":"t","Item":{"pk":{"BS":["AAE"]}}}'].map(async (body) => {
        const response = await post(local, 'DynamoDB_20120810.PutItem', body);
        return { body, status: response.status, json: (await response.json()) as { __type: string; message: string } };
      }),
    );
    // THEN
    for (const answer of answers) {
      expect(answer.status, answer.body).toBe(400);
      expect(answer.json.__type, answer.body).toBe('com.amazon.coral.service#SerializationException');
    }
    expect(answers[5]!.json.message).toMatch(/not valid base64/);
    expect(engine.calls).toEqual([]);
  });

  it('answers a GET (a browser, a health check) with a 400 JSON explanation', async () => {
    // GIVEN
    const { local, dynamo } = await setup();
    // WHEN
    const response = await fetch(`${local.endpoint}/`);
    // THEN
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/DynamoDB endpoint: send POST requests/);
    expect((await dynamo.send(new ListTablesCommand({}))).$metadata.httpStatusCode).toBe(200);
  });
});

describe('local DynamoDB over HTTP: DynamoDB Streams', () => {
  it('dispatches the Streams target to the engine, with stream record keys and dates converted', async () => {
    // GIVEN
    const { engine, streams } = await setup();
    const at = new Date('2024-01-02T03:04:05Z');
    engine.replies.set('ListStreams', { Streams: [{ StreamArn: 'arn:stream', TableName: 't', StreamLabel: 'label' }] });
    engine.replies.set('GetRecords', {
      Records: [{ eventID: '1', eventName: 'INSERT', eventSource: 'aws:dynamodb', dynamodb: { ApproximateCreationDateTime: at, Keys: { pk: { B: bytes(1, 2) } }, SequenceNumber: '100', SizeBytes: 10, StreamViewType: 'KEYS_ONLY' } }],
      NextShardIterator: 'next',
    });
    // WHEN
    const listed = await streams.send(new ListStreamsCommand({ TableName: 't' }));
    const records = await streams.send(new GetRecordsCommand({ ShardIterator: 'it-1' }));
    // THEN
    expect(engine.calls).toEqual([
      { operation: 'ListStreams', input: { TableName: 't' } },
      { operation: 'GetRecords', input: { ShardIterator: 'it-1' } },
    ]);
    expect(listed.Streams?.[0]?.StreamArn).toBe('arn:stream');
    const record = records.Records?.[0]?.dynamodb;
    expect(record?.ApproximateCreationDateTime).toEqual(at);
    expect(record?.Keys).toEqual({ pk: { B: bytes(1, 2) } });
    expect(records.NextShardIterator).toBe('next');
  });

  it('fails with the Streams SDK\'s own ExpiredIteratorException', async () => {
    // GIVEN
    const { engine, streams } = await setup();
    engine.replies.set('GetRecords', new DynamoDbError('ExpiredIteratorException', 'Iterator expired.'));
    // WHEN
    const error = await streams.send(new GetRecordsCommand({ ShardIterator: 'old' })).catch((e: unknown) => e);
    // THEN
    expect(error).toBeInstanceOf(ExpiredIteratorException);
    expect((error as ExpiredIteratorException).$metadata.httpStatusCode).toBe(400);
  });
});

describe('local DynamoDB over HTTP: lifecycle', () => {
  it('stops promptly with an idle keep-alive connection open, and refuses connections after', async () => {
    // GIVEN a client that has made a call, so its keep-alive socket is open and idle
    const { local, dynamo } = await setup();
    await dynamo.send(new ListTablesCommand({}));
    // WHEN
    const started = performance.now();
    await local.stop();
    // THEN
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(fetch(local.endpoint, { method: 'POST', body: '{}' })).rejects.toThrow();
    await local.stop(); // stopping twice is harmless
  });

  it('delays each request by latencyMs', async () => {
    // GIVEN
    const { dynamo } = await setup({ latencyMs: 60 });
    await dynamo.send(new ListTablesCommand({})); // connection set up
    // WHEN
    const started = performance.now();
    await dynamo.send(new ListTablesCommand({}));
    // THEN
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('fails if the port is taken', async () => {
    const { local } = await setup();
    await expect(startLocalDynamoDb({ engine: new FakeEngine(), port: local.port })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('local DynamoDB over HTTP: the real engine', () => {
  it('creates a table, writes and reads binary keys, cancels a transaction and streams the change, all over HTTP', async () => {
    // GIVEN the server on its default engine
    const local = await startLocalDynamoDb();
    servers.push(local);
    const config = { endpoint: local.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 };
    const dynamo = new DynamoDBClient(config);
    const streams = new DynamoDBStreamsClient(config);
    clients.push(dynamo, streams);
    const before = Date.now();
    // WHEN
    await dynamo.send(
      new CreateTableCommand({
        TableName: 'orders',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'B' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
    const item = { pk: { B: bytes(0, 255) }, payload: { M: { blobs: { BS: [bytes(1), bytes(2)] } } }, total: { N: '12' } };
    await dynamo.send(new PutItemCommand({ TableName: 'orders', Item: item }));
    const got = await dynamo.send(new GetItemCommand({ TableName: 'orders', Key: { pk: { B: bytes(0, 255) } }, ConsistentRead: true }));
    const described = await dynamo.send(new DescribeTableCommand({ TableName: 'orders' }));
    const cancelled = await dynamo
      .send(new TransactWriteItemsCommand({ TransactItems: [{ ConditionCheck: { TableName: 'orders', Key: { pk: { B: bytes(0, 255) } }, ConditionExpression: 'attribute_not_exists(pk)' } }] }))
      .catch((e: unknown) => e);
    const missing = await dynamo.send(new GetItemCommand({ TableName: 'nope', Key: { pk: { S: 'a' } } })).catch((e: unknown) => e);
    // THEN the item comes back byte for byte
    expect(got.Item).toEqual(item);
    expect((await dynamo.send(new ListTablesCommand({}))).TableNames).toEqual(['orders']);
    expect(described.Table?.CreationDateTime).toBeInstanceOf(Date);
    expect(described.Table!.CreationDateTime!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(cancelled).toBeInstanceOf(TransactionCanceledException);
    expect((cancelled as TransactionCanceledException).CancellationReasons).toEqual([{ Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }]);
    expect((missing as Error).name).toBe('ResourceNotFoundException');
    // AND the put is in the table's stream, read through the Streams target
    const arn = (await streams.send(new ListStreamsCommand({ TableName: 'orders' }))).Streams![0]!.StreamArn!;
    const shard = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription!.Shards![0]!.ShardId!;
    const iterator = (await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator!;
    const records = (await streams.send(new GetRecordsCommand({ ShardIterator: iterator }))).Records ?? [];
    expect(records.map((r) => r.eventName)).toEqual(['INSERT']);
    expect(records[0]!.dynamodb?.Keys).toEqual({ pk: { B: bytes(0, 255) } });
    expect(records[0]!.dynamodb?.NewImage).toEqual(item);
    expect(records[0]!.dynamodb?.ApproximateCreationDateTime).toBeInstanceOf(Date);
  });
});
