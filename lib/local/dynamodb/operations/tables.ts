import { DynamoDbError, validation } from '../errors.js';
import type { EngineState } from '../state.js';
import { tableNameFromArn, tableOf } from '../state.js';
import { StreamLog, type StreamViewType } from '../streams.js';
import { Table, type IndexDefinition, type ProjectionType, type TableDefinition } from '../table.js';
import type { KeySchema, OperationInput, OperationOutput, ScalarAttributeType } from '../types.js';

const TABLE_NAME = /^[a-zA-Z0-9_.-]+$/;
const VIEW_TYPES: readonly StreamViewType[] = ['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES'];

export function checkTableName(name: unknown, member = 'tableName'): string {
  if (typeof name !== 'string') throw validation(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  if (name.length < 3 || name.length > 255) {
    throw validation(`1 validation error detected: Value '${name}' at '${member}' failed to satisfy constraint: Member must have length ${name.length < 3 ? 'greater than or equal to 3' : 'less than or equal to 255'}`);
  }
  if (!TABLE_NAME.test(name)) throw validation(`1 validation error detected: Value '${name}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`);
  return name;
}

function keySchemaOf(raw: unknown, what: string): KeySchema {
  if (!Array.isArray(raw) || raw.length === 0) throw validation(`1 validation error detected: Value null at '${what}' failed to satisfy constraint: Member must not be null`);
  if (raw.length > 2) throw validation(`1 validation error detected: Value '${JSON.stringify(raw)}' at '${what}' failed to satisfy constraint: Member must have length less than or equal to 2`);
  const [first, second] = raw as { AttributeName?: string; KeyType?: string }[];
  if (first?.KeyType !== 'HASH') throw validation('Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
  if (second && second.KeyType !== 'RANGE') throw validation('Invalid KeySchema: The second KeySchemaElement is not a RANGE key type');
  if (second && second.AttributeName === first.AttributeName) throw validation('Both the Hash Key and the Range Key element in the KeySchema have the same name');
  return second ? { hash: String(first.AttributeName), range: String(second.AttributeName) } : { hash: String(first.AttributeName) };
}

function indexDefinitions(raw: unknown, kind: 'global' | 'local', tableKey: KeySchema): IndexDefinition[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.length === 0) throw validation(`One or more parameter values were invalid: List of ${kind === 'global' ? 'GlobalSecondaryIndexes' : 'LocalSecondaryIndexes'} is empty`);
  return raw.map((entry: Record<string, unknown>) => {
    const name = checkTableName(entry.IndexName, 'indexName');
    const key = keySchemaOf(entry.KeySchema, 'keySchema');
    if (kind === 'local' && (key.hash !== tableKey.hash || key.range === undefined)) {
      throw validation('One or more parameter values were invalid: Index KeySchema does not have a range key for index: ' + name);
    }
    const projection = (entry.Projection ?? {}) as { ProjectionType?: string; NonKeyAttributes?: string[] };
    const type = (projection.ProjectionType ?? 'ALL') as ProjectionType;
    if (!['ALL', 'KEYS_ONLY', 'INCLUDE'].includes(type)) throw validation(`1 validation error detected: Value '${type}' at 'projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]`);
    if (type !== 'INCLUDE' && projection.NonKeyAttributes) throw validation(`One or more parameter values were invalid: ProjectionType is ${type}, but NonKeyAttributes is specified`);
    if (type === 'INCLUDE' && !projection.NonKeyAttributes?.length) throw validation('One or more parameter values were invalid: NonKeyAttributes must not be empty');
    const extra: Record<string, unknown> = {};
    if (entry.ProvisionedThroughput) extra.ProvisionedThroughput = entry.ProvisionedThroughput;
    return { name, kind, key, projection: { type, nonKeyAttributes: projection.NonKeyAttributes ?? [] }, extra };
  });
}

export function createTable(state: EngineState, input: OperationInput): OperationOutput {
  const name = checkTableName(input.TableName);
  if (state.tables.has(name)) throw new DynamoDbError('ResourceInUseException', `Table already exists: ${name}`);
  const key = keySchemaOf(input.KeySchema, 'keySchema');
  const definitions = (input.AttributeDefinitions ?? []) as { AttributeName: string; AttributeType: string }[];
  const attributeTypes = new Map<string, ScalarAttributeType>();
  for (const d of definitions) {
    if (!['S', 'N', 'B'].includes(d.AttributeType)) {
      throw validation(`1 validation error detected: Value '${d.AttributeType}' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]`);
    }
    if (attributeTypes.has(d.AttributeName)) throw validation('Cannot have two attributes with the same name');
    attributeTypes.set(d.AttributeName, d.AttributeType as ScalarAttributeType);
  }
  const indexes = [...indexDefinitions(input.GlobalSecondaryIndexes, 'global', key), ...indexDefinitions(input.LocalSecondaryIndexes, 'local', key)];
  const seen = new Set<string>();
  for (const index of indexes) {
    if (seen.has(index.name)) throw validation(`One or more parameter values were invalid: Duplicate index name: ${index.name}`);
    seen.add(index.name);
  }
  const keyAttributes = new Set<string>();
  for (const schema of [key, ...indexes.map((i) => i.key)]) for (const a of [schema.hash, schema.range]) if (a !== undefined) keyAttributes.add(a);
  const missing = [...keyAttributes].filter((a) => !attributeTypes.has(a));
  if (missing.length) {
    throw validation(`One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [${missing.join(', ')}], AttributeDefinitions: [${[...attributeTypes.keys()].join(', ')}]`);
  }
  if (attributeTypes.size !== keyAttributes.size) {
    throw validation('One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions');
  }
  const billingMode = (input.BillingMode ?? 'PROVISIONED') as TableDefinition['billingMode'];
  const throughput = input.ProvisionedThroughput as TableDefinition['provisioned'] | undefined;
  if (billingMode === 'PROVISIONED' && !throughput) throw validation('One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED');
  if (billingMode === 'PAY_PER_REQUEST' && throughput) throw validation('One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST');
  const definition: TableDefinition = {
    name,
    key,
    attributeTypes,
    indexes,
    billingMode,
    ...(throughput ? { provisioned: throughput } : {}),
    deletionProtection: input.DeletionProtectionEnabled === true,
    tags: (input.Tags ?? []) as { Key: string; Value: string }[],
  };
  const now = state.now();
  const table = new Table(definition, `arn:aws:dynamodb:${state.region}:${state.accountId}:table/${name}`, now, state.nextId());
  const spec = input.StreamSpecification as { StreamEnabled?: boolean; StreamViewType?: string } | undefined;
  if (spec?.StreamEnabled) enableStream(state, table, spec.StreamViewType, now);
  state.tables.set(name, table);
  return { TableDescription: describe(table) };
}

function enableStream(state: EngineState, table: Table, viewType: unknown, now: number): void {
  if (!VIEW_TYPES.includes(viewType as StreamViewType)) {
    throw validation('One or more parameter values were invalid: StreamViewType must be one of KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES when StreamEnabled is true');
  }
  const label = new Date(now).toISOString().replace('Z', '');
  table.stream = new StreamLog(`${table.arn}/stream/${label}`, label, viewType as StreamViewType, table.name, table.key, new Date(now), state.streamRetention, state.region);
}

/**
 * UpdateTable, for what a local table can change: its stream (on with a view type, or off) and
 * its billing mode. Index changes are refused with a clear message.
 */
export function updateTable(state: EngineState, input: OperationInput): OperationOutput {
  const table = tableOf(state, input.TableName);
  if (input.GlobalSecondaryIndexUpdates !== undefined || input.ReplicaUpdates !== undefined) {
    throw validation('UpdateTable with GlobalSecondaryIndexUpdates or ReplicaUpdates is not supported by this engine; create the table with its indexes instead.');
  }
  const spec = input.StreamSpecification as { StreamEnabled?: boolean; StreamViewType?: string } | undefined;
  if (spec?.StreamEnabled === true) {
    if (table.stream?.enabled) throw validation(`Table already has an enabled stream: ${table.stream.arn}`);
    enableStream(state, table, spec.StreamViewType, state.now());
  } else if (spec?.StreamEnabled === false) {
    if (!table.stream?.enabled) throw validation('Stream is already disabled');
    table.stream.enabled = false;
  }
  return { TableDescription: describe(table) };
}

export function deleteTable(state: EngineState, input: OperationInput): OperationOutput {
  const table = tableOf(state, input.TableName);
  if (table.definition.deletionProtection) {
    throw validation(`Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.`);
  }
  state.tables.delete(table.name);
  return { TableDescription: { ...describe(table), TableStatus: 'DELETING' } };
}

export function describeTable(state: EngineState, input: OperationInput): OperationOutput {
  const name = typeof input.TableName === 'string' ? tableNameFromArn(input.TableName) : input.TableName;
  if (typeof name === 'string' && !state.tables.has(name)) throw new DynamoDbError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
  return { Table: describe(tableOf(state, name)) };
}

export function listTables(state: EngineState, input: OperationInput): OperationOutput {
  const limit = input.Limit === undefined ? 100 : Number(input.Limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw validation(`1 validation error detected: Value '${String(input.Limit)}' at 'limit' failed to satisfy constraint: Member must have value ${limit < 1 ? 'greater than or equal to 1' : 'less than or equal to 100'}`);
  }
  const names = [...state.tables.keys()].sort();
  const start = typeof input.ExclusiveStartTableName === 'string' ? names.filter((n) => n <= (input.ExclusiveStartTableName as string)).length : 0;
  const page = names.slice(start, start + limit);
  const out: OperationOutput = { TableNames: page };
  if (start + limit < names.length) out.LastEvaluatedTableName = page[page.length - 1];
  return out;
}

export function updateTimeToLive(state: EngineState, input: OperationInput): OperationOutput {
  const table = tableOf(state, input.TableName);
  const spec = input.TimeToLiveSpecification as { Enabled?: boolean; AttributeName?: string } | undefined;
  if (!spec || typeof spec.AttributeName !== 'string' || spec.AttributeName.length === 0 || typeof spec.Enabled !== 'boolean') {
    throw validation('1 validation error detected: Value null at \'timeToLiveSpecification\' failed to satisfy constraint: Member must not be null');
  }
  if (spec.Enabled && table.ttlAttribute) throw validation('TimeToLive is already enabled');
  if (!spec.Enabled && !table.ttlAttribute) throw validation('TimeToLive is already disabled');
  table.ttlAttribute = spec.Enabled ? spec.AttributeName : undefined;
  return { TimeToLiveSpecification: { Enabled: spec.Enabled, AttributeName: spec.AttributeName } };
}

export function describeTimeToLive(state: EngineState, input: OperationInput): OperationOutput {
  const table = tableOf(state, input.TableName);
  return {
    TimeToLiveDescription: table.ttlAttribute ? { TimeToLiveStatus: 'ENABLED', AttributeName: table.ttlAttribute } : { TimeToLiveStatus: 'DISABLED' },
  };
}

function keySchemaOut(key: KeySchema): { AttributeName: string; KeyType: string }[] {
  return key.range === undefined
    ? [{ AttributeName: key.hash, KeyType: 'HASH' }]
    : [
        { AttributeName: key.hash, KeyType: 'HASH' },
        { AttributeName: key.range, KeyType: 'RANGE' },
      ];
}

/** TableDescription as DescribeTable and CreateTable return it. */
export function describe(table: Table): Record<string, unknown> {
  const d = table.definition;
  const throughput = { NumberOfDecreasesToday: 0, ReadCapacityUnits: d.provisioned?.ReadCapacityUnits ?? 0, WriteCapacityUnits: d.provisioned?.WriteCapacityUnits ?? 0 };
  const out: Record<string, unknown> = {
    AttributeDefinitions: [...d.attributeTypes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
    TableName: d.name,
    KeySchema: keySchemaOut(d.key),
    TableStatus: 'ACTIVE',
    CreationDateTime: table.createdAt,
    ProvisionedThroughput: throughput,
    TableSizeBytes: table.store.sizeBytes,
    ItemCount: table.store.size,
    TableArn: table.arn,
    TableId: table.tableId,
    DeletionProtectionEnabled: d.deletionProtection,
  };
  if (d.billingMode === 'PAY_PER_REQUEST') out.BillingModeSummary = { BillingMode: 'PAY_PER_REQUEST', LastUpdateToPayPerRequestDateTime: table.createdAt };
  const describeIndexes = (kind: 'global' | 'local') =>
    [...table.indexes.values()]
      .filter((i) => i.definition.kind === kind)
      .map(({ definition: i, store }) => ({
        IndexName: i.name,
        KeySchema: keySchemaOut(i.key),
        Projection: i.projection.type === 'INCLUDE' ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...i.projection.nonKeyAttributes] } : { ProjectionType: i.projection.type },
        ...(kind === 'global' ? { IndexStatus: 'ACTIVE', ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 0, WriteCapacityUnits: 0, ...(i.extra.ProvisionedThroughput as object) } } : {}),
        IndexSizeBytes: 0,
        ItemCount: store.size,
        IndexArn: `${table.arn}/index/${i.name}`,
      }));
  const gsis = describeIndexes('global');
  const lsis = describeIndexes('local');
  if (gsis.length) out.GlobalSecondaryIndexes = gsis;
  if (lsis.length) out.LocalSecondaryIndexes = lsis;
  if (table.stream) {
    out.StreamSpecification = table.stream.enabled ? { StreamEnabled: true, StreamViewType: table.stream.viewType } : { StreamEnabled: false };
    out.LatestStreamLabel = table.stream.label;
    out.LatestStreamArn = table.stream.arn;
  }
  return out;
}
