import { describe, expect, it } from 'vitest';
import { attributeValueSize, capacityOfCalls, itemSize, keyId, readUnits, writeUnits } from '../../bench/lib/capacity.js';

describe('bench capacity', () => {
  it('sizes items by attribute names and values', () => {
    // pk(2) + 'abc'(3) + n(1) + 12345 (3 digits pairs → 3 + 1) + flag(4) + 1
    expect(itemSize({ pk: { S: 'abc' }, n: { N: '12345' }, flag: { BOOL: true } })).toBe(2 + 3 + 1 + 4 + 4 + 1);
    expect(attributeValueSize({ L: [{ S: 'ab' }, { S: 'c' }] })).toBe(3 + (1 + 2) + (1 + 1));
    expect(attributeValueSize({ M: { k: { S: 'v' } } })).toBe(3 + 1 + 1 + 1);
  });

  it('charges 1 WRU per started KB, doubled in a transaction, and 1 RRU per 4 KB', () => {
    expect(writeUnits(1, false)).toBe(1);
    expect(writeUnits(1024, false)).toBe(1);
    expect(writeUnits(1025, false)).toBe(2);
    expect(writeUnits(300, true)).toBe(2);
    expect(writeUnits(2048, true)).toBe(4);
    expect(readUnits(0)).toBe(1);
    expect(readUnits(4097)).toBe(2);
    expect(readUnits(100, { consistent: false })).toBe(0.5);
  });

  it('prices a transaction per item and a GSI write when the item carries the index key', () => {
    // GIVEN a transaction with a put and an update of a 2 KB item, then a tracker-like put in and out of the index
    const t = 't';
    const calls = [
      { command: 'TransactWriteItems', input: { TransactItems: [{ Put: { TableName: t, Item: { pk: { S: 'a' }, sk: { S: 'b' } } } }, { Update: { TableName: t, Key: { pk: { S: 'c' }, sk: { S: 'd' } } } }] } },
      { command: 'PutItem', input: { TableName: t, Item: { pk: { S: 's' }, sk: { S: 's' }, openShard: { S: 'open#1' } } } },
      { command: 'PutItem', input: { TableName: t, Item: { pk: { S: 's' }, sk: { S: 's' } } } },
      { command: 'GetItem', input: { TableName: t, ConsistentRead: true }, outputBytes: 5000 },
    ];
    const sizes = new Map([[keyId(t, { pk: { S: 'c' }, sk: { S: 'd' } }), 2048]]);
    // WHEN
    const { total, perCall } = capacityOfCalls(calls, (id) => sizes.get(id) ?? 0, { gsiAttribute: 'openShard' });
    // THEN put 2 + update 4; put 1 + index 1; put 1 + index delete 1; read 2
    expect(perCall.map((c) => c.wru)).toEqual([6, 2, 2, 0]);
    expect(total).toEqual({ wru: 10, rru: 2 });
  });
});
