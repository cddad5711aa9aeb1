import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
import { expectDocumentedError, expectError, forEachTarget } from './targets.js';

/**
 * ConditionExpression on PutItem / UpdateItem / DeleteItem: every comparator and function.
 * Developer Guide, "Condition and filter expressions, operators, and functions":
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html
 */

const ITEM: Record<string, AttributeValue> = {
  pk: { S: 'c' },
  sk: { S: '1' },
  s: { S: 'hello world' },
  n: { N: '5' },
  ss: { SS: ['a', 'b'] },
  ns: { NS: ['1', '2', '3'] },
  bs: { BS: [new Uint8Array([1])] },
  l: { L: [{ S: 'x' }, { N: '2' }, { M: { m: { N: '1' } } }] },
  m: { M: { b: { M: { c: { S: 'deep' } } }, n: { N: '3' } } },
  bool: { BOOL: true },
  nul: { NULL: true },
  bin: { B: new Uint8Array([1, 2, 3]) },
};

const VALUES: Record<string, AttributeValue> = {
  ':S': { S: 'S' },
  ':N': { S: 'N' },
  ':SS': { S: 'SS' },
  ':NS': { S: 'NS' },
  ':BS': { S: 'BS' },
  ':L': { S: 'L' },
  ':M': { S: 'M' },
  ':BOOL': { S: 'BOOL' },
  ':NULL': { S: 'NULL' },
  ':B': { S: 'B' },
  ':hel': { S: 'hel' },
  ':wor': { S: 'wor' },
  ':a': { S: 'a' },
  ':b': { S: 'b' },
  ':z': { S: 'z' },
  ':x': { S: 'x' },
  ':deep': { S: 'deep' },
  ':five': { S: '5' },
  ':true': { BOOL: true },
  ':bin': { B: new Uint8Array([1, 2, 3]) },
  ':one': { N: '1' },
  ':two': { N: '2' },
  ':three': { N: '3' },
  ':four': { N: '4' },
  ':n5': { N: '5' },
  ':n5f': { N: '5.0' },
  ':six': { N: '6' },
  ':ten': { N: '10' },
  ':eleven': { N: '11' },
};

/** [expression, holds on ITEM] */
const CASES: readonly (readonly [string, boolean])[] = [
  ['attribute_exists(s)', true],
  ['attribute_exists(nope)', false],
  ['attribute_not_exists(nope)', true],
  ['attribute_not_exists(s)', false],
  ['attribute_exists(m.b.c)', true],
  ['attribute_exists(m.b.zz)', false],
  ['attribute_type(s, :S)', true],
  ['attribute_type(n, :S)', false],
  ['attribute_type(n, :N)', true],
  ['attribute_type(ss, :SS)', true],
  ['attribute_type(ns, :NS)', true],
  ['attribute_type(bs, :BS)', true],
  ['attribute_type(l, :L)', true],
  ['attribute_type(m, :M)', true],
  ['attribute_type(bool, :BOOL)', true],
  ['attribute_type(nul, :NULL)', true],
  ['attribute_type(bin, :B)', true],
  ['attribute_type(nope, :S)', false],
  ['begins_with(s, :hel)', true],
  ['begins_with(s, :wor)', false],
  ['contains(s, :wor)', true],
  ['contains(s, :z)', false],
  ['contains(ss, :a)', true],
  ['contains(ss, :z)', false],
  ['contains(ns, :two)', true],
  ['contains(l, :x)', true],
  ['contains(l, :z)', false],
  ['size(s) = :eleven', true],
  ['size(ss) = :two', true],
  ['size(ns) = :three', true],
  ['size(l) = :three', true],
  ['size(m) = :two', true],
  ['size(bin) = :three', true],
  ['size(s) > :ten', true],
  ['n = :n5', true],
  ['n = :n5f', true],
  ['n = :five', false],
  ['n <> :n5', false],
  ['n <> :four', true],
  ['n < :six', true],
  ['n < :ten', true],
  ['n <= :n5', true],
  ['n > :four', true],
  ['n >= :six', false],
  ['s > :a', true],
  ['s < :a', false],
  ['bin = :bin', true],
  ['bool = :true', true],
  ['nope = :one', false],
  ['nope <> :one', true],
  ['n BETWEEN :four AND :six', true],
  ['n BETWEEN :n5 AND :n5', true],
  ['n BETWEEN :six AND :ten', false],
  ['s BETWEEN :a AND :z', true],
  ['n IN (:one, :n5)', true],
  ['n IN (:one, :two)', false],
  ['s IN (:a, :b)', false],
  ['attribute_exists(s) AND n = :n5', true],
  ['attribute_exists(s) AND n = :one', false],
  ['attribute_exists(nope) OR n = :n5', true],
  ['attribute_exists(nope) OR n = :one', false],
  ['NOT n = :n5', false],
  ['NOT attribute_exists(nope)', true],
  ['NOT attribute_exists(nope) AND (n = :one OR n = :n5)', true],
  ['attribute_exists(nope) AND n = :n5 OR s = :z', false],
  ['n = :one OR n = :n5 AND s = :z', false],
  ['(n = :one OR n = :n5) AND NOT s = :z', true],
  ['m.b.c = :deep', true],
  ['m.n = :three', true],
  ['l[0] = :x', true],
  ['l[1] = :two', true],
  ['l[2].m = :one', true],
  ['l[5] = :x', false],
  ['#m.#b.#c = :deep', true],
  ['#weird = :one', false],
];

/** Only the names and values an expression uses (DynamoDB rejects unused ones). */
function used(expression: string): { ExpressionAttributeValues?: Record<string, AttributeValue>; ExpressionAttributeNames?: Record<string, string> } {
  const values = Object.fromEntries([...new Set(expression.match(/:\w+/g) ?? [])].map((k) => [k, VALUES[k]!]));
  const nameMap: Record<string, string> = { '#m': 'm', '#b': 'b', '#c': 'c', '#weird': 'a.b' };
  const names = Object.fromEntries([...new Set(expression.match(/#\w+/g) ?? [])].map((k) => [k, nameMap[k]!]));
  return { ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}), ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}) };
}

const KEY = { pk: ITEM.pk!, sk: ITEM.sk! };

forEachTarget('conditions', (t) => {
  let table: string | undefined;
  const fresh = async (): Promise<string> => {
    table ??= await t.compositeTable({ prefix: 'cond' });
    await t.client.send(new PutItemCommand({ TableName: table, Item: ITEM }));
    return table;
  };

  for (const [expression, holds] of CASES) {
    it(`${holds ? 'passes' : 'fails'} the condition ${expression}`, async () => {
      const TableName = await fresh();
      const attempt = t.client.send(new PutItemCommand({ TableName, Item: { ...ITEM, marker: { S: expression } }, ConditionExpression: expression, ...used(expression) }));
      if (holds) await attempt;
      else await expectError(attempt, 'ConditionalCheckFailedException', 'The conditional request failed');
      const { Item } = await t.client.send(new GetItemCommand({ TableName, Key: KEY, ConsistentRead: true }));
      expect(Item?.marker).toEqual(holds ? { S: expression } : undefined);
    });
  }

  it('passes attribute_not_exists(pk) for a new key and fails it for an existing one', async () => {
    const TableName = await fresh();
    await t.client.send(new PutItemCommand({ TableName, Item: { pk: { S: 'new' }, sk: { S: '1' } }, ConditionExpression: 'attribute_not_exists(pk)' }));
    await expectError(t.client.send(new PutItemCommand({ TableName, Item: { pk: { S: 'new' }, sk: { S: '1' } }, ConditionExpression: 'attribute_not_exists(pk)' })), 'ConditionalCheckFailedException', 'The conditional request failed');
  });

  it('fails attribute_exists(pk) on a missing item for put, update and delete, writing nothing', async () => {
    const TableName = await fresh();
    const Key = { pk: { S: 'ghost' }, sk: { S: '1' } };
    const ConditionExpression = 'attribute_exists(pk)';
    await expectError(t.client.send(new PutItemCommand({ TableName, Item: Key, ConditionExpression })), 'ConditionalCheckFailedException', 'The conditional request failed');
    await expectError(t.client.send(new UpdateItemCommand({ TableName, Key, UpdateExpression: 'SET a = :one', ExpressionAttributeValues: { ':one': { N: '1' } }, ConditionExpression })), 'ConditionalCheckFailedException', 'The conditional request failed');
    await expectError(t.client.send(new DeleteItemCommand({ TableName, Key, ConditionExpression })), 'ConditionalCheckFailedException', 'The conditional request failed');
    expect((await t.client.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }))).Item).toBeUndefined();
  });

  it('applies update and delete only when their condition holds', async () => {
    const TableName = await fresh();
    const values = { ':n5': { N: '5' }, ':one': { N: '1' } };
    await expectError(t.client.send(new UpdateItemCommand({ TableName, Key: KEY, UpdateExpression: 'SET n = :n5', ConditionExpression: 'n = :one', ExpressionAttributeValues: values })), 'ConditionalCheckFailedException');
    await t.client.send(new UpdateItemCommand({ TableName, Key: KEY, UpdateExpression: 'SET n = :one', ConditionExpression: 'n = :n5', ExpressionAttributeValues: values }));
    expect((await t.client.send(new GetItemCommand({ TableName, Key: KEY, ConsistentRead: true }))).Item?.n).toEqual({ N: '1' });
    await expectError(t.client.send(new DeleteItemCommand({ TableName, Key: KEY, ConditionExpression: 'n = :n5', ExpressionAttributeValues: { ':n5': { N: '5' } } })), 'ConditionalCheckFailedException');
    await t.client.send(new DeleteItemCommand({ TableName, Key: KEY, ConditionExpression: 'n = :one', ExpressionAttributeValues: { ':one': { N: '1' } } }));
    expect((await t.client.send(new GetItemCommand({ TableName, Key: KEY, ConsistentRead: true }))).Item).toBeUndefined();
  });

  // API_PutItem.html, ReturnValuesOnConditionCheckFailure: "ALL_OLD, the entire item (as it was) is returned".
  it('returns the item on ConditionalCheckFailedException with ReturnValuesOnConditionCheckFailure ALL_OLD (put, update, delete)', async () => {
    const TableName = await fresh();
    const ConditionExpression = 'attribute_not_exists(pk)';
    const put = await expectError(t.client.send(new PutItemCommand({ TableName, Item: KEY, ConditionExpression, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })), 'ConditionalCheckFailedException');
    expect(put.Item).toEqual(ITEM);
    const update = await expectError(t.client.send(new UpdateItemCommand({ TableName, Key: KEY, UpdateExpression: 'REMOVE s', ConditionExpression, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })), 'ConditionalCheckFailedException');
    expect(update.Item).toEqual(ITEM);
    const del = await expectError(t.client.send(new DeleteItemCommand({ TableName, Key: KEY, ConditionExpression, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })), 'ConditionalCheckFailedException');
    expect(del.Item).toEqual(ITEM);
    const none = await expectError(t.client.send(new DeleteItemCommand({ TableName, Key: KEY, ConditionExpression, ReturnValuesOnConditionCheckFailure: 'NONE' })), 'ConditionalCheckFailedException');
    expect(none.Item).toBeUndefined();
  });

  it('returns no Item on a failed condition of a missing item with ALL_OLD', async () => {
    const TableName = await fresh();
    const err = await expectError(t.client.send(new PutItemCommand({ TableName, Item: { pk: { S: 'none' }, sk: { S: '1' } }, ConditionExpression: 'attribute_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })), 'ConditionalCheckFailedException');
    expect(err.Item).toBeUndefined();
  });

  it('passes BETWEEN and IN for an attribute whose value is 0', async () => {
    const TableName = await fresh();
    await t.client.send(new PutItemCommand({ TableName, Item: { ...KEY, zero: { N: '0' } } }));
    const attempt = t.client.send(
      new PutItemCommand({ TableName, Item: { ...KEY, zero: { N: '0' } }, ConditionExpression: 'zero BETWEEN :lo AND :hi', ExpressionAttributeValues: { ':lo': { N: '-1' }, ':hi': { N: '1' } } }),
    );
    if (t.diverges('moto', '`0 BETWEEN -1 AND 1` evaluates to false (an attribute value of 0 never satisfies BETWEEN)')) await expectError(attempt, 'ConditionalCheckFailedException');
    else await attempt;
    await t.client.send(new PutItemCommand({ TableName, Item: { ...KEY, zero: { N: '0' } }, ConditionExpression: 'zero IN (:z, :one) AND zero = :z', ExpressionAttributeValues: { ':z': { N: '0' }, ':one': { N: '1' } } }));
  });

  it('fails the condition size(x) >= :v for a missing attribute x', async () => {
    const TableName = await fresh();
    const attempt = t.client.send(new PutItemCommand({ TableName, Item: ITEM, ConditionExpression: 'size(nope) >= :two', ExpressionAttributeValues: { ':two': { N: '2' } } }));
    // size() of a missing attribute makes the comparison false (Expressions.OperatorsAndFunctions.html).
    await expectDocumentedError(t, attempt, 'ConditionalCheckFailedException', 'The conditional request failed', {
      moto: { reason: 'size() of a missing attribute in a condition crashes the server (HTTP 500)', actual: 'crash' },
    });
  });

  it('fails if the condition calls an unknown function', async () => {
    const TableName = await fresh();
    const attempt = t.client.send(new PutItemCommand({ TableName, Item: ITEM, ConditionExpression: 'foo(s)' }));
    if (t.diverges('moto', 'an unknown function in a ConditionExpression crashes the server (HTTP 500 HTML page) instead of a ValidationException')) await expect(attempt).rejects.toThrow();
    else await expectError(attempt, 'ValidationException', /^Invalid ConditionExpression: Invalid function name; function: foo/);
  });

  it('fails if attribute_type is given an unknown type', async () => {
    const TableName = await fresh();
    const attempt = t.client.send(new PutItemCommand({ TableName, Item: ITEM, ConditionExpression: 'attribute_type(s, :t)', ExpressionAttributeValues: { ':t': { S: 'XX' } } }));
    // attribute_type's type must be one of S, SS, N, NS, B, BS, BOOL, NULL, L, M (Expressions.OperatorsAndFunctions.html).
    if (t.diverges('moto', 'attribute_type with an unknown type name evaluates to false (ConditionalCheckFailedException) instead of a ValidationException')) await expectError(attempt, 'ConditionalCheckFailedException');
    else await expectError(attempt, 'ValidationException', /^Invalid ConditionExpression: Invalid attribute type name found; type: XX, valid types: /);
  });

  it('fails if BETWEEN has its lower bound above the upper bound', async () => {
    const TableName = await fresh();
    const attempt = t.client.send(new PutItemCommand({ TableName, Item: ITEM, ConditionExpression: 'n BETWEEN :six AND :four', ExpressionAttributeValues: { ':six': { N: '6' }, ':four': { N: '4' } } }));
    // Developer Guide: "a BETWEEN b AND c — true if a is greater than or equal to b, and less than or
    // equal to c"; DynamoDB rejects b > c as invalid rather than evaluating to false.
    if (t.diverges('moto', 'BETWEEN with lower bound > upper bound evaluates to false (ConditionalCheckFailedException) instead of a ValidationException')) {
      await expectError(attempt, 'ConditionalCheckFailedException');
    } else {
      await expectError(attempt, 'ValidationException', /^Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound/);
    }
  });

  it('fails if IN has an empty list (syntax error)', async () => {
    const TableName = await fresh();
    const attempt = t.client.send(new PutItemCommand({ TableName, Item: ITEM, ConditionExpression: 'n IN ()' }));
    if (t.diverges('moto', "'n IN ()' crashes the server (HTTP 500 HTML page) instead of a ValidationException syntax error")) await expect(attempt).rejects.toThrow();
    else await expectError(attempt, 'ValidationException', /^Invalid ConditionExpression: Syntax error; token: /);
  });
});
