import { cloneItem } from '../clone.js';
import { validation } from '../errors.js';
import { parseCondition, parseKeyCondition, type Condition, type KeyCondition, type Projection } from '../expr/index.js';
import { keyOf, scalarTypeOf } from '../key-codec.js';
import { tableOf, type EngineState } from '../state.js';
import { projectForIndex, type IndexDefinition, type Table } from '../table.js';
import type { AttributeValue, Item, KeySchema, OperationInput, OperationOutput } from '../types.js';
import { compareValues, itemSize } from '../values.js';
import { expressionUsage, keyFromInput, projectionOf, refuseLegacy } from './common.js';

/** DynamoDB stops a Query or Scan page once it has read 1 MB. */
const PAGE_BYTES = 1024 * 1024;

interface Source {
  readonly table: Table;
  readonly index: IndexDefinition | undefined;
  /** The key the source is sorted by. */
  readonly key: KeySchema;
  readonly store: Table['store'];
}

function sourceOf(state: EngineState, input: OperationInput): Source {
  const table = tableOf(state, input.TableName);
  if (input.IndexName === undefined) return { table, index: undefined, key: table.key, store: table.store };
  const index = table.indexes.get(String(input.IndexName));
  if (!index) throw validation(`The table does not have the specified index: ${String(input.IndexName)}`);
  if (input.ConsistentRead === true && index.definition.kind === 'global') throw validation('Consistent reads are not supported on global secondary indexes');
  return { table, index: index.definition, key: index.definition.key, store: index.store };
}

function limitOf(input: OperationInput): number | undefined {
  if (input.Limit === undefined) return undefined;
  const limit = Number(input.Limit);
  if (!Number.isInteger(limit) || limit < 1) throw validation(`1 validation error detected: Value '${String(input.Limit)}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`);
  return limit;
}

function selectOf(input: OperationInput, source: Source): string {
  const select = input.Select === undefined ? (input.ProjectionExpression !== undefined ? 'SPECIFIC_ATTRIBUTES' : source.index ? 'ALL_PROJECTED_ATTRIBUTES' : 'ALL_ATTRIBUTES') : String(input.Select);
  const allowed = ['ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES', 'SPECIFIC_ATTRIBUTES', 'COUNT'];
  if (!allowed.includes(select)) throw validation(`1 validation error detected: Value '${select}' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`);
  if (select === 'SPECIFIC_ATTRIBUTES' && input.ProjectionExpression === undefined) throw validation('One or more parameter values were invalid: Select type SPECIFIC_ATTRIBUTES requires a ProjectionExpression');
  if (select !== 'SPECIFIC_ATTRIBUTES' && input.ProjectionExpression !== undefined) {
    throw validation(`One or more parameter values were invalid: Can not use both expression and non-expression parameters in the same request: Select ${select} and ProjectionExpression`);
  }
  if (select === 'ALL_PROJECTED_ATTRIBUTES' && !source.index) throw validation('One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is not supported without an index');
  if (select === 'ALL_ATTRIBUTES' && source.index && source.index.projection.type !== 'ALL' && source.index.kind === 'global') {
    throw validation(`One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index ${source.index.name} because its projection type is not ALL`);
  }
  return select;
}

/** ExclusiveStartKey: the table's key plus, on an index, the index key. */
function startKeyOf(input: OperationInput, source: Source): Item | undefined {
  if (input.ExclusiveStartKey === undefined) return undefined;
  const key = keyFromInput(input.ExclusiveStartKey, source.table);
  const schemas = source.index ? [source.table.key, source.key] : [source.table.key];
  for (const schema of schemas) {
    for (const name of schema.range === undefined ? [schema.hash] : [schema.hash, schema.range]) {
      const value = key[name];
      if (!value || scalarTypeOf(value) !== source.table.definition.attributeTypes.get(name)) {
        throw validation('The provided starting key is invalid: The provided key element does not match the schema');
      }
    }
  }
  return key;
}

function inRange(value: AttributeValue | undefined, range: NonNullable<KeyCondition['range']>): boolean {
  if (value === undefined) return false;
  const [a, b] = range.values as [AttributeValue, AttributeValue | undefined];
  if (range.op === 'begins_with') {
    if ('S' in value && 'S' in a) return value.S.startsWith(a.S);
    if ('B' in value && 'B' in a) return a.B.every((byte, i) => value.B[i] === byte) && value.B.length >= a.B.length;
    return false;
  }
  const c = compareValues(value, a);
  if (c === undefined) return false;
  switch (range.op) {
    case '=':
      return c === 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
    case 'BETWEEN': {
      const d = compareValues(value, b!);
      return c >= 0 && d !== undefined && d <= 0;
    }
    default:
      return false;
  }
}

/** True once a sorted walk has passed every item the range can match (so it can stop early). */
function pastRange(value: AttributeValue, range: NonNullable<KeyCondition['range']>, forward: boolean): boolean {
  const [a, b] = range.values as [AttributeValue, AttributeValue | undefined];
  if (range.op === 'begins_with') return false;
  const upper = range.op === 'BETWEEN' ? b! : a;
  if (forward && (range.op === '=' || range.op === '<' || range.op === '<=' || range.op === 'BETWEEN')) {
    const c = compareValues(value, upper);
    return c !== undefined && (range.op === '<' ? c >= 0 : c > 0);
  }
  if (!forward && (range.op === '=' || range.op === '>' || range.op === '>=' || range.op === 'BETWEEN')) {
    const c = compareValues(value, a);
    return c !== undefined && (range.op === '>' ? c <= 0 : c < 0);
  }
  return false;
}

interface PageOptions {
  readonly source: Source;
  readonly items: Iterable<Item>;
  readonly limit: number | undefined;
  readonly filter: Condition | undefined;
  readonly projection: Projection | undefined;
  readonly select: string;
  readonly accept?: (item: Item) => 'take' | 'skip' | 'stop';
}

/** Reads one page: Limit and the 1 MB cap count items read, the filter applies after. */
function page(options: PageOptions): OperationOutput {
  const { source } = options;
  const items: Item[] = [];
  let scanned = 0;
  let count = 0;
  let bytes = 0;
  let last: Item | undefined;
  let stoppedEarly = false;
  for (const stored of options.items) {
    const verdict = options.accept?.(stored) ?? 'take';
    if (verdict === 'stop') break;
    if (verdict === 'skip') continue;
    if ((options.limit !== undefined && scanned >= options.limit) || bytes >= PAGE_BYTES) {
      stoppedEarly = true;
      break;
    }
    const visible = source.index ? projectForIndex(stored, source.index, source.table.key) : stored;
    scanned++;
    bytes += itemSize(visible);
    last = stored;
    if (options.filter && !options.filter.evaluate(visible)) continue;
    count++;
    if (options.select !== 'COUNT') items.push(cloneItem(options.projection ? options.projection.apply(visible) : visible));
  }
  const out: OperationOutput = { Count: count, ScannedCount: scanned };
  if (options.select !== 'COUNT') out.Items = items;
  // DynamoDB returns LastEvaluatedKey whenever it stopped on Limit or the 1 MB cap, even if nothing follows.
  const hitLimit = options.limit !== undefined && scanned >= options.limit;
  if (last && (stoppedEarly || hitLimit || bytes >= PAGE_BYTES)) {
    out.LastEvaluatedKey = cloneItem(source.index ? keyOf(last, source.table.key, source.key) : keyOf(last, source.table.key));
  }
  return out;
}

export function query(state: EngineState, input: OperationInput): OperationOutput {
  refuseLegacy(input, 'KeyConditions', 'QueryFilter', 'AttributesToGet', 'ConditionalOperator');
  const source = sourceOf(state, input);
  if (input.KeyConditionExpression === undefined) throw validation('Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
  const usage = expressionUsage(input);
  const keyCondition = parseKeyCondition(String(input.KeyConditionExpression), usage, source.key);
  const filter = input.FilterExpression === undefined ? undefined : parseCondition(String(input.FilterExpression), usage, 'FilterExpression');
  const projection = projectionOf(input, usage);
  usage.assertAllUsed();
  const types = source.table.definition.attributeTypes;
  if (scalarTypeOf(keyCondition.hashValue) !== types.get(source.key.hash)) throw validation('One or more parameter values were invalid: Condition parameter type does not match schema type');
  const range = keyCondition.range;
  if (range && source.key.range !== undefined && range.values.some((v: AttributeValue) => scalarTypeOf(v) !== types.get(source.key.range!))) {
    throw validation('One or more parameter values were invalid: Condition parameter type does not match schema type');
  }
  if (range && range.op === 'begins_with' && types.get(source.key.range!) === 'N') throw validation('Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N');
  const forward = input.ScanIndexForward !== false;
  const start = startKeyOf(input, source);
  const select = selectOf(input, source);
  const limit = limitOf(input);
  const hashProbe = { [source.key.hash]: keyCondition.hashValue };
  const items = source.store.partition(hashProbe, { forward, ...(start ? { after: start } : {}) });
  return page({
    source,
    items,
    limit,
    filter,
    projection,
    select,
    accept: range
      ? (item) => {
          const value = item[source.key.range!]!;
          if (pastRange(value, range, forward)) return 'stop';
          return inRange(value, range) ? 'take' : 'skip';
        }
      : undefined,
  });
}

export function scan(state: EngineState, input: OperationInput): OperationOutput {
  refuseLegacy(input, 'ScanFilter', 'AttributesToGet', 'ConditionalOperator');
  const source = sourceOf(state, input);
  const usage = expressionUsage(input);
  const filter = input.FilterExpression === undefined ? undefined : parseCondition(String(input.FilterExpression), usage, 'FilterExpression');
  const projection = projectionOf(input, usage);
  usage.assertAllUsed();
  const segment = segmentOf(input);
  const start = startKeyOf(input, source);
  const items = source.store.scan({ ...(start ? { after: start } : {}), ...(segment ? { segment } : {}) });
  return page({ source, items, limit: limitOf(input), filter, projection, select: selectOf(input, source) });
}

function segmentOf(input: OperationInput): { index: number; total: number } | undefined {
  const { Segment: segment, TotalSegments: total } = input;
  if (segment === undefined && total === undefined) return undefined;
  if (total === undefined) throw validation('The TotalSegments parameter is required but was not present in the request when Segment parameter is present');
  if (segment === undefined) throw validation('The Segment parameter is required but was not present in the request when parameter TotalSegments is present');
  const t = Number(total);
  const s = Number(segment);
  if (!Number.isInteger(t) || t < 1 || t > 1_000_000) throw validation(`1 validation error detected: Value '${String(total)}' at 'totalSegments' failed to satisfy constraint: Member must have value ${t < 1 ? 'greater than or equal to 1' : 'less than or equal to 1000000'}`);
  if (!Number.isInteger(s) || s < 0) throw validation(`1 validation error detected: Value '${String(segment)}' at 'segment' failed to satisfy constraint: Member must have value greater than or equal to 0`);
  if (s >= t) throw validation(`The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: ${s} is not less than TotalSegments: ${t}`);
  return { index: s, total: t };
}
