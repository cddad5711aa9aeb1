import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { IConstruct } from 'constructs';

/**
 * How a choreography's data outlives mistakes: what a stack deletion does to the resources that
 * hold saga state or evidence (table, dead-letter queues, log groups), and which key encrypts
 * them. One setting for every construct of the choreography, so a participant added in another
 * stack protects its DLQ and logs the same way as the shared parts.
 */
export interface SagaDataProtection {
  /**
   * What a stack deletion does to the table, the dead-letter queues and the log groups: dead
   * letters and logs are the evidence an operator needs after an incident. @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * A customer-managed KMS key for the table, every queue, the bus and the log groups. Each
   * function is granted only the key actions its data access needs; the services that use the key
   * on the framework's behalf (CloudWatch Logs, EventBridge) are allowed in the key policy when the
   * key is defined in this app (`kms.Key`; an imported key's policy cannot be changed from here).
   * @default AWS-managed encryption (DynamoDB-owned key, SSE-SQS, EventBridge-owned key, CloudWatch Logs default)
   */
  readonly encryptionKey?: kms.IKey;
}

/** The removal policy a protected resource gets: the given one, else RETAIN. */
export function removalPolicyOf(protection: SagaDataProtection | undefined): RemovalPolicy {
  return protection?.removalPolicy ?? RemovalPolicy.RETAIN;
}

/** What a principal needs on the key to read data encrypted with it (DynamoDB items, stream records, SQS messages). */
export const KEY_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'] as const;
/** What it needs to write such data too. Named actions, no `kms:GenerateDataKey*` wildcard. */
export const KEY_WRITE_ACTIONS = [...KEY_READ_ACTIONS, 'kms:Encrypt', 'kms:GenerateDataKey'] as const;

/** Grants `actions` on `key` (nothing without a key). */
export function grantKey(grantee: iam.IGrantable, key: kms.IKey | undefined, actions: readonly string[]): void {
  if (key) key.grant(grantee, ...actions);
}

/** Keys whose policy already lets CloudWatch Logs use them (one statement per key, not per log group). */
const keysOpenToLogs = new WeakSet<kms.IKey>();

/**
 * Lets CloudWatch Logs of the key's region use the key for log groups of the key's account only
 * (encryption context condition), as CloudWatch Logs requires for `KmsKeyId` on a log group.
 */
export function allowLogsToUseKey(scope: IConstruct, key: kms.IKey): void {
  if (keysOpenToLogs.has(key)) return;
  keysOpenToLogs.add(key);
  const stack = Stack.of(scope);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'SagaLogGroupsUseTheKey',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:DescribeKey'],
      resources: ['*'],
      conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` } },
    }),
  );
}
