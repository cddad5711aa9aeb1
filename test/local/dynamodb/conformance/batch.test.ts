import { BatchGetItemCommand, BatchWriteItemCommand, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
import { expectDocumentedError, expectError, forEachTarget, uniqueName } from './targets.js';

/**
 * BatchGetItem / BatchWriteItem.
 * API Reference: API_BatchWriteItem.html ("up to 25 PutRequest or DeleteRequest", "There are more than 25
 * requests in the batch", "Primary key attribute values specified in the request … duplicate"),
 * API_BatchGetItem.html ("up to 100 items", "Too many items requested for the BatchGetItem call").
 */

const S = (v: string): AttributeValue => ({ S: v });
const key = (pk: string) => ({ pk: S(pk) });

forEachTarget('batch', (t) => {
  it('writes puts and deletes across tables and leaves UnprocessedItems empty', async () => {
    const a = await t.hashTable({ prefix: 'ba' });
    const b = await t.compositeTable({ prefix: 'bb' });
    await t.client.send(new PutItemCommand({ TableName: a, Item: { ...key('gone'), v: S('old') } }));
    const out = await t.client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [a]: [{ PutRequest: { Item: { ...key('x'), v: S('1') } } }, { DeleteRequest: { Key: key('gone') } }, { DeleteRequest: { Key: key('never-was') } }],
          [b]: [{ PutRequest: { Item: { pk: S('x'), sk: S('1') } } }],
        },
      }),
    );
    expect(out.UnprocessedItems).toEqual({});
    expect((await t.client.send(new GetItemCommand({ TableName: a, Key: key('x'), ConsistentRead: true }))).Item).toEqual({ ...key('x'), v: S('1') });
    expect((await t.client.send(new GetItemCommand({ TableName: a, Key: key('gone'), ConsistentRead: true }))).Item).toBeUndefined();
    expect((await t.client.send(new GetItemCommand({ TableName: b, Key: { pk: S('x'), sk: S('1') }, ConsistentRead: true }))).Item).toBeDefined();
  });

  it('reads items across tables with projection, omitting missing keys, UnprocessedKeys empty', async () => {
    const a = await t.hashTable({ prefix: 'ba' });
    const b = await t.hashTable({ prefix: 'bb' });
    await t.client.send(new BatchWriteItemCommand({ RequestItems: { [a]: ['1', '2'].map((pk) => ({ PutRequest: { Item: { ...key(pk), v: S(`a${pk}`), w: S('w') } } })), [b]: [{ PutRequest: { Item: { ...key('1'), v: S('b1') } } }] } }));
    const out = await t.client.send(
      new BatchGetItemCommand({
        RequestItems: {
          [a]: { Keys: [key('1'), key('2'), key('missing')], ProjectionExpression: 'pk, #v', ExpressionAttributeNames: { '#v': 'v' }, ConsistentRead: true },
          [b]: { Keys: [key('1')] },
        },
      }),
    );
    expect(out.UnprocessedKeys).toEqual({});
    const sorted = (items: Record<string, AttributeValue>[] | undefined) => [...(items ?? [])].sort((x, y) => x.pk!.S!.localeCompare(y.pk!.S!));
    expect(sorted(out.Responses?.[a])).toEqual([
      { ...key('1'), v: S('a1') },
      { ...key('2'), v: S('a2') },
    ]);
    expect(out.Responses?.[b]).toEqual([{ ...key('1'), v: S('b1') }]);
  });

  it('accepts exactly 25 write requests and 100 keys', async () => {
    const a = await t.hashTable({ prefix: 'ba' });
    const puts = Array.from({ length: 25 }, (_, i) => ({ PutRequest: { Item: key(`k${i}`) } }));
    expect((await t.client.send(new BatchWriteItemCommand({ RequestItems: { [a]: puts } }))).UnprocessedItems).toEqual({});
    const keys = Array.from({ length: 100 }, (_, i) => key(`k${i}`));
    const out = await t.client.send(new BatchGetItemCommand({ RequestItems: { [a]: { Keys: keys } } }));
    expect(out.Responses?.[a]).toHaveLength(25);
  });

  it('fails if a BatchWriteItem holds more than 25 requests', async () => {
    const a = await t.hashTable({ prefix: 'ba' });
    const puts = Array.from({ length: 26 }, (_, i) => ({ PutRequest: { Item: key(`k${i}`) } }));
    await expectDocumentedError(t, t.client.send(new BatchWriteItemCommand({ RequestItems: { [a]: puts } })), 'ValidationException', /Member must have length less than or equal to 25/, {
      moto: { reason: 'BatchWriteItem with 26 requests succeeds (no 25-request limit)', actual: 'success' },
    });
  });

  it('fails if a BatchGetItem asks for more than 100 keys', async () => {
    const a = await t.hashTable({ prefix: 'ba' });
    const keys = Array.from({ length: 101 }, (_, i) => key(`k${i}`));
    await expectDocumentedError(t, t.client.send(new BatchGetItemCommand({ RequestItems: { [a]: { Keys: keys } } })), 'ValidationException', /^Too many items requested for the BatchGetItem call/, {
      moto: {
        reason: "BatchGetItem with 101 keys: message '1 validation error detected: … Member must have length less than or equal to 100' instead of the documented 'Too many items requested for the BatchGetItem call'",
        actual: { name: 'ValidationException', message: /Member must have length less than or equal to 100/ },
      },
    });
  });

  it('fails if a BatchWriteItem writes one key twice', async () => {
    const a = await t.hashTable({ prefix: 'ba' });
    const err = await expectDocumentedError(
      t,
      t.client.send(new BatchWriteItemCommand({ RequestItems: { [a]: [{ PutRequest: { Item: { ...key('d'), v: S('1') } } }, { DeleteRequest: { Key: key('d') } }] } })),
      'ValidationException',
      'Provided list of item keys contains duplicates',
      { moto: { reason: 'BatchWriteItem with a put and a delete of the same key succeeds (no duplicate check)', actual: 'success' } },
    );
    if (err) expect((await t.client.send(new GetItemCommand({ TableName: a, Key: key('d'), ConsistentRead: true }))).Item).toBeUndefined();
  });

  it('fails if a BatchGetItem asks for one key twice', async () => {
    const a = await t.hashTable({ prefix: 'ba' });
    await expectError(t.client.send(new BatchGetItemCommand({ RequestItems: { [a]: { Keys: [key('d'), key('d')] } } })), 'ValidationException', 'Provided list of item keys contains duplicates');
  });

  it('fails if a batch names a missing table, writing nothing', async () => {
    const a = await t.hashTable({ prefix: 'ba' });
    await expectError(
      t.client.send(new BatchWriteItemCommand({ RequestItems: { [a]: [{ PutRequest: { Item: key('x') } }], [uniqueName('missing')]: [{ PutRequest: { Item: key('x') } }] } })),
      'ResourceNotFoundException',
      /^Requested resource not found/,
    );
    expect((await t.client.send(new GetItemCommand({ TableName: a, Key: key('x'), ConsistentRead: true }))).Item).toBeUndefined();
    await expectError(t.client.send(new BatchGetItemCommand({ RequestItems: { [uniqueName('missing')]: { Keys: [key('x')] } } })), 'ResourceNotFoundException', /^Requested resource not found/);
  });

  it('fails if a batch put has a key of the wrong type', async () => {
    const a = await t.hashTable({ prefix: 'ba' });
    await expectDocumentedError(
      t,
      t.client.send(new BatchWriteItemCommand({ RequestItems: { [a]: [{ PutRequest: { Item: { pk: { N: '1' } } } }] } })),
      'ValidationException',
      /^The provided key element does not match the schema|^One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N/,
    );
  });
});
