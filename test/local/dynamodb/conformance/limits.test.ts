import { GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
import { expectDocumentedError, expectError, forEachTarget } from './targets.js';

/**
 * Service limits and data-type rules.
 * Developer Guide, "Quotas in Amazon DynamoDB" (ServiceQuotas.html): item size 400 KB incl. attribute
 * names; partition key 1–2048 bytes, sort key 1–1024 bytes; numbers up to 38 digits of precision,
 * magnitude 1E-130 … 9.99…E+125; nesting up to 32 levels.
 * Developer Guide, "Supported data types" (HowItWorks.NamingRulesDataTypes.html): empty strings and
 * binaries allowed in non-key attributes; sets must not be empty, no duplicates; "Numbers are sent
 * across the network to DynamoDB as strings … leading and trailing zeroes are trimmed".
 */

const S = (v: string): AttributeValue => ({ S: v });
const KB = 1024;

forEachTarget('limits', (t) => {
  let hash: string | undefined;
  let composite: string | undefined;
  const hashTable = async () => (hash ??= await t.hashTable({ prefix: 'lim' }));
  const compositeTable = async () => (composite ??= await t.compositeTable({ prefix: 'lim' }));
  const roundTrip = async (item: Record<string, AttributeValue>) => {
    const TableName = await hashTable();
    await t.client.send(new PutItemCommand({ TableName, Item: item }));
    return (await t.client.send(new GetItemCommand({ TableName, Key: { pk: item.pk! }, ConsistentRead: true }))).Item;
  };

  // Item size = UTF-8 lengths of attribute names + values: "pk" + "a" + "blob" + blob.
  it('accepts an item of exactly 400 KB', async () => {
    const TableName = await hashTable();
    const attempt = t.client.send(new PutItemCommand({ TableName, Item: { pk: S('a'), blob: S('x'.repeat(400 * KB - 3 - 4)) } }));
    if (t.diverges('moto', 'the item size limit is 405,000 bytes, not 400 KB (409,600 bytes): a 400 KB item is rejected')) await expectError(attempt, 'ValidationException', 'Item size has exceeded the maximum allowed size');
    else await attempt;
  });

  it('fails if an item is 400 KB + 1 byte', async () => {
    const TableName = await hashTable();
    await expectError(t.client.send(new PutItemCommand({ TableName, Item: { pk: S('b'), blob: S('x'.repeat(400 * KB - 3 - 4 + 1)) } })), 'ValidationException', 'Item size has exceeded the maximum allowed size');
  });

  it('fails if an update grows an item past 400 KB', async () => {
    // Message from API_TransactWriteItems (ValidationError reasons): "Item size to update has exceeded the maximum allowed size".
    const TableName = await hashTable();
    await t.client.send(new PutItemCommand({ TableName, Item: { pk: S('c'), blob: S('x'.repeat(300 * KB)) } }));
    await expectError(
      t.client.send(new UpdateItemCommand({ TableName, Key: { pk: S('c') }, UpdateExpression: 'SET more = :m', ExpressionAttributeValues: { ':m': S('y'.repeat(150 * KB)) } })),
      'ValidationException',
      'Item size to update has exceeded the maximum allowed size',
    );
  });

  it('accepts a 2048-byte partition key and fails a 2049-byte one', async () => {
    const TableName = await hashTable();
    await t.client.send(new PutItemCommand({ TableName, Item: { pk: S('k'.repeat(2048)) } }));
    await expectError(
      t.client.send(new PutItemCommand({ TableName, Item: { pk: S('k'.repeat(2049)) } })),
      'ValidationException',
      'One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes',
    );
  });

  it('accepts a 1024-byte sort key and fails a 1025-byte one', async () => {
    const TableName = await compositeTable();
    await t.client.send(new PutItemCommand({ TableName, Item: { pk: S('p'), sk: S('s'.repeat(1024)) } }));
    await expectError(
      t.client.send(new PutItemCommand({ TableName, Item: { pk: S('p'), sk: S('s'.repeat(1025)) } })),
      'ValidationException',
      'One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes',
    );
  });

  it('round-trips binary values, binary sets, number sets and string sets', async () => {
    const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);
    const item = await roundTrip({ pk: S('bin'), b: { B: bytes }, bs: { BS: [new Uint8Array([1]), new Uint8Array([2, 3])] }, ns: { NS: ['1', '-2.5', '300'] }, ss: { SS: ['x', 'y'] } });
    expect(item?.b?.B).toBeInstanceOf(Uint8Array);
    expect([...(item?.b?.B ?? [])]).toEqual([...bytes]);
    expect((item?.bs?.BS ?? []).map((b) => [...b]).sort((x, y) => x.length - y.length)).toEqual([[1], [2, 3]]);
    expect([...(item?.ns?.NS ?? [])].sort()).toEqual(['-2.5', '1', '300']);
    expect([...(item?.ss?.SS ?? [])].sort()).toEqual(['x', 'y']);
  });

  it('stores empty strings and empty binaries in non-key attributes', async () => {
    const item = await roundTrip({ pk: S('empty'), s: S(''), b: { B: new Uint8Array() }, m: { M: { inner: S('') } }, l: { L: [S('')] } });
    expect(item?.s).toEqual(S(''));
    expect(item?.b?.B?.length).toBe(0);
    expect(item?.m).toEqual({ M: { inner: S('') } });
    expect(item?.l).toEqual({ L: [S('')] });
  });

  it('fails if a key attribute is an empty string', async () => {
    const TableName = await hashTable();
    const oldWording = {
      moto: {
        reason: "PutItem with an empty-string key: the pre-2020 message 'One or more parameter values were invalid: An AttributeValue may not contain an empty string. Key: pk'",
        actual: { name: 'ValidationException', message: 'One or more parameter values were invalid: An AttributeValue may not contain an empty string. Key: pk' },
      },
    };
    await expectDocumentedError(
      t,
      t.client.send(new PutItemCommand({ TableName, Item: { pk: S('') } })),
      'ValidationException',
      'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk',
      oldWording,
    );
    await expectError(t.client.send(new GetItemCommand({ TableName, Key: { pk: S('') } })), 'ValidationException', /The AttributeValue for a key attribute cannot contain an empty string value. Key: pk/);
  });

  it('fails if a set is empty', async () => {
    const TableName = await hashTable();
    await expectError(t.client.send(new PutItemCommand({ TableName, Item: { pk: S('s'), ss: { SS: [] } } })), 'ValidationException', /^One or more parameter values were invalid: An string set {1,2}may not be empty/);
    await expectError(t.client.send(new PutItemCommand({ TableName, Item: { pk: S('s'), ns: { NS: [] } } })), 'ValidationException', /^One or more parameter values were invalid: An number set {1,2}may not be empty/);
  });

  it('fails if a set holds duplicates', async () => {
    const TableName = await hashTable();
    await expectDocumentedError(t, t.client.send(new PutItemCommand({ TableName, Item: { pk: S('s'), ss: { SS: ['a', 'a'] } } })), 'ValidationException', /^One or more parameter values were invalid: Input collection \[a, a\] contains duplicates/, {
      moto: { reason: "a string set with duplicates (['a', 'a']) is accepted", actual: 'success' },
    });
  });

  it('stores 38 significant digits and fails 39', async () => {
    const digits38 = '1234567890123456789012345678901234567.8';
    const item = await roundTrip({ pk: S('n38'), n: { N: digits38 } });
    expect(item?.n).toEqual({ N: digits38 });
    const TableName = await hashTable();
    await expectDocumentedError(
      t,
      t.client.send(new PutItemCommand({ TableName, Item: { pk: S('n39'), n: { N: '123456789012345678901234567890123456789' } } })),
      'ValidationException',
      'Attempting to store more than 38 significant digits in a Number',
      { moto: { reason: 'numbers with more than 38 significant digits are accepted', actual: 'success' } },
    );
  });

  it('fails if a number is larger than 9.99…E+125', async () => {
    const TableName = await hashTable();
    await expectDocumentedError(t, t.client.send(new PutItemCommand({ TableName, Item: { pk: S('big'), n: { N: '1E126' } } })), 'ValidationException', 'Number overflow. Attempting to store a number with magnitude larger than supported range', {
      moto: { reason: 'a number larger than the supported magnitude (1E126) is accepted (underflow is checked)', actual: 'success' },
    });
  });

  it('fails if a number is smaller in magnitude than 1E-130', async () => {
    const TableName = await hashTable();
    await expectError(t.client.send(new PutItemCommand({ TableName, Item: { pk: S('small'), n: { N: '1E-131' } } })), 'ValidationException', 'Number underflow. Attempting to store a number with magnitude smaller than supported range');
  });

  it('fails if a number is not a number', async () => {
    const TableName = await hashTable();
    await expectError(t.client.send(new PutItemCommand({ TableName, Item: { pk: S('nan'), n: { N: 'abc' } } })), 'ValidationException', /^(A value provided cannot be converted into a number|The parameter cannot be converted to a numeric value: abc)$/);
  });

  it('returns numbers in canonical form (leading and trailing zeros trimmed, exponent expanded)', async () => {
    const item = await roundTrip({ pk: S('canon'), a: { N: '1.50' }, b: { N: '0100' }, c: { N: '1e2' }, d: { N: '-0.0' }, ns: { NS: ['2.0'] } });
    const canonical = { a: { N: '1.5' }, b: { N: '100' }, c: { N: '100' }, d: { N: '0' }, ns: { NS: ['2'] } };
    if (t.diverges('moto', 'numbers are returned as sent ("1.50" stays "1.50"), not in canonical form')) expect(item).toMatchObject({ a: { N: '1.50' }, b: { N: '0100' }, c: { N: '1e2' } });
    else expect(item).toMatchObject(canonical);
  });

  it('compares numbers by value, not by their text', async () => {
    const TableName = await hashTable();
    await t.client.send(new PutItemCommand({ TableName, Item: { pk: S('cmp'), n: { N: '1.50' } } }));
    await t.client.send(new PutItemCommand({ TableName, Item: { pk: S('cmp'), n: { N: '2' } }, ConditionExpression: 'n = :v', ExpressionAttributeValues: { ':v': { N: '1.5' } } }));
  });

  it('fails if an attribute name is empty', async () => {
    const TableName = await hashTable();
    await expectDocumentedError(t, t.client.send(new PutItemCommand({ TableName, Item: { pk: S('e'), '': S('x') } })), 'ValidationException', /empty/i, {
      moto: { reason: "an item with an empty attribute name ('') is accepted", actual: 'success' },
    });
  });

  it('accepts 32 levels of nesting and fails 33', async () => {
    const nest = (depth: number): AttributeValue => (depth === 0 ? S('leaf') : { M: { d: nest(depth - 1) } });
    const TableName = await hashTable();
    await t.client.send(new PutItemCommand({ TableName, Item: { pk: S('deep'), m: nest(31) } }));
    await expectDocumentedError(t, t.client.send(new PutItemCommand({ TableName, Item: { pk: S('deeper'), m: nest(33) } })), 'ValidationException', /Nesting Levels have exceeded supported limits/, {
      moto: { reason: 'items nested deeper than 32 levels are accepted', actual: 'success' },
    });
  });
});
