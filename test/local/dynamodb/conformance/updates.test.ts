import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
import { expectError, forEachTarget } from './targets.js';

/**
 * UpdateExpression (SET / REMOVE / ADD / DELETE) and ReturnValues.
 * Developer Guide, "Using update expressions":
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html
 * API Reference, UpdateItem ReturnValues: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html
 */

const KEY = { pk: { S: 'u' }, sk: { S: '1' } };
const BASE: Record<string, AttributeValue> = {
  ...KEY,
  n: { N: '10' },
  s: { S: 'text' },
  l: { L: [{ S: 'a' }, { S: 'b' }] },
  m: { M: { x: { N: '1' }, nest: { M: { y: { S: 'why' } } } } },
  ss: { SS: ['a', 'b', 'c'] },
  ns: { NS: ['1', '2'] },
};

const sortSets = (item: Record<string, AttributeValue> | undefined): unknown =>
  item &&
  Object.fromEntries(
    Object.entries(item).map(([k, v]) => [k, v.SS ? { SS: [...v.SS].sort() } : v.NS ? { NS: [...v.NS].sort((a, b) => Number(a) - Number(b)) } : v]),
  );

forEachTarget('updates', (t) => {
  let table: string | undefined;
  const fresh = async (): Promise<string> => {
    table ??= await t.compositeTable({ prefix: 'upd' });
    await t.client.send(new PutItemCommand({ TableName: table, Item: BASE }));
    return table;
  };
  const update = async (input: Omit<UpdateItemCommandInput, 'TableName' | 'Key'>) => {
    const TableName = await fresh();
    await t.client.send(new UpdateItemCommand({ TableName, Key: KEY, ...input }));
    return (await t.client.send(new GetItemCommand({ TableName, Key: KEY, ConsistentRead: true }))).Item;
  };
  const n = (v: string | number): AttributeValue => ({ N: String(v) });
  const s = (v: string): AttributeValue => ({ S: v });

  it('SET adds and replaces attributes, with + and - arithmetic', async () => {
    const item = await update({ UpdateExpression: 'SET a = :a, n = n + :two, s = :s, d = n - :three', ExpressionAttributeValues: { ':a': s('new'), ':two': n(2), ':s': s('replaced'), ':three': n(3) } });
    expect(item?.a).toEqual(s('new'));
    expect(item?.n).toEqual(n(12));
    expect(item?.s).toEqual(s('replaced'));
    expect(item?.d).toEqual(n(7)); // right-hand sides read the item as it was before the update
  });

  it('SET if_not_exists writes only when the attribute is absent', async () => {
    const item = await update({ UpdateExpression: 'SET n = if_not_exists(n, :zero), c = if_not_exists(c, :zero) + :one', ExpressionAttributeValues: { ':zero': n(0), ':one': n(1) } });
    expect(item?.n).toEqual(n(10));
    expect(item?.c).toEqual(n(1));
  });

  it('SET list_append appends and prepends', async () => {
    const item = await update({ UpdateExpression: 'SET l = list_append(l, :end), p = list_append(:start, l)', ExpressionAttributeValues: { ':end': { L: [s('c')] }, ':start': { L: [s('z')] } } });
    expect(item?.l).toEqual({ L: [s('a'), s('b'), s('c')] });
    expect(item?.p).toEqual({ L: [s('z'), s('a'), s('b')] });
  });

  it('SET writes nested map paths and list elements; an index past the end appends', async () => {
    const item = await update({ UpdateExpression: 'SET m.nest.y = :v, m.z = :v, l[0] = :v, l[10] = :w', ExpressionAttributeValues: { ':v': s('v'), ':w': s('w') } });
    expect(item?.m).toEqual({ M: { x: n(1), z: s('v'), nest: { M: { y: s('v') } } } });
    expect(item?.l).toEqual({ L: [s('v'), s('b'), s('w')] });
  });

  it('REMOVE drops attributes, nested paths and list elements (the list closes up)', async () => {
    const item = await update({ UpdateExpression: 'REMOVE s, m.nest, l[0], absent' });
    expect(item?.s).toBeUndefined();
    expect(item?.m).toEqual({ M: { x: n(1) } });
    expect(item?.l).toEqual({ L: [s('b')] });
  });

  it('ADD increments a number and creates a missing one from 0', async () => {
    const item = await update({ UpdateExpression: 'ADD n :five, fresh :minus', ExpressionAttributeValues: { ':five': n(5), ':minus': n(-2) } });
    expect(item?.n).toEqual(n(15));
    expect(item?.fresh).toEqual(n(-2));
  });

  it('ADD unions into string and number sets and creates a missing set', async () => {
    const item = await update({ UpdateExpression: 'ADD ss :ss, ns :ns, nss :new', ExpressionAttributeValues: { ':ss': { SS: ['c', 'd'] }, ':ns': { NS: ['2', '3'] }, ':new': { SS: ['q'] } } });
    expect(sortSets(item)).toMatchObject({ ss: { SS: ['a', 'b', 'c', 'd'] }, ns: { NS: ['1', '2', '3'] }, nss: { SS: ['q'] } });
  });

  it('DELETE removes set elements, and the attribute when the set empties', async () => {
    const item = await update({ UpdateExpression: 'DELETE ss :some, ns :all', ExpressionAttributeValues: { ':some': { SS: ['a', 'zz'] }, ':all': { NS: ['1', '2'] } } });
    expect(sortSets(item)).toMatchObject({ ss: { SS: ['b', 'c'] } });
    expect(item?.ns).toBeUndefined();
  });

  it('combines SET, REMOVE, ADD and DELETE clauses in one expression', async () => {
    const item = await update({ UpdateExpression: 'SET a = :a REMOVE s ADD n :one DELETE ss :b', ExpressionAttributeValues: { ':a': s('A'), ':one': n(1), ':b': { SS: ['b'] } } });
    expect(sortSets(item)).toMatchObject({ a: s('A'), n: n(11), ss: { SS: ['a', 'c'] } });
    expect(item?.s).toBeUndefined();
  });

  it('creates the item when UpdateItem targets a missing key (upsert)', async () => {
    const TableName = await fresh();
    const Key = { pk: s('up'), sk: s('sert') };
    const out = await t.client.send(new UpdateItemCommand({ TableName, Key, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': n(1) }, ReturnValues: 'ALL_NEW' }));
    expect(out.Attributes).toEqual({ ...Key, a: n(1) });
  });

  it('returns nothing with ReturnValues NONE (and by default)', async () => {
    const TableName = await fresh();
    const out = await t.client.send(new UpdateItemCommand({ TableName, Key: KEY, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': n(1) }, ReturnValues: 'NONE' }));
    expect(out.Attributes).toBeUndefined();
    const byDefault = await t.client.send(new UpdateItemCommand({ TableName, Key: KEY, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': n(2) } }));
    expect(byDefault.Attributes).toBeUndefined();
  });

  it('returns the whole old item with ALL_OLD and the whole new item with ALL_NEW', async () => {
    const TableName = await fresh();
    const input = { TableName, Key: KEY, UpdateExpression: 'SET n = :one REMOVE s', ExpressionAttributeValues: { ':one': n(1) } };
    const old = await t.client.send(new UpdateItemCommand({ ...input, ReturnValues: 'ALL_OLD' }));
    expect(old.Attributes).toEqual(BASE);
    await t.client.send(new PutItemCommand({ TableName, Item: BASE }));
    const neu = await t.client.send(new UpdateItemCommand({ ...input, ReturnValues: 'ALL_NEW' }));
    const { s: _s, ...rest } = BASE;
    expect(neu.Attributes).toEqual({ ...rest, n: n(1) });
  });

  it('returns only the updated attributes with UPDATED_OLD and UPDATED_NEW', async () => {
    const TableName = await fresh();
    const input = { TableName, Key: KEY, UpdateExpression: 'SET n = :one, added = :one, m.x = :two REMOVE s', ExpressionAttributeValues: { ':one': n(1), ':two': n(2) } };
    const old = await t.client.send(new UpdateItemCommand({ ...input, ReturnValues: 'UPDATED_OLD' }));
    // UPDATED_OLD: "only the updated attributes, as they appeared before"; a nested update returns
    // just the updated path inside its map (Expressions.UpdateExpressions.html, ReturnValues).
    const nested = t.diverges('moto', 'UPDATED_OLD of a nested SET m.x returns the whole old top-level map m, not just m.x (UPDATED_NEW is right)');
    const oldM = nested ? BASE.m : { M: { x: n(1) } };
    expect(old.Attributes).toEqual({ n: n(10), s: s('text'), m: oldM });
    await t.client.send(new PutItemCommand({ TableName, Item: BASE }));
    const neu = await t.client.send(new UpdateItemCommand({ ...input, ReturnValues: 'UPDATED_NEW' }));
    expect(neu.Attributes).toEqual({ n: n(1), added: n(1), m: { M: { x: n(2) } } });
  });

  it('returns UPDATED_NEW without the key attributes when the update creates the item', async () => {
    const TableName = await fresh();
    const out = await t.client.send(new UpdateItemCommand({ TableName, Key: { pk: s('created'), sk: s('1') }, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': n(1) }, ReturnValues: 'UPDATED_NEW' }));
    if (t.diverges('moto', 'UPDATED_NEW of an UpdateItem that creates the item also returns the key attributes')) expect(out.Attributes).toEqual({ pk: s('created'), sk: s('1'), a: n(1) });
    else expect(out.Attributes).toEqual({ a: n(1) });
  });

  it('returns attributes the update writes even when their value does not change (UPDATED_OLD / UPDATED_NEW)', async () => {
    const TableName = await fresh();
    const input = { TableName, Key: KEY, UpdateExpression: 'SET s = :same, n = if_not_exists(n, :zero) ADD ns :one', ExpressionAttributeValues: { ':same': s('text'), ':zero': n(0), ':one': { NS: ['1'] } } };
    const unchanged = t.diverges('moto', 'UPDATED_OLD / UPDATED_NEW leave out written attributes whose value did not change (SET x = :same, if_not_exists on a present attribute, ADD of a present set element)');
    const old = await t.client.send(new UpdateItemCommand({ ...input, ReturnValues: 'UPDATED_OLD' }));
    expect(sortSets(old.Attributes ?? {})).toEqual(unchanged ? {} : { s: s('text'), n: n(10), ns: { NS: ['1', '2'] } });
    const neu = await t.client.send(new UpdateItemCommand({ ...input, ReturnValues: 'UPDATED_NEW' }));
    expect(sortSets(neu.Attributes ?? {})).toEqual(unchanged ? {} : { s: s('text'), n: n(10), ns: { NS: ['1', '2'] } });
  });

  it('returns the old item from PutItem and DeleteItem with ALL_OLD, nothing for a new item', async () => {
    const TableName = await fresh();
    const put = await t.client.send(new PutItemCommand({ TableName, Item: KEY, ReturnValues: 'ALL_OLD' }));
    expect(put.Attributes).toEqual(BASE);
    const del = await t.client.send(new DeleteItemCommand({ TableName, Key: KEY, ReturnValues: 'ALL_OLD' }));
    expect(del.Attributes).toEqual(KEY);
    const fresh2 = await t.client.send(new PutItemCommand({ TableName, Item: KEY, ReturnValues: 'ALL_OLD' }));
    expect(fresh2.Attributes).toBeUndefined();
    const gone = await t.client.send(new DeleteItemCommand({ TableName, Key: { pk: s('never'), sk: s('1') }, ReturnValues: 'ALL_OLD' }));
    expect(gone.Attributes).toBeUndefined();
  });

  it('fails if PutItem or DeleteItem asks for ReturnValues other than NONE / ALL_OLD', async () => {
    const TableName = await fresh();
    // API_PutItem.html: "The ReturnValues parameter is used by several DynamoDB operations; however, PutItem does not recognize any values other than NONE or ALL_OLD."
    const message = t.diverges('moto', "PutItem/DeleteItem with ReturnValues ALL_NEW/UPDATED_*: message 'Return values set to invalid value' instead of 'ReturnValues can only be ALL_OLD or NONE'")
      ? 'Return values set to invalid value'
      : 'ReturnValues can only be ALL_OLD or NONE';
    await expectError(t.client.send(new PutItemCommand({ TableName, Item: KEY, ReturnValues: 'ALL_NEW' })), 'ValidationException', message);
    await expectError(t.client.send(new DeleteItemCommand({ TableName, Key: KEY, ReturnValues: 'UPDATED_OLD' })), 'ValidationException', message);
  });

  it('fails if an arithmetic operand does not exist in the item', async () => {
    const TableName = await fresh();
    await expectError(
      t.client.send(new UpdateItemCommand({ TableName, Key: KEY, UpdateExpression: 'SET a = absent + :one', ExpressionAttributeValues: { ':one': n(1) } })),
      'ValidationException',
      'The provided expression refers to an attribute that does not exist in the item',
    );
  });

  it('fails if ADD is applied to a string', async () => {
    const TableName = await fresh();
    await expectError(
      t.client.send(new UpdateItemCommand({ TableName, Key: KEY, UpdateExpression: 'ADD s :one', ExpressionAttributeValues: { ':one': n(1) } })),
      'ValidationException',
      /^(An operand in the update expression has an incorrect data type|Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD)/,
    );
  });

  it('fails if + is applied to a string', async () => {
    const TableName = await fresh();
    await expectError(
      t.client.send(new UpdateItemCommand({ TableName, Key: KEY, UpdateExpression: 'SET n = s + :one', ExpressionAttributeValues: { ':one': n(1) } })),
      'ValidationException',
      /^(An operand in the update expression has an incorrect data type|Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: \+, operand type: S)/,
    );
  });

  it('fails if two document paths overlap', async () => {
    const TableName = await fresh();
    await expectError(
      t.client.send(new UpdateItemCommand({ TableName, Key: KEY, UpdateExpression: 'SET m = :v REMOVE m.x', ExpressionAttributeValues: { ':v': n(1) } })),
      'ValidationException',
      /^Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: \[m\], path two: \[m, x\]/,
    );
    await expectError(
      t.client.send(new UpdateItemCommand({ TableName, Key: KEY, UpdateExpression: 'SET a = :v, a = :v', ExpressionAttributeValues: { ':v': n(1) } })),
      'ValidationException',
      /^Invalid UpdateExpression: Two document paths overlap with each other/,
    );
  });

  it('fails if the update sets a nested path under a missing map', async () => {
    const TableName = await fresh();
    await expectError(
      t.client.send(new UpdateItemCommand({ TableName, Key: KEY, UpdateExpression: 'SET nomap.child = :v', ExpressionAttributeValues: { ':v': n(1) } })),
      'ValidationException',
      'The document path provided in the update expression is invalid for update',
    );
  });

  it('fails if the update changes a key attribute', async () => {
    const TableName = await fresh();
    await expectError(
      t.client.send(new UpdateItemCommand({ TableName, Key: KEY, UpdateExpression: 'SET pk = :v', ExpressionAttributeValues: { ':v': s('other') } })),
      'ValidationException',
      'One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key',
    );
    await expectError(t.client.send(new UpdateItemCommand({ TableName, Key: KEY, UpdateExpression: 'REMOVE sk' })), 'ValidationException', /Cannot update attribute sk. This attribute is part of the key/);
  });

  it('fails if DELETE is given a value that is not a set', async () => {
    const TableName = await fresh();
    await expectError(
      t.client.send(new UpdateItemCommand({ TableName, Key: KEY, UpdateExpression: 'DELETE ss :v', ExpressionAttributeValues: { ':v': s('a') } })),
      'ValidationException',
      /^Invalid UpdateExpression: Incorrect operand type for operator or function; (operator or function: )?operator: DELETE, operand type: STRING/,
    );
  });

  it('fails if list_append is given a non-list', async () => {
    const TableName = await fresh();
    await expectError(
      t.client.send(new UpdateItemCommand({ TableName, Key: KEY, UpdateExpression: 'SET l = list_append(l, :v)', ExpressionAttributeValues: { ':v': s('a') } })),
      'ValidationException',
      /^(Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S|An operand in the update expression has an incorrect data type)/,
    );
  });
});
