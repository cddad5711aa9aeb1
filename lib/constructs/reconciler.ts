import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, RECONCILER, ownPrefix, sagaKey, type AnySagaDefinition } from '../core/index.js';
import { SagaFunction } from './function.js';
import { ITEM_READ_ACTIONS, ITEM_WRITE_ACTIONS, grantOwnItems, leadingKeysCondition, openIndexArn } from './permissions.js';
import { createDeadLetterQueue, deadLetterAlarm, notify } from './queues.js';

/** Internal props of the reconciler; users set them through `ChoreographyProps`. */
export interface SagaReconcilerProps {
  readonly definition: AnySagaDefinition;
  readonly table: dynamodb.ITable;
  readonly entry: string;
  readonly architecture: lambda.Architecture;
  readonly tracing: lambda.Tracing;
  readonly logRetention: logs.RetentionDays;
  /** @default no alarm actions */
  readonly alarmTopic?: sns.ITopic;
  readonly every: Duration;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly projectRoot: string;
  readonly depsLockFilePath: string;
}

/**
 * Item prefixes the reconciler may write: outbox rows of any producer (it republishes a lost
 * publish by writing a copy of the row, which the relay then publishes — it never calls
 * PutEvents itself), saga records (timeouts, stuck sagas), participants' failure records (takes
 * them out of the open index once handled) and its own items (reports, check claims, the timeout
 * event's outbox row `reconciler#outbox#…`).
 */
export const RECONCILER_WRITE_PATTERNS = ['*#outbox#*', `${sagaKey('').pk}*`, '*#failed', `${ownPrefix(RECONCILER)}*`] as const;
/** It also reads participants' step records (`<participant>#saga#<id>`) to explain a stuck saga. */
export const RECONCILER_READ_PATTERNS = [...RECONCILER_WRITE_PATTERNS, '*#saga#*'] as const;

/**
 * The scheduled reconciliation Lambda: finds overdue and stuck sagas through the sparse
 * `open-sagas` index (cost grows with open sagas, not with the table), publishes timeouts and
 * lost events through the outbox, and reports dead letters (it gets `SAGA_DLQ_URLS`). Created by
 * {@link Choreography}.
 *
 * @example
 * ```ts
 * const choreography = new Choreography(stack, 'Order', { definition: orderSaga, reconcileEvery: Duration.minutes(5) });
 * choreography.reconciler.grantCheckReads(); // only when the reconciler entry registers checks (对账)
 * ```
 */
export class SagaReconciler extends Construct {
  readonly function: lambda.IFunction;
  /** Async-invocation DLQ of the function and DLQ of the schedule target. */
  readonly deadLetterQueue: sqs.Queue;
  readonly schedule: events.Rule;
  readonly alarms: cloudwatch.Alarm[];
  private readonly dlqUrls: Record<string, string> = {};
  private readonly tableArn: string;

  constructor(scope: Construct, id: string, props: SagaReconcilerProps) {
    super(scope, id);
    const def = props.definition;
    this.tableArn = props.table.tableArn;
    this.deadLetterQueue = createDeadLetterQueue(this, 'DeadLetterQueue');
    const fn = new SagaFunction(this, 'Reconciler', {
      entry: props.entry,
      description: `saga ${def.name}: reconciler (deadlines, lost publishes, stuck sagas)`,
      timeout: props.timeout,
      memorySize: props.memorySize,
      architecture: props.architecture,
      tracing: props.tracing,
      logRetention: props.logRetention,
      projectRoot: props.projectRoot,
      depsLockFilePath: props.depsLockFilePath,
      deadLetterQueue: this.deadLetterQueue,
      environment: {
        [ENV.TABLE_NAME]: props.table.tableName,
        [ENV.DEFINITION_NAME]: def.name,
        // Filled as participants are added to the choreography (same stack only).
        [ENV.DLQ_URLS]: Lazy.string({ produce: () => Stack.of(this).toJsonString(this.dlqUrls) }),
      },
    });
    this.function = fn.function;
    grantOwnItems(fn.function, props.table, RECONCILER_WRITE_PATTERNS, ITEM_WRITE_ACTIONS);
    grantOwnItems(fn.function, props.table, RECONCILER_READ_PATTERNS, ITEM_READ_ACTIONS);
    iam.Grant.addToPrincipal({
      grantee: fn.function,
      actions: ['dynamodb:Query'],
      resourceArns: [openIndexArn(props.table)],
      conditions: leadingKeysCondition(['open#*']),
    });
    this.schedule = new events.Rule(this, 'Schedule', {
      description: `saga ${def.name}: run the reconciler every ${props.every.toHumanString()}`,
      schedule: events.Schedule.rate(props.every),
      targets: [new targets.LambdaFunction(fn.function, { deadLetterQueue: this.deadLetterQueue })],
    });
    this.alarms = [
      notify(
        new cloudwatch.Alarm(this, 'ErrorsAlarm', {
          metric: fn.function.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
          threshold: 1,
          evaluationPeriods: 3,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: `saga ${def.name}: the reconciler keeps failing; overdue sagas are not being repaired.`,
        }),
        props.alarmTopic,
      ),
      deadLetterAlarm(this, 'DeadLetterAlarm', this.deadLetterQueue, `saga ${def.name}: reconciler DLQ (failed scheduled runs)`, props.alarmTopic),
    ];
  }

  /**
   * Lets reconciliation checks (对账) read the whole table: a check compares items across
   * participants (e.g. stock against orders), which no key prefix fences. Read-only; writes stay
   * fenced. Call it only when you register checks.
   */
  grantCheckReads(): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee: this.function, actions: ['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:GetItem'], resourceArns: [this.tableArn] });
  }

  /** Adds a participant's DLQ to `SAGA_DLQ_URLS` and lets the reconciler read its depth. */
  addDeadLetterQueue(participant: string, queue: sqs.IQueue): void {
    this.dlqUrls[participant] = queue.queueUrl;
    queue.grant(this.function, 'sqs:GetQueueAttributes');
  }
}
