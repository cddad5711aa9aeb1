import { cloneItem } from '../clone.js';
import { DynamoDbError, validation } from '../errors.js';
import { parseProjection, parseUpdate, ExpressionUsage } from '../expr/index.js';
import { checkKeyParameter } from '../key-codec.js';
import { tableOf, type EngineState } from '../state.js';
import type { Table } from '../table.js';
import type { Item, OperationInput, OperationOutput } from '../types.js';
import { checkReturnOnFailure, conditionFailed, conditionOf, expressionUsage, itemFromInput, keyFromInput, keyOf, output, projectionOf, refuseLegacy } from './common.js';

/** A write worked out but not applied: what transactions check all together before applying any. */
export interface PreparedWrite {
  readonly table: Table;
  readonly key: Item;
  readonly previous: Item | undefined;
  /** The item after the write; undefined for a delete (and for a condition check, which writes nothing). */
  readonly next: Item | undefined;
  readonly conditionPassed: boolean;
  /** Whether `next` is to be written (false for ConditionCheck). */
  readonly writes: boolean;
  readonly returnOnFailure: unknown;
  /** Paths an UpdateExpression touched, for UPDATED_OLD / UPDATED_NEW. */
  readonly updatedPaths?: readonly (readonly (string | number)[])[];
  /**
   * An error that depends on the stored item (an update's operand missing, a result too large):
   * a single write throws it; a transaction reports it as the action's `ValidationError` reason.
   */
  readonly error?: DynamoDbError;
}

export function preparePut(state: EngineState, input: OperationInput): PreparedWrite {
  refuseLegacy(input, 'Expected', 'ConditionalOperator');
  const table = tableOf(state, input.TableName);
  const usage = expressionUsage(input);
  const next = itemFromInput(input.Item);
  table.checkNewItem(next);
  const condition = conditionOf(input, usage);
  usage.assertAllUsed();
  checkReturnOnFailure(input.ReturnValuesOnConditionCheckFailure);
  const previous = table.get(next);
  const conditionPassed = condition ? condition.evaluate(previous) : true;
  return { table, key: keyOf(next, table.key), previous, next, conditionPassed, writes: true, returnOnFailure: input.ReturnValuesOnConditionCheckFailure };
}

export function prepareDelete(state: EngineState, input: OperationInput): PreparedWrite {
  refuseLegacy(input, 'Expected', 'ConditionalOperator');
  const table = tableOf(state, input.TableName);
  const usage = expressionUsage(input);
  const key = checkKeyParameter(keyFromInput(input.Key, table), table.key, table.definition.attributeTypes);
  const condition = conditionOf(input, usage);
  usage.assertAllUsed();
  checkReturnOnFailure(input.ReturnValuesOnConditionCheckFailure);
  const previous = table.get(key);
  const conditionPassed = condition ? condition.evaluate(previous) : true;
  return { table, key, previous, next: undefined, conditionPassed, writes: true, returnOnFailure: input.ReturnValuesOnConditionCheckFailure };
}

export function prepareUpdate(state: EngineState, input: OperationInput): PreparedWrite {
  refuseLegacy(input, 'Expected', 'ConditionalOperator', 'AttributeUpdates');
  const table = tableOf(state, input.TableName);
  const usage = expressionUsage(input);
  const key = checkKeyParameter(keyFromInput(input.Key, table), table.key, table.definition.attributeTypes);
  const update = input.UpdateExpression === undefined ? undefined : parseUpdate(String(input.UpdateExpression), usage);
  const condition = conditionOf(input, usage);
  usage.assertAllUsed();
  checkReturnOnFailure(input.ReturnValuesOnConditionCheckFailure);
  for (const path of update?.paths ?? []) {
    const top = path[0];
    if (top === table.key.hash || top === table.key.range) {
      throw validation(`One or more parameter values were invalid: Cannot update attribute ${String(top)}. This attribute is part of the key`);
    }
  }
  const previous = table.get(key);
  const conditionPassed = condition ? condition.evaluate(previous) : true;
  if (!conditionPassed) return { table, key, previous, next: previous, conditionPassed, writes: true, returnOnFailure: input.ReturnValuesOnConditionCheckFailure };
  const base = { table, key, previous, conditionPassed, writes: true, returnOnFailure: input.ReturnValuesOnConditionCheckFailure, updatedPaths: update?.paths ?? [] };
  try {
    const next = update ? update.apply(previous ?? key) : (previous ?? key);
    if (next !== previous) table.checkNewItem(next, true);
    return { ...base, next };
  } catch (error) {
    if (!(error instanceof DynamoDbError)) throw error;
    return { ...base, next: previous, error };
  }
}

export function prepareConditionCheck(state: EngineState, input: OperationInput): PreparedWrite {
  const table = tableOf(state, input.TableName);
  const usage = expressionUsage(input);
  const key = checkKeyParameter(keyFromInput(input.Key, table), table.key, table.definition.attributeTypes);
  if (input.ConditionExpression === undefined) throw validation('1 validation error detected: Value null at \'conditionExpression\' failed to satisfy constraint: Member must not be null');
  const condition = conditionOf(input, usage)!;
  usage.assertAllUsed();
  checkReturnOnFailure(input.ReturnValuesOnConditionCheckFailure);
  const previous = table.get(key);
  return { table, key, previous, next: previous, conditionPassed: condition.evaluate(previous), writes: false, returnOnFailure: input.ReturnValuesOnConditionCheckFailure };
}

/** Applies a prepared write (its condition already passed). */
export function commit(state: EngineState, write: PreparedWrite): void {
  if (!write.writes) return;
  write.table.write(write.previous, write.next, state.now());
}

function checkReturnValues(value: unknown, allowed: readonly string[]): string {
  const v = value === undefined ? 'NONE' : String(value);
  if (!allowed.includes(v)) {
    if (allowed.length === 2) throw validation('ReturnValues can only be ALL_OLD or NONE');
    throw validation(`1 validation error detected: Value '${v}' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`);
  }
  return v;
}

export function putItem(state: EngineState, input: OperationInput): OperationOutput {
  const returnValues = checkReturnValues(input.ReturnValues, ['NONE', 'ALL_OLD']);
  const write = preparePut(state, input);
  if (!write.conditionPassed) throw conditionFailed(write.previous, write.returnOnFailure);
  commit(state, write);
  return returnValues === 'ALL_OLD' && write.previous ? { Attributes: cloneItem(write.previous) } : {};
}

export function deleteItem(state: EngineState, input: OperationInput): OperationOutput {
  const returnValues = checkReturnValues(input.ReturnValues, ['NONE', 'ALL_OLD']);
  const write = prepareDelete(state, input);
  if (!write.conditionPassed) throw conditionFailed(write.previous, write.returnOnFailure);
  commit(state, write);
  return returnValues === 'ALL_OLD' && write.previous ? { Attributes: cloneItem(write.previous) } : {};
}

export function updateItem(state: EngineState, input: OperationInput): OperationOutput {
  const returnValues = checkReturnValues(input.ReturnValues, ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW']);
  const write = prepareUpdate(state, input);
  if (!write.conditionPassed) throw conditionFailed(write.previous, write.returnOnFailure);
  if (write.error) throw write.error;
  commit(state, write);
  switch (returnValues) {
    case 'ALL_OLD':
      return write.previous ? { Attributes: cloneItem(write.previous) } : {};
    case 'ALL_NEW':
      return { Attributes: cloneItem(write.next!) };
    case 'UPDATED_OLD':
      return updatedAttributes(write.previous, write.updatedPaths ?? []);
    case 'UPDATED_NEW':
      return updatedAttributes(write.next, write.updatedPaths ?? []);
    default:
      return {};
  }
}

/** UPDATED_OLD / UPDATED_NEW: just the paths the update touched, nested as a projection nests them. */
function updatedAttributes(item: Item | undefined, paths: readonly (readonly (string | number)[])[]): OperationOutput {
  if (!item || paths.length === 0) return {};
  const names: Record<string, string> = {};
  const expression = paths
    .map((path) =>
      path
        .map((part) => {
          if (typeof part === 'number') return `[${part}]`;
          const placeholder = `#p${Object.keys(names).length}`;
          names[placeholder] = part;
          return `.${placeholder}`;
        })
        .join('')
        .slice(1),
    )
    .join(', ');
  const usage = new ExpressionUsage({ names });
  const projected = parseProjection(expression, usage).apply(item);
  return Object.keys(projected).length ? { Attributes: cloneItem(projected) } : {};
}

export function getItem(state: EngineState, input: OperationInput): OperationOutput {
  refuseLegacy(input, 'AttributesToGet');
  const table = tableOf(state, input.TableName);
  const usage = expressionUsage(input);
  const key = checkKeyParameter(keyFromInput(input.Key, table), table.key, table.definition.attributeTypes);
  const projection = projectionOf(input, usage);
  usage.assertAllUsed();
  const item = table.get(key);
  return item ? { Item: output(item, projection) } : {};
}
