import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { KEY_READ_ACTIONS, KEY_WRITE_ACTIONS, grantKey } from './protection.js';
import { KEY, RECONCILER, failureKey, outboxPartition, rejectionKey, sagaKey, stepKey } from '../core/index.js';

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
/**
 * What a participant may do on saga records (`saga#*`): a `ConditionCheck` in its step's
 * transaction, the saga-level end marker (lib/runtime/participant/end-marker.ts) — it learns whether the saga
 * ended, and nothing else; it can neither read nor write the record.
 */
export const END_MARKER_ACTIONS = ['dynamodb:ConditionCheckItem'] as const;
/** What a participant (and the initiator) may do on its own items. */
export const OWN_ITEM_ACTIONS = [...ITEM_READ_ACTIONS, ...ITEM_WRITE_ACTIONS] as const;

/** `ForAllValues:StringLike` on `dynamodb:LeadingKeys`: every partition key of the request must match a pattern. */
export function leadingKeysCondition(patterns: readonly string[]): Record<string, Record<string, unknown>> {
  return { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...patterns] } };
}

/**
 * Grants `actions` on the table's items whose partition key matches one of `patterns`
 * (e.g. `inventory#*`). The resource is the table ARN only: no index, no wildcard. A table
 * encrypted with a customer-managed key also grants the key actions reading (or writing) needs.
 */
export function grantOwnItems(
  grantee: iam.IGrantable,
  table: dynamodb.ITable,
  patterns: readonly string[],
  actions: readonly string[] = OWN_ITEM_ACTIONS,
): iam.Grant {
  grantTableKey(grantee, table, actions);
  return iam.Grant.addToPrincipal({
    grantee,
    actions: [...actions],
    resourceArns: [table.tableArn],
    conditions: leadingKeysCondition(patterns),
  });
}

// ConditionCheckItem only reads (the end marker), so it needs no encrypt.
const WRITES: ReadonlySet<string> = new Set(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']);

/** The table key's actions for DynamoDB `actions`: read actions (decrypt), or write actions too when one of them writes. */
export function grantTableKey(grantee: iam.IGrantable, table: dynamodb.ITable, actions: readonly string[]): void {
  const writes = actions.some((a) => WRITES.has(a));
  grantKey(grantee, table.encryptionKey, writes ? KEY_WRITE_ACTIONS : KEY_READ_ACTIONS);
}

/** ARN of the reconciler's open-sagas index (named, not `index/*`). */
export function openIndexArn(table: dynamodb.ITable): string {
  return `${table.tableArn}/index/${KEY.openIndex}`;
}

/**
 * What the `saga` operator CLI (lib/cli/operator) reads: saga records (`inspect`, every action),
 * participants' step records (`inspect`, `retry`: Query of `<participant>#saga#<id>`), outbox rows
 * (`retry` rebuilds the event from `<producer>#outbox#<id>`), failure and rejection records
 * (`dlq list`: BatchGetItem of `<participant>#failed` / `<participant>#rejected`).
 */
export const OPERATOR_READ_PATTERNS = [
  `${sagaKey('').pk}*`,
  stepKey('*', '*', '').pk,
  outboxPartition('*', '*'),
  failureKey('*', '').pk,
  rejectionKey('*', '').pk,
] as const;
export const OPERATOR_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'] as const;
/**
 * What it writes, always as a version-guarded Put in `TransactWriteItems`: saga records (notes,
 * `resolve`, `compensate`) and the reconciler's outbox rows (`compensate` publishes
 * `SagaTimedOut` through them, as the reconciler does for a deadline).
 */
export const OPERATOR_WRITE_PATTERNS = [`${sagaKey('').pk}*`, outboxPartition(RECONCILER, '*')] as const;
export const OPERATOR_WRITE_ACTIONS = ['dynamodb:PutItem'] as const;
/**
 * On a participant's DLQ: `dlq list` receives messages and hands them back at once
 * (ChangeMessageVisibilityBatch is authorized by `sqs:ChangeMessageVisibility`); `redrive` reads
 * the queue ARN and starts a message move task, which SQS authorizes with ReceiveMessage,
 * DeleteMessage and GetQueueAttributes on the source queue too.
 */
export const OPERATOR_DEAD_LETTER_QUEUE_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:GetQueueAttributes',
  'sqs:StartMessageMoveTask',
  'sqs:DeleteMessage',
] as const;
/** On a participant's work queue: `retry` sends the rebuilt event; `redrive` reads its ARN as the move destination (and SQS checks SendMessage on it). */
export const OPERATOR_QUEUE_ACTIONS = ['sqs:SendMessage', 'sqs:GetQueueAttributes'] as const;
