import type { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, sagaKey, sourcePrefixFor, type AnySagaDefinition } from '../core/index.js';
import { acknowledge } from './acknowledgements.js';
import { SagaFunction } from './function.js';
import { grantOwnItems } from './permissions.js';
import type { SagaDataProtection } from './protection.js';
import { WorkQueue, deadLetterAlarm } from './queues.js';

/** Internal props of the tracker; users set them through `ChoreographyProps`. */
export interface SagaTrackerProps {
  readonly definition: AnySagaDefinition;
  readonly table: dynamodb.ITable;
  readonly eventBus: events.IEventBus;
  readonly entry: string;
  readonly architecture: lambda.Architecture;
  readonly tracing: lambda.Tracing;
  readonly logRetention: logs.RetentionDays;
  /** @default no alarm actions */
  readonly alarmTopic?: sns.ITopic;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly batchSize: number;
  readonly maxReceiveCount: number;
  readonly visibilityTimeout: Duration;
  /** @default RETAIN, AWS-managed encryption */
  readonly protection?: SagaDataProtection;
  /** @default the entry's project (SagaFunction) */
  readonly projectRoot?: string;
  /** @default the entry's project's lock file (SagaFunction) */
  readonly depsLockFilePath?: string;
}

/** Key prefix of saga records (`saga#<id>`), taken from lib/core so the fence follows the layout. */
const SAGA_RECORD_PREFIX = sagaKey('').pk;

/**
 * Keeps the saga record (`saga#<id>`): consumes every event of the saga from its own queue (one
 * rule, source prefix `saga.<name>.`) and is the only writer of saga records. Participants never
 * touch them, which is what lets IAM fence each participant to its own prefix. Created by
 * {@link Choreography}.
 *
 * @example
 * ```ts
 * const { tracker } = new Choreography(stack, 'Order', { definition: orderSaga });
 * tracker.deadLetterQueue.grantConsumeMessages(operatorRole);
 * ```
 */
export class SagaTracker extends Construct {
  readonly function: lambda.IFunction;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly rule: events.Rule;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: SagaTrackerProps) {
    super(scope, id);
    const def = props.definition;
    const work = new WorkQueue(this, 'Inbox', { visibilityTimeout: props.visibilityTimeout, maxReceiveCount: props.maxReceiveCount, protection: props.protection });
    this.queue = work.queue;
    this.deadLetterQueue = work.deadLetterQueue;
    this.rule = new events.Rule(this, 'AllSagaEvents', {
      eventBus: props.eventBus,
      description: `saga ${def.name}: every event -> tracker`,
      eventPattern: { source: events.Match.prefix(sourcePrefixFor(def)) },
      targets: [new targets.SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue })],
    });
    const fn = new SagaFunction(this, 'Tracker', {
      entry: props.entry,
      description: `saga ${def.name}: tracker (saga events -> saga record)`,
      timeout: props.timeout,
      memorySize: props.memorySize,
      architecture: props.architecture,
      tracing: props.tracing,
      logRetention: props.logRetention,
      projectRoot: props.projectRoot,
      depsLockFilePath: props.depsLockFilePath,
      protection: props.protection,
      environment: { [ENV.TABLE_NAME]: props.table.tableName, [ENV.DEFINITION_NAME]: def.name },
    });
    this.function = fn.function;
    fn.function.addEventSource(new SqsEventSource(this.queue, { batchSize: props.batchSize, reportBatchItemFailures: true }));
    grantOwnItems(fn.function, props.table, [`${SAGA_RECORD_PREFIX}*`]); // its rejection records live there too (`saga#rejected`)
    acknowledge(fn.function, 'noAsyncInvocations', 'sqsMappingUsesRedrive');
    this.deadLetterAlarm = deadLetterAlarm(this, 'DeadLetterAlarm', this.deadLetterQueue, `saga ${def.name}: tracker DLQ`, props.alarmTopic);
  }
}
