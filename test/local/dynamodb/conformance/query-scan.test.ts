import { BatchWriteItemCommand, PutItemCommand, QueryCommand, ScanCommand, type AttributeValue, type QueryCommandInput, type ScanCommandInput } from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
import { expectDocumentedError, expectError, forEachTarget, type Target } from './targets.js';

/**
 * Query and Scan: key conditions, filters, order, pagination, Select COUNT, GSIs (sparse,
 * KEYS_ONLY), parallel scan segments, the 1 MB page limit.
 * API Reference: API_Query.html, API_Scan.html; Developer Guide: Query.KeyConditionExpressions.html,
 * Query.Pagination.html ("A single Query only returns a result set that fits within the 1 MB size limit"),
 * Scan.html#Scan.ParallelScan, GSI.html#GSI.sparse.
 */

const S = (v: string): AttributeValue => ({ S: v });
const N = (v: number): AttributeValue => ({ N: String(v) });
const SKS = ['a', 'b#1', 'b#2', 'b#3', 'c', 'd'];

async function indexedTable(t: Target): Promise<string> {
  const TableName = await t.createTable(
    {
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'g', AttributeType: 'S' },
        { AttributeName: 'gs', AttributeType: 'N' },
        { AttributeName: 'sparse', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        { IndexName: 'byG', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }, { AttributeName: 'gs', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
        { IndexName: 'bySparse', KeySchema: [{ AttributeName: 'sparse', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
      ],
    },
    'qs',
  );
  const items = SKS.map((sk, i) => ({ pk: S('p'), sk: S(sk), n: N(i), g: S('G'), gs: N(100 - i), payload: S(`x${i}`), ...(i % 2 === 0 ? { sparse: S('yes') } : {}) }));
  items.push({ pk: S('other'), sk: S('a'), n: N(99), g: S('H'), gs: N(1), payload: S('other'), sparse: S('no') });
  await t.client.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: items.map((Item) => ({ PutRequest: { Item } })) } }));
  return TableName;
}

const sks = (items: Record<string, AttributeValue>[] | undefined): (string | undefined)[] => (items ?? []).map((i) => i.sk?.S);

forEachTarget('query and scan', (t) => {
  let table: string | undefined;
  const shared = async (): Promise<string> => (table ??= await indexedTable(t));
  const query = async (input: Omit<QueryCommandInput, 'TableName'>) => t.client.send(new QueryCommand({ TableName: await shared(), ...input }));
  const scan = async (input: Omit<ScanCommandInput, 'TableName'> = {}) => t.client.send(new ScanCommand({ TableName: await shared(), ...input }));

  const operators: readonly [string, Record<string, AttributeValue>, string[]][] = [
    ['sk = :a', { ':a': S('b#2') }, ['b#2']],
    ['sk < :a', { ':a': S('b#2') }, ['a', 'b#1']],
    ['sk <= :a', { ':a': S('b#2') }, ['a', 'b#1', 'b#2']],
    ['sk > :a', { ':a': S('b#3') }, ['c', 'd']],
    ['sk >= :a', { ':a': S('b#3') }, ['b#3', 'c', 'd']],
    ['sk BETWEEN :a AND :b', { ':a': S('b#1'), ':b': S('c') }, ['b#1', 'b#2', 'b#3', 'c']],
    ['begins_with(sk, :a)', { ':a': S('b#') }, ['b#1', 'b#2', 'b#3']],
  ];
  for (const [condition, values, expected] of operators) {
    it(`queries with the sort-key condition ${condition}`, async () => {
      const out = await query({ KeyConditionExpression: `pk = :p AND ${condition}`, ExpressionAttributeValues: { ':p': S('p'), ...values } });
      expect(sks(out.Items)).toEqual(expected);
      expect(out.Count).toBe(expected.length);
      expect(out.LastEvaluatedKey).toBeUndefined();
    });
  }

  it('returns a partition in ascending sort-key order, descending with ScanIndexForward false', async () => {
    const up = await query({ KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': S('p') } });
    expect(sks(up.Items)).toEqual(SKS);
    const down = await query({ KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': S('p') }, ScanIndexForward: false });
    expect(sks(down.Items)).toEqual([...SKS].reverse());
  });

  it('orders a number sort key numerically', async () => {
    const TableName = await t.createTable({
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'n', AttributeType: 'N' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'n', KeyType: 'RANGE' }],
    });
    for (const n of [10, 2, -5, 1.5, 100]) await t.client.send(new PutItemCommand({ TableName, Item: { pk: S('p'), n: N(n) } }));
    const out = await t.client.send(new QueryCommand({ TableName, KeyConditionExpression: 'pk = :p AND n BETWEEN :lo AND :hi', ExpressionAttributeValues: { ':p': S('p'), ':lo': N(-5), ':hi': N(10) } }));
    expect((out.Items ?? []).map((i) => i.n?.N)).toEqual(['-5', '1.5', '2', '10']);
  });

  it('filters after reading: Count counts matches, ScannedCount what was read', async () => {
    const out = await query({ KeyConditionExpression: 'pk = :p', FilterExpression: 'n >= :two AND payload <> :x3', ExpressionAttributeValues: { ':p': S('p'), ':two': N(2), ':x3': S('x3') } });
    expect(sks(out.Items)).toEqual(['b#2', 'c', 'd']);
    expect(out.Count).toBe(3);
    expect(out.ScannedCount).toBe(6);
  });

  it('applies Limit before the filter', async () => {
    const out = await query({ KeyConditionExpression: 'pk = :p', FilterExpression: 'n >= :two', ExpressionAttributeValues: { ':p': S('p'), ':two': N(2) }, Limit: 3 });
    expect(sks(out.Items)).toEqual(['b#2']);
    expect(out.ScannedCount).toBe(3);
    expect(out.LastEvaluatedKey).toEqual({ pk: S('p'), sk: S('b#2') });
  });

  it('paginates with Limit, LastEvaluatedKey and ExclusiveStartKey, forwards and backwards', async () => {
    for (const forward of [true, false]) {
      const seen: (string | undefined)[] = [];
      let start: Record<string, AttributeValue> | undefined;
      let pages = 0;
      do {
        const out = await query({ KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': S('p') }, Limit: 4, ScanIndexForward: forward, ...(start ? { ExclusiveStartKey: start } : {}) });
        seen.push(...sks(out.Items));
        start = out.LastEvaluatedKey;
        if (start) expect(Object.keys(start).sort()).toEqual(['pk', 'sk']);
        pages++;
      } while (start);
      expect(seen).toEqual(forward ? SKS : [...SKS].reverse());
      expect(pages).toBe(2);
    }
  });

  it('returns a LastEvaluatedKey when Limit is reached on the last item, then an empty page', async () => {
    // API_Query, Limit: when DynamoDB processes the number of items up to the limit "it stops the
    // operation and returns the matching values up to that point, and a key in LastEvaluatedKey".
    const first = await query({ KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': S('p') }, Limit: SKS.length });
    expect(first.Count).toBe(SKS.length);
    if (t.diverges('moto', 'a Query whose Limit is reached on the last item returns no LastEvaluatedKey (it looks ahead)')) {
      expect(first.LastEvaluatedKey).toBeUndefined();
      return;
    }
    expect(first.LastEvaluatedKey).toEqual({ pk: S('p'), sk: S('d') });
    const next = await query({ KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': S('p') }, Limit: SKS.length, ExclusiveStartKey: first.LastEvaluatedKey });
    expect(next.Count).toBe(0);
    expect(next.LastEvaluatedKey).toBeUndefined();
  });

  it('counts without items with Select COUNT', async () => {
    const out = await query({ KeyConditionExpression: 'pk = :p AND begins_with(sk, :b)', ExpressionAttributeValues: { ':p': S('p'), ':b': S('b') }, Select: 'COUNT' });
    expect(out.Items).toBeUndefined();
    expect(out.Count).toBe(3);
  });

  it('queries a KEYS_ONLY GSI: index order, and only table and index keys projected', async () => {
    const out = await query({ IndexName: 'byG', KeyConditionExpression: 'g = :g AND gs > :lo', ExpressionAttributeValues: { ':g': S('G'), ':lo': N(96) } });
    expect(out.Items).toEqual([
      { pk: S('p'), sk: S('b#3'), g: S('G'), gs: N(97) },
      { pk: S('p'), sk: S('b#2'), g: S('G'), gs: N(98) },
      { pk: S('p'), sk: S('b#1'), g: S('G'), gs: N(99) },
      { pk: S('p'), sk: S('a'), g: S('G'), gs: N(100) },
    ]);
  });

  it('paginates a GSI query with a LastEvaluatedKey holding table and index keys', async () => {
    const first = await query({ IndexName: 'byG', KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': S('G') }, Limit: 2 });
    expect(first.LastEvaluatedKey).toEqual({ pk: S('p'), sk: S('c'), g: S('G'), gs: N(96) });
    const rest = await query({ IndexName: 'byG', KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': S('G') }, ExclusiveStartKey: first.LastEvaluatedKey });
    expect(sks(rest.Items)).toEqual(['b#3', 'b#2', 'b#1', 'a']);
  });

  it('holds only items with the index key in a sparse GSI', async () => {
    const out = await query({ IndexName: 'bySparse', KeyConditionExpression: '#s = :y', ExpressionAttributeNames: { '#s': 'sparse' }, ExpressionAttributeValues: { ':y': S('yes') } });
    expect(sks(out.Items).sort()).toEqual(['a', 'b#2', 'c']);
    expect(out.Items?.[0]?.payload).toBeDefined(); // ALL projection
    const all = await scan({ IndexName: 'bySparse' });
    expect(all.Count).toBe(4);
  });

  it('fails if a reserved word is used bare in a KeyConditionExpression', async () => {
    // SPARSE is on the reserved-word list (ReservedWords.html).
    await expectDocumentedError(
      t,
      query({ IndexName: 'bySparse', KeyConditionExpression: 'sparse = :y', ExpressionAttributeValues: { ':y': S('yes') } }),
      'ValidationException',
      'Invalid KeyConditionExpression: Attribute name is a reserved keyword; reserved keyword: sparse',
      { moto: { reason: 'reserved words are not checked in a KeyConditionExpression (sparse = :y is accepted)', actual: 'success' } },
    );
  });

  it('fails if Select ALL_ATTRIBUTES is asked of a KEYS_ONLY index', async () => {
    await expectDocumentedError(
      t,
      query({ IndexName: 'byG', KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': S('G') }, Select: 'ALL_ATTRIBUTES' }),
      'ValidationException',
      /^One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index byG because its projection type is not ALL/,
      { moto: { reason: 'Select ALL_ATTRIBUTES on a KEYS_ONLY GSI succeeds (returns the projected keys)', actual: 'success' } },
    );
  });

  it('fails if ConsistentRead is asked of a GSI', async () => {
    await expectDocumentedError(
      t,
      query({ IndexName: 'byG', KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': S('G') }, ConsistentRead: true }),
      'ValidationException',
      'Consistent reads are not supported on global secondary indexes',
    );
  });

  it('fails if the key condition misses the partition key', async () => {
    await expectError(query({ KeyConditionExpression: 'sk = :a', ExpressionAttributeValues: { ':a': S('a') } }), 'ValidationException', 'Query condition missed key schema element: pk');
  });

  it('fails if the key condition uses a non-key attribute or OR', async () => {
    await expectError(query({ KeyConditionExpression: 'pk = :p AND n = :n', ExpressionAttributeValues: { ':p': S('p'), ':n': N(1) } }), 'ValidationException', /^Query key condition not supported|^Query condition missed key schema element/);
    await expectDocumentedError(t, query({ KeyConditionExpression: 'pk = :p OR sk = :s', ExpressionAttributeValues: { ':p': S('p'), ':s': S('a') } }), 'ValidationException', /^Invalid operator used in KeyConditionExpression: OR/, {
      moto: { reason: 'OR in a KeyConditionExpression crashes the server (HTTP 500)', actual: 'crash' },
    });
  });

  it('scans every item, filtered, and paginates with Limit', async () => {
    const all = await scan();
    expect(all.Count).toBe(7);
    const filtered = await scan({ FilterExpression: 'n > :three', ExpressionAttributeValues: { ':three': N(3) } });
    expect(filtered.Count).toBe(3);
    expect(filtered.ScannedCount).toBe(7);
    const keys = new Set<string>();
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await scan({ Limit: 3, ...(start ? { ExclusiveStartKey: start } : {}) });
      expect(out.Count).toBeLessThanOrEqual(3);
      for (const i of out.Items ?? []) keys.add(`${i.pk?.S}/${i.sk?.S}`);
      start = out.LastEvaluatedKey;
    } while (start);
    expect(keys.size).toBe(7);
  });

  it('covers every item exactly once across Segment / TotalSegments', async () => {
    const TableName = await t.hashTable({ prefix: 'seg' });
    const writes = Array.from({ length: 60 }, (_, i) => ({ PutRequest: { Item: { pk: S(`item-${i}`) } } }));
    for (let i = 0; i < writes.length; i += 25) await t.client.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: writes.slice(i, i + 25) } }));
    const seen: string[] = [];
    for (let Segment = 0; Segment < 4; Segment++) {
      let start: Record<string, AttributeValue> | undefined;
      do {
        const out = await t.client.send(new ScanCommand({ TableName, Segment, TotalSegments: 4, Limit: 7, ...(start ? { ExclusiveStartKey: start } : {}) }));
        seen.push(...(out.Items ?? []).map((i) => i.pk!.S!));
        start = out.LastEvaluatedKey;
      } while (start);
    }
    expect(seen.sort()).toEqual(writes.map((w) => w.PutRequest.Item.pk.S).sort());
  });

  it('fails if Segment is not below TotalSegments', async () => {
    await expectError(scan({ Segment: 2, TotalSegments: 2 }), 'ValidationException', /^The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 2 /);
  });

  it('stops a page at 1 MB with a LastEvaluatedKey (query and scan)', async () => {
    const TableName = await t.compositeTable({ prefix: 'mb' });
    const blob = 'x'.repeat(100 * 1024);
    for (let i = 0; i < 14; i++) await t.client.send(new PutItemCommand({ TableName, Item: { pk: S('big'), sk: S(`s${String(i).padStart(2, '0')}`), blob: S(blob) } }));
    const q = await t.client.send(new QueryCommand({ TableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': S('big') } }));
    const s = await t.client.send(new ScanCommand({ TableName }));
    for (const page of [q, s]) {
      expect(page.Count).toBeGreaterThanOrEqual(9);
      expect(page.Count).toBeLessThanOrEqual(11);
      expect(page.LastEvaluatedKey).toBeDefined();
    }
    if (!q.LastEvaluatedKey) return;
    const rest = await t.client.send(new QueryCommand({ TableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': S('big') }, ExclusiveStartKey: q.LastEvaluatedKey }));
    expect((q.Count ?? 0) + (rest.Count ?? 0)).toBe(14);
  });
});
