import { cloneItem } from '../clone.js';
import { DynamoDbError, validation } from '../errors.js';
import { ExpressionUsage, parseCondition, parseProjection, type Condition, type Projection } from '../expr/index.js';
import { keyOf } from '../key-codec.js';
import type { Table } from '../table.js';
import type { AttributeValue, Item, OperationInput } from '../types.js';
import { canonicalItem, validateItem } from '../values.js';

/**
 * Request pieces shared by the item operations: expression placeholders, conditions, projections,
 * and the copies made at the engine's edge.
 */
export function expressionUsage(input: OperationInput): ExpressionUsage {
  const names = input.ExpressionAttributeNames as Record<string, string> | undefined;
  const rawValues = input.ExpressionAttributeValues as Record<string, AttributeValue> | undefined;
  const values = rawValues === undefined ? undefined : canonicalItem(rawValues, 'ExpressionAttributeValues');
  return new ExpressionUsage({ ...(names !== undefined ? { names } : {}), ...(values !== undefined ? { values } : {}) });
}

/** Refuses the legacy parameters (Expected, AttributesToGet, …): the engine speaks expressions only. */
export function refuseLegacy(input: OperationInput, ...names: string[]): void {
  for (const name of names) {
    if (input[name] !== undefined) {
      throw validation(`The legacy parameter ${name} is not supported by this engine; use the expression parameters instead (ConditionExpression, ProjectionExpression, KeyConditionExpression, FilterExpression, UpdateExpression).`);
    }
  }
}

export function conditionOf(input: OperationInput, usage: ExpressionUsage): Condition | undefined {
  const text = input.ConditionExpression;
  if (text === undefined) return undefined;
  return parseCondition(String(text), usage, 'ConditionExpression');
}

export function projectionOf(input: OperationInput, usage: ExpressionUsage): Projection | undefined {
  const text = input.ProjectionExpression;
  if (text === undefined) return undefined;
  return parseProjection(String(text), usage);
}

/** A whole item from the request: validated, numbers canonical, and our own copy. */
export function itemFromInput(raw: unknown): Item {
  if (raw === undefined || raw === null || typeof raw !== 'object') {
    throw validation("1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null");
  }
  validateItem(raw as Item);
  return canonicalItem(raw as Item, 'Item');
}

/** A `Key` parameter: canonical numbers, our own copy. */
export function keyFromInput(raw: unknown, table: Table): Item {
  if (raw === undefined || raw === null || typeof raw !== 'object') {
    throw validation("1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null");
  }
  return canonicalItem(raw as Item, 'Key');
}

export function conditionFailed(previous: Item | undefined, returnOnFailure: unknown): DynamoDbError {
  const extra: Record<string, unknown> = {};
  if (returnOnFailure === 'ALL_OLD' && previous) extra.Item = cloneItem(previous);
  return new DynamoDbError('ConditionalCheckFailedException', 'The conditional request failed', extra);
}

export function checkReturnOnFailure(value: unknown): void {
  if (value !== undefined && value !== 'ALL_OLD' && value !== 'NONE') {
    throw validation(
      `1 validation error detected: Value '${String(value)}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]`,
    );
  }
}

/** The item as a read returns it: projected when asked, always a copy. */
export function output(item: Item, projection: Projection | undefined): Item {
  return cloneItem(projection ? projection.apply(item) : item);
}

export { keyOf };
