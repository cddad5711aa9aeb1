import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, ITEM_KIND, KEY, allProducers, sourceFor, type AnySagaDefinition } from '../core/index.js';
import { acknowledge } from './acknowledgements.js';
import { SagaConstructError } from './errors.js';
import { SagaFunction } from './function.js';
import { grantOwnItems } from './permissions.js';
import { KEY_READ_ACTIONS, KEY_WRITE_ACTIONS, grantKey, type SagaDataProtection } from './protection.js';
import { createDeadLetterQueue, deadLetterAlarm, notify } from './queues.js';

/** Stream reads the event source mapping does with the relay's role, all on the stream ARN. */
export const STREAM_READ_ACTIONS = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'] as const;

/**
 * The stream mapping's on-failure queue. Not `SqsDlq`: its grant gives the handler
 * `kms:ReEncrypt*` and `kms:GenerateDataKey*` on an encrypted queue's key; this one names the
 * actions Lambda needs to send the batch record (SendMessage, and encrypt with the queue's key).
 */
class FailureQueueDestination implements lambda.IEventSourceDlq {
  constructor(private readonly queue: sqs.IQueue) {}

  bind(_mapping: lambda.IEventSourceMapping, handler: lambda.IFunction): lambda.DlqDestinationConfig {
    this.queue.grant(handler, 'sqs:SendMessage', 'sqs:GetQueueAttributes');
    grantKey(handler, this.queue.encryptionMasterKey, KEY_WRITE_ACTIONS);
    return { destination: this.queue.queueArn };
  }
}

/** Internal props of the relay; users set them through `ChoreographyProps`. */
export interface OutboxRelayProps {
  readonly definition: AnySagaDefinition;
  readonly table: dynamodb.ITable;
  readonly eventBus: events.IEventBus;
  readonly entry: string;
  readonly architecture: lambda.Architecture;
  readonly tracing: lambda.Tracing;
  readonly logRetention: logs.RetentionDays;
  /** @default no alarm actions */
  readonly alarmTopic?: sns.ITopic;
  readonly batchSize: number;
  readonly retryAttempts: number;
  readonly maxRecordAge: Duration;
  readonly parallelizationFactor: number;
  readonly maxBatchingWindow: Duration;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly iteratorAgeAlarmThreshold: Duration;
  /** @default RETAIN, AWS-managed encryption */
  readonly protection?: SagaDataProtection;
  /** @default the entry's project (SagaFunction) */
  readonly projectRoot?: string;
  /** @default the entry's project's lock file (SagaFunction) */
  readonly depsLockFilePath?: string;
}

/**
 * Publishes outbox rows to EventBridge. Reads the table's stream filtered to outbox INSERTs
 * (TTL deletes and every other write never invoke it), with bounded retries, bisect on error,
 * partial batch responses and an on-failure queue — the stream defaults would retry a poison
 * record for 24 h and block its shard. Only this function may call `events:PutEvents`, and only
 * with the sources the definition gives its producers. Created by {@link Choreography}.
 *
 * @example
 * ```ts
 * const choreography = new Choreography(stack, 'Order', { definition: orderSaga });
 * new cloudwatch.Alarm(stack, 'RelayLag', { metric: choreography.relay.metricIteratorAge(), threshold: 60_000, evaluationPeriods: 5 });
 * ```
 */
export class OutboxRelay extends Construct {
  readonly function: lambda.IFunction;
  /** Where Lambda records stream batches it gave up on (metadata, not the rows: the rows stay in the table). */
  readonly failureQueue: sqs.Queue;
  readonly alarms: cloudwatch.Alarm[];
  /** The execution role (the bus policy names it as the saga's only publisher). */
  readonly role: iam.IRole;
  /** `dynamodb:ListStreams` on `*`, alone in its policy (see {@link OutboxRelay} constructor). */
  readonly streamListingPolicy: iam.Policy;

  constructor(scope: Construct, id: string, props: OutboxRelayProps) {
    super(scope, id);
    const def = props.definition;
    this.failureQueue = createDeadLetterQueue(this, 'FailureQueue', props.protection);
    const fn = new SagaFunction(this, 'Relay', {
      entry: props.entry,
      description: `saga ${def.name}: outbox relay (DynamoDB stream -> EventBridge)`,
      timeout: props.timeout,
      memorySize: props.memorySize,
      architecture: props.architecture,
      tracing: props.tracing,
      logRetention: props.logRetention,
      projectRoot: props.projectRoot,
      depsLockFilePath: props.depsLockFilePath,
      protection: props.protection,
      environment: {
        [ENV.TABLE_NAME]: props.table.tableName,
        [ENV.EVENT_BUS_NAME]: props.eventBus.eventBusName,
        [ENV.DEFINITION_NAME]: def.name,
      },
    });
    this.function = fn.function;
    this.role = fn.role;

    const streamArn = props.table.tableStreamArn;
    if (!streamArn) {
      throw new SagaConstructError(`${this.node.path}: the table has no stream ARN; the relay reads the outbox from the table's stream.`, { path: this.node.path });
    }
    // A plain mapping instead of DynamoEventSource: its grant would put dynamodb:ListStreams on "*"
    // into the role's default policy, where acknowledging it would hide any other "*" added later.
    const mapping = fn.function.addEventSourceMapping('OutboxStream', {
      eventSourceArn: streamArn,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize,
      maxBatchingWindow: props.maxBatchingWindow,
      parallelizationFactor: props.parallelizationFactor,
      bisectBatchOnError: true,
      retryAttempts: props.retryAttempts,
      maxRecordAge: props.maxRecordAge,
      reportBatchItemFailures: true,
      onFailure: new FailureQueueDestination(this.failureQueue),
      filters: [
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.isEqual('INSERT'),
          dynamodb: { NewImage: { [KEY.kind]: { S: lambda.FilterRule.isEqual(ITEM_KIND.outbox) } } },
        }),
      ],
    });
    iam.Grant.addToPrincipal({ grantee: fn.function, actions: [...STREAM_READ_ACTIONS], resourceArns: [streamArn] });
    grantKey(fn.function, props.table.encryptionKey, KEY_READ_ACTIONS);
    // ListStreams supports no resource-level permission (IAM's service authorization reference):
    // granted on the stream ARN it allows nothing. Lambda names it among the permissions a
    // DynamoDB stream mapping needs and checks them when the mapping is created, so it is granted
    // on "*", in a policy of its own that carries the one acknowledgement.
    this.streamListingPolicy = new iam.Policy(this, 'StreamListingPolicy', {
      roles: [fn.role],
      statements: [new iam.PolicyStatement({ actions: ['dynamodb:ListStreams'], resources: ['*'] })],
    });
    acknowledge(this.streamListingPolicy, 'listStreamsWildcard');
    mapping.node.addDependency(this.streamListingPolicy);
    acknowledge(fn.function, 'noAsyncInvocations');
    acknowledge(this.failureQueue, 'failureDestinationIsADlq');

    iam.Grant.addToPrincipal({
      grantee: fn.function,
      actions: ['events:PutEvents'],
      resourceArns: [props.eventBus.eventBusArn],
      conditions: { StringEquals: { 'events:source': allProducers(def).map((p) => sourceFor(def, p)) } },
    });
    // Only its rejection records (`relay#rejected`: an outbox row that cannot be published is kept with the reason).
    grantOwnItems(fn.function, props.table, ['relay#*'], ['dynamodb:PutItem']);

    this.alarms = [
      notify(
        new cloudwatch.Alarm(this, 'ErrorsAlarm', {
          metric: fn.function.metricErrors({ period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: `saga ${def.name}: the outbox relay failed; events may be delayed. Check its logs.`,
        }),
        props.alarmTopic,
      ),
      notify(
        new cloudwatch.Alarm(this, 'IteratorAgeAlarm', {
          metric: this.metricIteratorAge(),
          threshold: props.iteratorAgeAlarmThreshold.toMilliseconds(),
          evaluationPeriods: 3,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: `saga ${def.name}: the outbox relay lags more than ${props.iteratorAgeAlarmThreshold.toHumanString()} behind the stream; events are late.`,
        }),
        props.alarmTopic,
      ),
      deadLetterAlarm(this, 'FailureQueueAlarm', this.failureQueue, `saga ${def.name}: relay on-failure queue (stream batches given up)`, props.alarmTopic),
    ];
  }

  /** Age of the newest stream record the relay has read (maximum over one minute), in milliseconds. */
  metricIteratorAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metric('IteratorAge', { period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }
}
