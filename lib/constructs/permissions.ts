import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { KEY } from '../core/index.js';

/**
 * The least-privilege model, in one place. Every item a principal may write starts with a key
 * prefix it owns (`<participant>#`, `saga#`, `initiator#` …); IAM's `dynamodb:LeadingKeys`
 * condition fences each principal to its prefixes, so a participant cannot touch another
 * participant's items, the saga record or the outbox rows of anyone else.
 */

/** Item reads a principal may do inside its own prefixes. */
export const ITEM_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query'] as const;
/** Item writes; `TransactWriteItems` needs these on each of its items (it has no action of its own). */
export const ITEM_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'] as const;
/** What a participant (and the initiator) may do on its own items. */
export const OWN_ITEM_ACTIONS = [...ITEM_READ_ACTIONS, ...ITEM_WRITE_ACTIONS] as const;

/** `ForAllValues:StringLike` on `dynamodb:LeadingKeys`: every partition key of the request must match a pattern. */
export function leadingKeysCondition(patterns: readonly string[]): Record<string, Record<string, unknown>> {
  return { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...patterns] } };
}

/**
 * Grants `actions` on the table's items whose partition key matches one of `patterns`
 * (e.g. `inventory#*`). The resource is the table ARN only: no index, no wildcard.
 */
export function grantOwnItems(
  grantee: iam.IGrantable,
  table: dynamodb.ITable,
  patterns: readonly string[],
  actions: readonly string[] = OWN_ITEM_ACTIONS,
): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions: [...actions],
    resourceArns: [table.tableArn],
    conditions: leadingKeysCondition(patterns),
  });
}

/** ARN of the reconciler's open-sagas index (named, not `index/*`). */
export function openIndexArn(table: dynamodb.ITable): string {
  return `${table.tableArn}/index/${KEY.openIndex}`;
}
