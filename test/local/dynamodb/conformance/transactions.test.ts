import { GetItemCommand, PutItemCommand, TransactGetItemsCommand, TransactWriteItemsCommand, type AttributeValue, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
import { expectDocumentedError, expectError, forEachTarget, uniqueName } from './targets.js';

/**
 * TransactWriteItems / TransactGetItems.
 * API Reference: API_TransactWriteItems.html ("up to 100 action requests", "no two actions can target the
 * same item", ClientRequestToken "valid for 10 minutes … IdempotentParameterMismatch"), API_TransactGetItems.html,
 * and the TransactionCanceledException reasons table there ("Code … None / ConditionalCheckFailed …").
 */

const S = (v: string): AttributeValue => ({ S: v });
const N = (v: number): AttributeValue => ({ N: String(v) });
const key = (pk: string) => ({ pk: S(pk) });

forEachTarget('transactions', (t) => {
  const table = async () => {
    const TableName = await t.hashTable({ prefix: 'tx' });
    for (const pk of ['a', 'b', 'c']) await t.client.send(new PutItemCommand({ TableName, Item: { ...key(pk), n: N(1) } }));
    return TableName;
  };
  const get = async (TableName: string, pk: string) => (await t.client.send(new GetItemCommand({ TableName, Key: key(pk), ConsistentRead: true }))).Item;

  it('applies Put, Update, Delete and ConditionCheck together', async () => {
    const TableName = await table();
    await t.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName, Item: { ...key('new'), n: N(7) }, ConditionExpression: 'attribute_not_exists(pk)' } },
          { Update: { TableName, Key: key('a'), UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': N(1) } } },
          { Delete: { TableName, Key: key('b'), ConditionExpression: 'n = :one', ExpressionAttributeValues: { ':one': N(1) } } },
          { ConditionCheck: { TableName, Key: key('c'), ConditionExpression: 'attribute_exists(pk)' } },
        ],
      }),
    );
    expect(await get(TableName, 'new')).toEqual({ ...key('new'), n: N(7) });
    expect(await get(TableName, 'a')).toEqual({ ...key('a'), n: N(2) });
    expect(await get(TableName, 'b')).toBeUndefined();
    expect(await get(TableName, 'c')).toEqual({ ...key('c'), n: N(1) });
  });

  it('applies nothing and cancels with reasons in action order when one condition fails', async () => {
    const TableName = await table();
    const err = await expectError(
      t.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Update: { TableName, Key: key('a'), UpdateExpression: 'SET n = :nine', ExpressionAttributeValues: { ':nine': N(9) } } },
            { ConditionCheck: { TableName, Key: key('b'), ConditionExpression: 'n = :two', ExpressionAttributeValues: { ':two': N(2) } } },
            { Delete: { TableName, Key: key('c') } },
          ],
        }),
      ),
      'TransactionCanceledException',
      'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, None]',
    );
    expect(err.CancellationReasons?.map((r) => r.Code)).toEqual(['None', 'ConditionalCheckFailed', 'None']);
    expect(err.CancellationReasons?.[1]?.Message).toBe('The conditional request failed');
    expect(err.CancellationReasons?.[1]?.Item).toBeUndefined();
    expect(await get(TableName, 'a')).toEqual({ ...key('a'), n: N(1) });
    expect(await get(TableName, 'c')).toBeDefined();
  });

  it('returns the failing item in CancellationReasons with ReturnValuesOnConditionCheckFailure ALL_OLD', async () => {
    const TableName = await table();
    const err = await expectError(
      t.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName, Item: { ...key('a'), n: N(5) }, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
            { Put: { TableName, Item: { ...key('z') } } },
          ],
        }),
      ),
      'TransactionCanceledException',
    );
    expect(err.CancellationReasons).toEqual([{ Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', Item: { ...key('a'), n: N(1) } }, { Code: 'None' }]);
    expect(await get(TableName, 'z')).toBeUndefined();
  });

  it('cancels with a ValidationError reason when an update fails at run time', async () => {
    const TableName = await table();
    // API_TransactWriteItems, TransactionCanceledException: "ValidationError … The provided expression
    // refers to an attribute that does not exist in the item".
    const attempt = t.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Update: { TableName, Key: key('a'), UpdateExpression: 'SET n = absent + :one', ExpressionAttributeValues: { ':one': N(1) } } },
          { Put: { TableName, Item: key('z') } },
        ],
      }),
    );
    const err = await expectDocumentedError(t, attempt, 'TransactionCanceledException', 'Transaction cancelled, please refer cancellation reasons for specific reasons [ValidationError, None]', {
      moto: {
        reason: 'a transaction update that fails at run time (missing operand) raises a plain ValidationException instead of TransactionCanceledException with a ValidationError reason',
        actual: { name: 'ValidationException', message: 'The provided expression refers to an attribute that does not exist in the item' },
      },
    });
    if (err?.name === 'TransactionCanceledException') {
      expect(err.CancellationReasons).toEqual([{ Code: 'ValidationError', Message: 'The provided expression refers to an attribute that does not exist in the item' }, { Code: 'None' }]);
    }
    expect(await get(TableName, 'z')).toBeUndefined();
  });

  it('fails if two actions target the same item', async () => {
    const TableName = await table();
    await expectError(
      t.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [{ ConditionCheck: { TableName, Key: key('a'), ConditionExpression: 'attribute_exists(pk)' } }, { Update: { TableName, Key: key('a'), UpdateExpression: 'REMOVE n' } }],
        }),
      ),
      'ValidationException',
      'Transaction request cannot include multiple operations on one item',
    );
    expect(await get(TableName, 'a')).toEqual({ ...key('a'), n: N(1) });
  });

  it('accepts 100 actions and fails over 100', async () => {
    const TableName = await table();
    const puts = (count: number): TransactWriteItem[] => Array.from({ length: count }, (_, i) => ({ Put: { TableName, Item: key(`p${i}`) } }));
    await t.client.send(new TransactWriteItemsCommand({ TransactItems: puts(100) }));
    expect(await get(TableName, 'p99')).toBeDefined();
    await expectError(t.client.send(new TransactWriteItemsCommand({ TransactItems: puts(101) })), 'ValidationException', /Member must have length less than or equal to 100/);
  });

  it('does not re-apply a request repeated with the same ClientRequestToken', async () => {
    const TableName = await table();
    const ClientRequestToken = uniqueName('token');
    const request = { ClientRequestToken, TransactItems: [{ Update: { TableName, Key: key('a'), UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': N(1) } } }] };
    await t.client.send(new TransactWriteItemsCommand(request));
    await t.client.send(new TransactWriteItemsCommand(request));
    const item = await get(TableName, 'a');
    if (t.diverges('moto', 'ClientRequestToken is ignored: a repeated TransactWriteItems is applied again')) expect(item?.n).toEqual(N(3));
    else expect(item?.n).toEqual(N(2));
  });

  it('fails with IdempotentParameterMismatchException if a token is reused for a different request', async () => {
    const TableName = await table();
    const ClientRequestToken = uniqueName('token');
    await t.client.send(new TransactWriteItemsCommand({ ClientRequestToken, TransactItems: [{ Put: { TableName, Item: { ...key('t'), v: S('1') } } }] }));
    await expectDocumentedError(
      t,
      t.client.send(new TransactWriteItemsCommand({ ClientRequestToken, TransactItems: [{ Put: { TableName, Item: { ...key('t'), v: S('2') } } }] })),
      'IdempotentParameterMismatchException',
      undefined,
      { moto: { reason: 'ClientRequestToken is ignored: the same token with a different request succeeds', actual: 'success' } },
    );
  });

  it('fails with ResourceNotFoundException if an action names a missing table', async () => {
    const TableName = await table();
    await expectError(
      t.client.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName, Item: key('x') } }, { Put: { TableName: uniqueName('missing'), Item: key('x') } }] })),
      'ResourceNotFoundException',
      /^Requested resource not found/,
    );
    expect(await get(TableName, 'x')).toBeUndefined();
  });

  it('reads items in request order with TransactGetItems, an empty response for a missing item', async () => {
    const TableName = await table();
    const out = await t.client.send(
      new TransactGetItemsCommand({
        TransactItems: [{ Get: { TableName, Key: key('b') } }, { Get: { TableName, Key: key('missing') } }, { Get: { TableName, Key: key('a'), ProjectionExpression: 'pk' } }],
      }),
    );
    expect(out.Responses).toHaveLength(3);
    expect(out.Responses?.[0]?.Item).toEqual({ ...key('b'), n: N(1) });
    expect(out.Responses?.[1]?.Item).toBeUndefined();
    if (t.diverges('moto', 'TransactGetItems ignores ProjectionExpression (returns the whole item)')) expect(out.Responses?.[2]?.Item).toEqual({ ...key('a'), n: N(1) });
    else expect(out.Responses?.[2]?.Item).toEqual(key('a'));
  });

  it('accepts 100 TransactGetItems and fails over 100', async () => {
    const TableName = await table();
    const gets = (count: number) => Array.from({ length: count }, (_, i) => ({ Get: { TableName, Key: key(`g${i}`) } }));
    const limit25 = { moto: { reason: 'TransactGetItems is limited to 25 items (the pre-2022 limit), not 100', actual: { name: 'ValidationException', message: /Member must have length less than or equal to 25/ } } };
    const hundred = t.client.send(new TransactGetItemsCommand({ TransactItems: gets(100) }));
    if (t.diverges('moto', limit25.moto.reason)) await expectError(hundred, 'ValidationException', /Member must have length less than or equal to 25/);
    else expect((await hundred).Responses).toHaveLength(100);
    await expectDocumentedError(t, t.client.send(new TransactGetItemsCommand({ TransactItems: gets(101) })), 'ValidationException', /Member must have length less than or equal to 100/, limit25);
  });
});
