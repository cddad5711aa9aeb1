import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
import { expectError, expectErrorUnlessDivergent, forEachTarget, uniqueName } from './targets.js';

/**
 * Control plane: CreateTable / DescribeTable / ListTables / DeleteTable / TTL.
 * API Reference: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html,
 * API_DescribeTable.html, API_ListTables.html, API_DeleteTable.html, API_UpdateTimeToLive.html.
 */
forEachTarget('tables', (t) => {
  it('creates a composite-key table and describes its key schema, attributes, status and item count', async () => {
    const name = await t.compositeTable();
    const { Table } = await t.client.send(new DescribeTableCommand({ TableName: name }));
    expect(Table?.TableName).toBe(name);
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
    );
    expect(Table?.ItemCount).toBe(0);
    expect(Table?.TableArn).toMatch(new RegExp(`^arn:aws:dynamodb:[a-z0-9-]+:\\d{12}:table/${name}$`));
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('creates a hash-only table with a number key and answers CreateTable with its description', async () => {
    const TableName = uniqueName('hash');
    const out = await t.client.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    try {
      expect(out.TableDescription?.TableName).toBe(TableName);
      expect(out.TableDescription?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
      expect(['CREATING', 'ACTIVE']).toContain(out.TableDescription?.TableStatus);
    } finally {
      await t.client.send(new DeleteTableCommand({ TableName }));
    }
  });

  it('describes GSIs with ALL, KEYS_ONLY and INCLUDE projections', async () => {
    const name = await t.createTable({
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'g1', AttributeType: 'S' },
        { AttributeName: 'g2', AttributeType: 'S' },
        { AttributeName: 'g3', AttributeType: 'N' },
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        { IndexName: 'all', KeySchema: [{ AttributeName: 'g1', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
        { IndexName: 'keys', KeySchema: [{ AttributeName: 'g2', KeyType: 'HASH' }, { AttributeName: 'g3', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
        { IndexName: 'incl', KeySchema: [{ AttributeName: 'g1', KeyType: 'HASH' }], Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['a', 'b'] } },
      ],
    });
    const { Table } = await t.client.send(new DescribeTableCommand({ TableName: name }));
    const byName = Object.fromEntries((Table?.GlobalSecondaryIndexes ?? []).map((g) => [g.IndexName, g]));
    expect(Object.keys(byName).sort()).toEqual(['all', 'incl', 'keys']);
    expect(byName.all?.Projection).toEqual({ ProjectionType: 'ALL' });
    expect(byName.keys?.Projection?.ProjectionType).toBe('KEYS_ONLY');
    expect(byName.keys?.KeySchema).toEqual([
      { AttributeName: 'g2', KeyType: 'HASH' },
      { AttributeName: 'g3', KeyType: 'RANGE' },
    ]);
    expect(byName.incl?.Projection).toEqual({ ProjectionType: 'INCLUDE', NonKeyAttributes: ['a', 'b'] });
    expect(byName.all?.IndexStatus).toBe('ACTIVE');
    // TableDescription.GlobalSecondaryIndexes[].IndexArn (API_GlobalSecondaryIndexDescription.html).
    if (t.diverges('moto', 'DescribeTable omits GlobalSecondaryIndexes[].IndexArn')) expect(byName.all?.IndexArn).toBeUndefined();
    else expect(byName.all?.IndexArn).toBe(`${Table?.TableArn}/index/all`);
  });

  for (const view of ['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES'] as const) {
    it(`describes a ${view} stream: StreamSpecification, LatestStreamArn and LatestStreamLabel`, async () => {
      const name = await t.hashTable({ stream: view });
      const { Table } = await t.client.send(new DescribeTableCommand({ TableName: name }));
      expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: view });
      expect(Table?.LatestStreamArn).toMatch(new RegExp(`^arn:aws:dynamodb:[a-z0-9-]+:\\d{12}:table/${name}/stream/.+$`));
      expect(Table?.LatestStreamArn?.endsWith(`/stream/${Table?.LatestStreamLabel}`)).toBe(true);
    });
  }

  it('has no StreamSpecification or LatestStreamArn on a table without a stream', async () => {
    const name = await t.hashTable();
    const { Table } = await t.client.send(new DescribeTableCommand({ TableName: name }));
    expect(Table?.LatestStreamArn).toBeUndefined();
    expect(Table?.StreamSpecification?.StreamEnabled ?? false).toBe(false);
  });

  it('counts items in ItemCount after writes', async () => {
    const name = await t.hashTable();
    for (const pk of ['a', 'b', 'c']) await t.client.send(new PutItemCommand({ TableName: name, Item: { pk: { S: pk } } }));
    const { Table } = await t.client.send(new DescribeTableCommand({ TableName: name }));
    // ItemCount is "updated approximately every six hours" on DynamoDB (API_TableDescription), so a
    // remote service may still say 0; local emulators report the live count.
    if (t.name === 'endpoint') expect(Table?.ItemCount).toBeGreaterThanOrEqual(0);
    else expect(Table?.ItemCount).toBe(3);
  });

  it('lists every table once, paginated by Limit and ExclusiveStartTableName', async () => {
    const names = [await t.hashTable({ prefix: 'list' }), await t.hashTable({ prefix: 'list' }), await t.hashTable({ prefix: 'list' })];
    const seen: string[] = [];
    let start: string | undefined;
    let pages = 0;
    do {
      const out = await t.client.send(new ListTablesCommand({ Limit: 2, ...(start ? { ExclusiveStartTableName: start } : {}) }));
      expect(out.TableNames!.length).toBeLessThanOrEqual(2);
      seen.push(...out.TableNames!);
      start = out.LastEvaluatedTableName;
      if (start) expect(start).toBe(out.TableNames!.at(-1));
      pages++;
    } while (start && pages < 1_000);
    expect(new Set(seen).size).toBe(seen.length);
    for (const n of names) expect(seen).toContain(n);
    // ExclusiveStartTableName continues right after that table, in the listing's own order.
    const after = seen[seen.indexOf(names[0]!) + 1];
    const page = await t.client.send(new ListTablesCommand({ ExclusiveStartTableName: names[0], Limit: 1 }));
    expect(page.TableNames).toEqual(after ? [after] : []);
  });

  it('deletes a table: DeleteTable returns its description and then it is gone', async () => {
    const TableName = uniqueName('del');
    await t.client.send(new CreateTableCommand({ TableName, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }));
    const out = await t.client.send(new DeleteTableCommand({ TableName }));
    expect(out.TableDescription?.TableName).toBe(TableName);
    if (t.name !== 'endpoint') await expectError(t.client.send(new DescribeTableCommand({ TableName })), 'ResourceNotFoundException', /^Requested resource not found/);
    const { TableNames } = await t.client.send(new ListTablesCommand({}));
    if (t.name !== 'endpoint') expect(TableNames).not.toContain(TableName);
  });

  it('fails if the table name is taken (ResourceInUseException)', async () => {
    const name = await t.hashTable();
    await expectError(
      t.client.send(new CreateTableCommand({ TableName: name, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] })),
      'ResourceInUseException',
      /^Table already exists: /,
    );
  });

  it('fails with ResourceNotFoundException on a missing table (describe, delete, get, put)', async () => {
    const TableName = uniqueName('missing');
    // "Requested resource not found" (DescribeTable adds ": Table: <name> not found").
    await expectError(t.client.send(new DescribeTableCommand({ TableName })), 'ResourceNotFoundException', /^Requested resource not found/);
    await expectError(t.client.send(new DeleteTableCommand({ TableName })), 'ResourceNotFoundException', /^Requested resource not found/);
    await expectError(t.client.send(new GetItemCommand({ TableName, Key: { pk: { S: 'a' } } })), 'ResourceNotFoundException', /^Requested resource not found/);
    await expectError(t.client.send(new PutItemCommand({ TableName, Item: { pk: { S: 'a' } } })), 'ResourceNotFoundException', /^Requested resource not found/);
  });

  it('fails if a key attribute is missing from AttributeDefinitions', async () => {
    await expectError(
      t.client.send(new CreateTableCommand({ TableName: uniqueName('bad'), BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'other', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] })),
      'ValidationException',
      /Some index key attributes are not defined in AttributeDefinitions/,
    );
  });

  it('fails if AttributeDefinitions has an attribute no key schema uses', async () => {
    const TableName = uniqueName('bad');
    const attempt = t.client.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'unused', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    await expectError(attempt, 'ValidationException', /Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions/);
  });

  it('fails if the key schema has two HASH keys', async () => {
    const attempt = t.client.send(
      new CreateTableCommand({
        TableName: uniqueName('bad'),
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'a', AttributeType: 'S' },
          { AttributeName: 'b', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'a', KeyType: 'HASH' },
          { AttributeName: 'b', KeyType: 'HASH' },
        ],
      }),
    );
    // KeySchema: one HASH and at most one RANGE element (API_CreateTable.html, KeySchema).
    await expectErrorUnlessDivergent(t, 'moto', 'CreateTable accepts a KeySchema with two HASH keys', attempt, 'ValidationException', undefined, (out) =>
      t.client.send(new DeleteTableCommand({ TableName: out.TableDescription!.TableName! })),
    );
  });

  it('fails if the table name is shorter than 3 characters', async () => {
    const attempt = t.client.send(new CreateTableCommand({ TableName: 'ab', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }));
    // TableName: "Length Constraints: Minimum length of 3. Maximum length of 255." (API_CreateTable.html)
    await expectErrorUnlessDivergent(t, 'moto', 'CreateTable accepts a 2-character table name', attempt, 'ValidationException', /Member must have length greater than or equal to 3/, () =>
      t.client.send(new DeleteTableCommand({ TableName: 'ab' })),
    );
  });

  it('turns TTL on with UpdateTimeToLive and reports it with DescribeTimeToLive', async () => {
    const name = await t.hashTable();
    const before = await t.client.send(new DescribeTimeToLiveCommand({ TableName: name }));
    expect(before.TimeToLiveDescription?.TimeToLiveStatus).toBe('DISABLED');
    const out = await t.client.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } }));
    expect(out.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    const after = await t.client.send(new DescribeTimeToLiveCommand({ TableName: name }));
    expect(['ENABLED', 'ENABLING']).toContain(after.TimeToLiveDescription?.TimeToLiveStatus);
    expect(after.TimeToLiveDescription?.AttributeName).toBe('expiresAt');
  });

  it('fails to describe TTL of a missing table', async () => {
    const attempt = t.client.send(new DescribeTimeToLiveCommand({ TableName: uniqueName('missing') }));
    // API_DescribeTimeToLive.html, Errors: ResourceNotFoundException.
    if (t.diverges('moto', "DescribeTimeToLive on a missing table raises error code 'ResourceNotFound', not ResourceNotFoundException")) await expectError(attempt, 'ResourceNotFound');
    else await expectError(attempt, 'ResourceNotFoundException', /^Requested resource not found/);
  });
});
