import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  NumberValue,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { expect, it } from 'vitest';
import { expectError, forEachTarget } from './targets.js';

/**
 * The document client (`@aws-sdk/lib-dynamodb`) on every target: JS values in, JS values out, so the
 * engine's in-process fast path is held to the SDK's own marshalling and unmarshalling.
 * lib-dynamodb README: https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/Package/-aws-sdk-lib-dynamodb/
 */

const ITEM = {
  pk: 'doc',
  sk: '1',
  int: 42,
  float: -1.25,
  str: 'text',
  empty: '',
  yes: true,
  nothing: null,
  list: [1, 'two', { three: 3 }, [4]],
  nested: { a: { b: { c: 'deep' } }, n: 0 },
  strings: new Set(['x', 'y']),
  numbers: new Set([1, 2, 3]),
  bytes: new Uint8Array([1, 2, 3]),
};

forEachTarget('document client', (t) => {
  let table: string | undefined;
  const shared = async () => (table ??= await t.compositeTable({ prefix: 'doc' }));

  it('round-trips numbers, strings, booleans, null, lists, nested maps, sets and binary', async () => {
    const TableName = await shared();
    await t.doc.send(new PutCommand({ TableName, Item: ITEM }));
    const { Item } = await t.doc.send(new GetCommand({ TableName, Key: { pk: 'doc', sk: '1' }, ConsistentRead: true }));
    expect(Item).toEqual(ITEM);
    expect(Item?.strings).toBeInstanceOf(Set);
    expect(Item?.numbers).toBeInstanceOf(Set);
    expect(Item?.bytes).toBeInstanceOf(Uint8Array);
  });

  it('updates with JS values and returns ALL_NEW as JS values', async () => {
    const TableName = await shared();
    await t.doc.send(new PutCommand({ TableName, Item: ITEM }));
    const out = await t.doc.send(
      new UpdateCommand({
        TableName,
        Key: { pk: 'doc', sk: '1' },
        UpdateExpression: 'SET nested.a.b.c = :c, #l = list_append(#l, :more) ADD numbers :n, #int :one REMOVE str',
        ExpressionAttributeNames: { '#l': 'list', '#int': 'int' },
        ExpressionAttributeValues: { ':c': 'changed', ':more': [5], ':n': new Set([4]), ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const { str: _str, ...rest } = ITEM;
    expect(out.Attributes).toEqual({ ...rest, int: 43, list: [...ITEM.list, 5], nested: { a: { b: { c: 'changed' } }, n: 0 }, numbers: new Set([1, 2, 3, 4]) });
  });

  it('returns UPDATED_OLD and ALL_OLD values as JS values', async () => {
    const TableName = await shared();
    await t.doc.send(new PutCommand({ TableName, Item: ITEM }));
    const old = await t.doc.send(new UpdateCommand({ TableName, Key: { pk: 'doc', sk: '1' }, UpdateExpression: 'SET yes = :f', ExpressionAttributeValues: { ':f': false }, ReturnValues: 'UPDATED_OLD' }));
    expect(old.Attributes).toEqual({ yes: true });
    const deleted = await t.doc.send(new DeleteCommand({ TableName, Key: { pk: 'doc', sk: '1' }, ReturnValues: 'ALL_OLD' }));
    expect(deleted.Attributes).toEqual({ ...ITEM, yes: false });
  });

  it('queries and scans into JS objects with a JS LastEvaluatedKey', async () => {
    const TableName = await t.compositeTable({ prefix: 'docq' });
    for (let i = 0; i < 5; i++) await t.doc.send(new PutCommand({ TableName, Item: { pk: 'q', sk: `s${i}`, i, tags: new Set([`t${i}`]) } }));
    const page = await t.doc.send(new QueryCommand({ TableName, KeyConditionExpression: 'pk = :p AND sk > :s', ExpressionAttributeValues: { ':p': 'q', ':s': 's0' }, Limit: 2 }));
    expect(page.Items).toEqual([
      { pk: 'q', sk: 's1', i: 1, tags: new Set(['t1']) },
      { pk: 'q', sk: 's2', i: 2, tags: new Set(['t2']) },
    ]);
    expect(page.LastEvaluatedKey).toEqual({ pk: 'q', sk: 's2' });
    const rest = await t.doc.send(new QueryCommand({ TableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'q' }, ExclusiveStartKey: page.LastEvaluatedKey }));
    expect(rest.Items?.map((i) => i.i)).toEqual([3, 4]);
    const scanned = await t.doc.send(new ScanCommand({ TableName, FilterExpression: 'i >= :two', ExpressionAttributeValues: { ':two': 2 } }));
    expect(scanned.Items?.map((i) => i.i).sort()).toEqual([2, 3, 4]);
  });

  it('batches and transacts with JS values', async () => {
    const TableName = await t.compositeTable({ prefix: 'docb' });
    await t.doc.send(new BatchWriteCommand({ RequestItems: { [TableName]: [{ PutRequest: { Item: { pk: 'b', sk: '1', v: 1 } } }, { PutRequest: { Item: { pk: 'b', sk: '2', v: new Set(['s']) } } }] } }));
    const got = await t.doc.send(new BatchGetCommand({ RequestItems: { [TableName]: { Keys: [{ pk: 'b', sk: '1' }, { pk: 'b', sk: '2' }] } } }));
    expect(got.Responses?.[TableName]?.sort((a, b) => String(a.sk).localeCompare(String(b.sk)))).toEqual([
      { pk: 'b', sk: '1', v: 1 },
      { pk: 'b', sk: '2', v: new Set(['s']) },
    ]);
    await t.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Update: { TableName, Key: { pk: 'b', sk: '1' }, UpdateExpression: 'SET v = v + :one', ExpressionAttributeValues: { ':one': 1 } } },
          { Put: { TableName, Item: { pk: 'b', sk: '3', m: { deep: [true] } } } },
        ],
      }),
    );
    const tx = await t.doc.send(new TransactGetCommand({ TransactItems: [{ Get: { TableName, Key: { pk: 'b', sk: '1' } } }, { Get: { TableName, Key: { pk: 'b', sk: '3' } } }] }));
    expect(tx.Responses?.map((r) => r.Item)).toEqual([
      { pk: 'b', sk: '1', v: 2 },
      { pk: 'b', sk: '3', m: { deep: [true] } },
    ]);
  });

  it('raises the SDK exception classes through the document client', async () => {
    const TableName = await shared();
    await t.doc.send(new PutCommand({ TableName, Item: { pk: 'e', sk: '1' } }));
    const err = await expectError(
      t.doc.send(new PutCommand({ TableName, Item: { pk: 'e', sk: '1' }, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })),
      'ConditionalCheckFailedException',
      'The conditional request failed',
    );
    // lib-dynamodb does not unmarshall error members: the Item stays in AttributeValue form.
    expect(err.Item).toEqual({ pk: { S: 'e' }, sk: { S: '1' } });
  });

  it('honours unmarshallOptions (wrapNumbers) of a document client built on the same client', async () => {
    const TableName = await shared();
    // DynamoDBDocumentClient.from shares the client's config: the last translateConfig wins for
    // every document client on it, so this case restores the default when done.
    const wrapped = DynamoDBDocumentClient.from(t.client, { unmarshallOptions: { wrapNumbers: true } });
    try {
      await wrapped.send(new PutCommand({ TableName, Item: { pk: 'big', sk: '1', n: NumberValue.from('123456789012345678901234567890') } }));
      const { Item } = await wrapped.send(new GetCommand({ TableName, Key: { pk: 'big', sk: '1' }, ConsistentRead: true }));
      expect(Item?.n).toBeInstanceOf(NumberValue);
      expect(String(Item?.n)).toBe('123456789012345678901234567890');
    } finally {
      DynamoDBDocumentClient.from(t.client);
    }
    // Without wrapNumbers, util-dynamodb turns an integer beyond Number.MAX_SAFE_INTEGER into a bigint.
    const plain = await t.doc.send(new GetCommand({ TableName, Key: { pk: 'big', sk: '1' }, ConsistentRead: true }));
    expect(plain.Item?.n).toBe(123456789012345678901234567890n);
  });
});
