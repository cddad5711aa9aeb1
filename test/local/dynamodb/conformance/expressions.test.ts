import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
import { expectDocumentedError, expectError, forEachTarget } from './targets.js';

/**
 * Expression attribute names and values, reserved words, syntax errors, ProjectionExpression, and
 * the key checks of single-item operations.
 * Developer Guide: Expressions.ExpressionAttributeNames.html, Expressions.ExpressionAttributeValues.html,
 * ReservedWords.html, Expressions.ProjectionExpressions.html.
 */

const KEY = { pk: { S: 'e' }, sk: { S: '1' } };
const ITEM: Record<string, AttributeValue> = {
  ...KEY,
  a: { S: 'A' },
  b: { N: '2' },
  status: { S: 'open' },
  m: { M: { x: { S: 'X' }, y: { S: 'Y' } } },
  l: { L: [{ S: 'l0' }, { S: 'l1' }, { S: 'l2' }] },
  'dotted.name': { S: 'dot' },
};

forEachTarget('expressions', (t) => {
  let table: string | undefined;
  const fresh = async (): Promise<string> => {
    table ??= await t.compositeTable({ prefix: 'expr' });
    await t.client.send(new PutItemCommand({ TableName: table, Item: ITEM }));
    return table;
  };

  it('projects top-level, nested and list-element paths with ProjectionExpression', async () => {
    const TableName = await fresh();
    const { Item } = await t.client.send(new GetItemCommand({ TableName, Key: KEY, ProjectionExpression: 'a, m.x, l[1], absent' }));
    expect(Item).toEqual({ a: { S: 'A' }, m: { M: { x: { S: 'X' } } }, l: { L: [{ S: 'l1' }] } });
  });

  it('projects attributes through ExpressionAttributeNames, incl. reserved words and names with dots', async () => {
    const TableName = await fresh();
    const { Item } = await t.client.send(new GetItemCommand({ TableName, Key: KEY, ProjectionExpression: '#s, #d', ExpressionAttributeNames: { '#s': 'status', '#d': 'dotted.name' } }));
    expect(Item).toEqual({ status: { S: 'open' }, 'dotted.name': { S: 'dot' } });
  });

  it('returns the whole item from a strongly consistent GetItem, and nothing for a missing key', async () => {
    const TableName = await fresh();
    expect((await t.client.send(new GetItemCommand({ TableName, Key: KEY, ConsistentRead: true }))).Item).toEqual(ITEM);
    const missing = await t.client.send(new GetItemCommand({ TableName, Key: { pk: { S: 'nope' }, sk: { S: '1' } }, ConsistentRead: true }));
    expect(missing.Item).toBeUndefined();
  });

  it('fails if a reserved word is used bare in an expression', async () => {
    const TableName = await fresh();
    await expectError(
      t.client.send(new PutItemCommand({ TableName, Item: ITEM, ConditionExpression: 'status = :v', ExpressionAttributeValues: { ':v': { S: 'open' } } })),
      'ValidationException',
      'Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status',
    );
    await expectError(
      t.client.send(new UpdateItemCommand({ TableName, Key: KEY, UpdateExpression: 'SET size = :v', ExpressionAttributeValues: { ':v': { S: 'x' } } })),
      'ValidationException',
      /^Invalid UpdateExpression: (Attribute name is a reserved keyword; reserved keyword: size|Syntax error; token: "size")/,
    );
    await expectDocumentedError(t, t.client.send(new GetItemCommand({ TableName, Key: KEY, ProjectionExpression: 'name' })), 'ValidationException', 'Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name', {
      moto: { reason: "a reserved word in ProjectionExpression: message lacks the 'Invalid ' prefix", actual: { name: 'ValidationException', message: 'ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name' } },
    });
  });

  it('fails if ExpressionAttributeValues has a value no expression uses', async () => {
    const TableName = await fresh();
    await expectDocumentedError(
      t,
      t.client.send(new PutItemCommand({ TableName, Item: ITEM, ConditionExpression: 'a = :a', ExpressionAttributeValues: { ':a': { S: 'A' }, ':unused': { S: 'x' } } })),
      'ValidationException',
      'Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}',
      { moto: { reason: 'PutItem accepts an unused ExpressionAttributeValues entry (checked only for UpdateItem)', actual: 'success' } },
    );
    await expectError(
      t.client.send(new UpdateItemCommand({ TableName, Key: KEY, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': { S: 'A' }, ':unused': { S: 'x' } } })),
      'ValidationException',
      'Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}',
    );
  });

  it('fails if ExpressionAttributeNames has a name no expression uses', async () => {
    const TableName = await fresh();
    await expectError(
      t.client.send(new GetItemCommand({ TableName, Key: KEY, ProjectionExpression: '#a', ExpressionAttributeNames: { '#a': 'a', '#unused': 'b' } })),
      'ValidationException',
      'Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}',
    );
  });

  it('fails if an expression uses an undefined attribute value', async () => {
    const TableName = await fresh();
    await expectDocumentedError(
      t,
      t.client.send(new PutItemCommand({ TableName, Item: ITEM, ConditionExpression: 'a = :nope' })),
      'ValidationException',
      'Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope',
      { moto: { reason: 'an undefined :value in a ConditionExpression crashes the server (HTTP 500)', actual: 'crash' } },
    );
    await expectError(
      t.client.send(new UpdateItemCommand({ TableName, Key: KEY, UpdateExpression: 'SET a = :nope' })),
      'ValidationException',
      'Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :nope',
    );
  });

  it('fails if an expression uses an undefined attribute name', async () => {
    const TableName = await fresh();
    await expectDocumentedError(
      t,
      t.client.send(new DeleteItemCommand({ TableName, Key: KEY, ConditionExpression: 'attribute_exists(#nope)' })),
      'ValidationException',
      'Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #nope',
      { moto: { reason: 'an undefined #name in a ConditionExpression crashes the server (HTTP 500)', actual: 'crash' } },
    );
    await expectDocumentedError(
      t,
      t.client.send(new GetItemCommand({ TableName, Key: KEY, ProjectionExpression: '#nope' })),
      'ValidationException',
      'Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #nope',
      { moto: { reason: 'an undefined #name in a ProjectionExpression succeeds with an empty Item', actual: 'success' } },
    );
  });

  it('fails on a syntax error in a condition, update or projection expression', async () => {
    const TableName = await fresh();
    await expectDocumentedError(t, t.client.send(new PutItemCommand({ TableName, Item: ITEM, ConditionExpression: 'a = ' })), 'ValidationException', /^Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "= "/, {
      moto: { reason: "a syntax error in a ConditionExpression ('a = ') crashes the server (HTTP 500)", actual: 'crash' },
    });
    await expectError(
      t.client.send(new UpdateItemCommand({ TableName, Key: KEY, UpdateExpression: 'SET a :v', ExpressionAttributeValues: { ':v': { S: 'x' } } })),
      'ValidationException',
      /^Invalid UpdateExpression: Syntax error; token: ":v", near: "a :v"/,
    );
    await expectDocumentedError(t, t.client.send(new GetItemCommand({ TableName, Key: KEY, ProjectionExpression: 'a,,b' })), 'ValidationException', /^Invalid ProjectionExpression: Syntax error; token: ",", near: ",,"/, {
      moto: { reason: "a syntax error in a ProjectionExpression ('a,,b') crashes the server (HTTP 500)", actual: 'crash' },
    });
  });

  it('fails if an expression is empty', async () => {
    const TableName = await fresh();
    await expectDocumentedError(t, t.client.send(new PutItemCommand({ TableName, Item: ITEM, ConditionExpression: '' })), 'ValidationException', /^Invalid ConditionExpression: The expression can not be empty;/, {
      moto: { reason: "an empty ConditionExpression ('') is accepted as no condition", actual: 'success' },
    });
  });

  it('fails if the key has the wrong type', async () => {
    const TableName = await fresh();
    await expectDocumentedError(t, t.client.send(new GetItemCommand({ TableName, Key: { pk: { N: '1' }, sk: { S: '1' } } })), 'ValidationException', 'The provided key element does not match the schema', {
      moto: { reason: 'GetItem with a key of the wrong type (N for an S key) succeeds with no Item', actual: 'success' },
    });
    await expectError(t.client.send(new PutItemCommand({ TableName, Item: { pk: { N: '1' }, sk: { S: '1' } } })), 'ValidationException', 'One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N');
  });

  it('fails if a key attribute is missing', async () => {
    const TableName = await fresh();
    const missingSk = { moto: { reason: "GetItem/DeleteItem without the sort key: message 'Validation Exception' instead of 'The provided key element does not match the schema'", actual: { name: 'ValidationException', message: 'Validation Exception' } } };
    await expectDocumentedError(t, t.client.send(new GetItemCommand({ TableName, Key: { pk: { S: 'e' } } })), 'ValidationException', 'The provided key element does not match the schema', missingSk);
    await expectDocumentedError(t, t.client.send(new DeleteItemCommand({ TableName, Key: { pk: { S: 'e' } } })), 'ValidationException', 'The provided key element does not match the schema', missingSk);
    await expectError(t.client.send(new PutItemCommand({ TableName, Item: { pk: { S: 'e' }, a: { S: 'x' } } })), 'ValidationException', 'One or more parameter values were invalid: Missing the key sk in the item');
  });

  it('fails if the key has an extra attribute', async () => {
    const TableName = await fresh();
    await expectError(t.client.send(new GetItemCommand({ TableName, Key: { ...KEY, a: { S: 'A' } } })), 'ValidationException', 'The provided key element does not match the schema');
    await expectError(
      t.client.send(new UpdateItemCommand({ TableName, Key: { ...KEY, a: { S: 'A' } }, UpdateExpression: 'SET b = :b', ExpressionAttributeValues: { ':b': { N: '1' } } })),
      'ValidationException',
      'The provided key element does not match the schema',
    );
  });

  it('fails if a query names an unknown index', async () => {
    const TableName = await fresh();
    await expectDocumentedError(
      t,
      t.client.send(new QueryCommand({ TableName, IndexName: 'nope', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'e' } } })),
      'ValidationException',
      /^The table does not have the specified index: nope/,
      { moto: { reason: "Query on an unknown index raises ResourceNotFoundException 'Invalid index: …' instead of ValidationException", actual: { name: 'ResourceNotFoundException', message: /^Invalid index: nope for table: / } } },
    );
  });
});
