import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct, IConstruct } from 'constructs';
import { KEY } from '../core/index.js';
import { SagaConstructError } from './errors.js';
import { removalPolicyOf, type SagaDataProtection } from './protection.js';

/** How the choreography creates its table. */
export interface SagaTableOptions {
  /** Removal policy (default RETAIN) and customer-managed key (default DynamoDB-owned). */
  readonly protection?: SagaDataProtection;
  /** DynamoDB deletion protection: the table cannot be deleted, by CloudFormation or anyone, until it is turned off. */
  readonly deletionProtection: boolean;
}

/**
 * The one table of a choreography (layout in lib/core/keys.ts): string keys `pk`/`sk`, a
 * `NEW_IMAGE` stream for the outbox relay, TTL on `expiresAt`, point-in-time recovery, and the
 * sparse `open-sagas` index the reconciler reads (its cost grows with open sagas, not the table),
 * deletion protection unless turned off, and the choreography's key when it has one.
 */
export function createSagaTable(scope: Construct, id: string, options: SagaTableOptions): dynamodb.Table {
  const key = options.protection?.encryptionKey;
  const table = new dynamodb.Table(scope, id, {
    partitionKey: { name: KEY.partition, type: dynamodb.AttributeType.STRING },
    sortKey: { name: KEY.sort, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    stream: dynamodb.StreamViewType.NEW_IMAGE,
    timeToLiveAttribute: KEY.ttl,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy: removalPolicyOf(options.protection),
    deletionProtection: options.deletionProtection,
    ...(key ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: key } : {}),
  });
  table.addGlobalSecondaryIndex({
    indexName: KEY.openIndex,
    partitionKey: { name: KEY.openPartition, type: dynamodb.AttributeType.STRING },
    sortKey: { name: KEY.openSort, type: dynamodb.AttributeType.STRING },
    projectionType: dynamodb.ProjectionType.ALL,
  });
  return table;
}

const STREAM_VIEWS_WITH_NEW_IMAGE: readonly string[] = [dynamodb.StreamViewType.NEW_IMAGE, dynamodb.StreamViewType.NEW_AND_OLD_IMAGES];

/**
 * Checks what can be checked of a table passed in by the user. Every table needs a stream (the
 * relay reads it); a table defined in this app (`dynamodb.Table`) is also checked for the key
 * schema, the stream view type and the open-sagas index. An imported table can only be checked
 * for its stream ARN: pass `tableStreamArn` to `Table.fromTableAttributes`.
 */
export function checkExistingTable(scope: IConstruct, table: dynamodb.ITable, needsStream: boolean): void {
  const fail = (problem: string, fix: string): never => {
    throw new SagaConstructError(`${scope.node.path}: the table passed as "table" (${table.node.path}) ${problem}. ${fix}`, {
      path: scope.node.path,
      prop: 'table',
      value: table.node.path,
    });
  };
  if (needsStream && !table.tableStreamArn) {
    fail(
      'has no stream ARN, so the outbox relay cannot read it',
      `Enable a stream with view type NEW_IMAGE (or NEW_AND_OLD_IMAGES); for an imported table use Table.fromTableAttributes({ tableArn, tableStreamArn }).`,
    );
  }
  if (!(table instanceof dynamodb.Table)) return;
  const schema = table.schema();
  const keyOk = (key: dynamodb.Attribute | undefined, name: string) => key?.name === name && key.type === dynamodb.AttributeType.STRING;
  if (!keyOk(schema.partitionKey, KEY.partition) || !keyOk(schema.sortKey, KEY.sort)) {
    fail(
      `has key schema ${JSON.stringify({ partitionKey: schema.partitionKey, sortKey: schema.sortKey })}`,
      `The framework needs partition key "${KEY.partition}" (STRING) and sort key "${KEY.sort}" (STRING).`,
    );
  }
  const cfn = table.node.defaultChild as dynamodb.CfnTable;
  const stream = cfn.streamSpecification as dynamodb.CfnTable.StreamSpecificationProperty | undefined;
  if (needsStream && (!stream || !STREAM_VIEWS_WITH_NEW_IMAGE.includes(stream.streamViewType))) {
    fail(
      `has stream view type ${JSON.stringify(stream?.streamViewType)}`,
      `The relay reads the new image of outbox rows: use stream: StreamViewType.NEW_IMAGE (or NEW_AND_OLD_IMAGES).`,
    );
  }
  try {
    const index = table.schema(KEY.openIndex);
    if (!keyOk(index.partitionKey, KEY.openPartition) || !keyOk(index.sortKey, KEY.openSort)) throw new Error('keys');
  } catch {
    fail(
      `has no usable global secondary index "${KEY.openIndex}"`,
      `Add it with partition key "${KEY.openPartition}" (STRING), sort key "${KEY.openSort}" (STRING) and projection ALL; the reconciler queries it.`,
    );
  }
}
