import { Duration, Lazy, Stack, Tokenization } from 'aws-cdk-lib';
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
import { ENV, RECONCILER, UNPUBLISHED_PARTITION, ownPrefix, sagaKey, type AnySagaDefinition } from '../core/index.js';
import { SagaFunction } from './function.js';
import { METRICS_NAMESPACE, SAGA_METRIC, sagaMetric } from './monitoring.js';
import { ITEM_READ_ACTIONS, ITEM_WRITE_ACTIONS, grantOwnItems, grantTableKey, leadingKeysCondition, openIndexArn } from './permissions.js';
import type { SagaDataProtection } from './protection.js';
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
  /** No event for this long makes a saga quiet (lost publishes are looked for, stalls counted); whole seconds. */
  readonly quietPeriod: Duration;
  /** Quiet checks in a row before a stalled saga is flagged. */
  readonly stalledChecks: number;
  readonly timeout: Duration;
  readonly memorySize: number;
  /** @default RETAIN, AWS-managed encryption */
  readonly protection?: SagaDataProtection;
  /** @default the entry's project (SagaFunction) */
  readonly projectRoot?: string;
  /** @default the entry's project's lock file (SagaFunction) */
  readonly depsLockFilePath?: string;
}

/**
 * Item prefixes the reconciler may write: outbox rows of any producer (it republishes a lost
 * publish by writing a copy of the row, which the relay then publishes — it never calls
 * PutEvents itself), saga records (timeouts, flags, reschedules, the record of a saga whose start
 * was lost), participants' failure records and the relay's notes of rows it could not publish
 * (`relay#unpublished`; it takes both out of the open index once settled) and its own items (reports, check claims, cursors, the outbox rows `reconciler#outbox#…` of
 * `SagaTimedOut` and of TCC `ReservationExpired`).
 */
export const RECONCILER_WRITE_PATTERNS = ['*#outbox#*', `${sagaKey('').pk}*`, '*#failed', UNPUBLISHED_PARTITION, `${ownPrefix(RECONCILER)}*`] as const;
/**
 * It also reads participants' step records (`<participant>#saga#<id>`) to explain a stuck saga
 * (and the initiator's start barriers, `initiator#saga#<id>`).
 */
export const RECONCILER_READ_PATTERNS = [...RECONCILER_WRITE_PATTERNS, '*#saga#*'] as const;

/**
 * Partitions of the `open-sagas` index the reconciler queries: every one under `open#` — the saga
 * shards `open#0..3`, `open#failures` (failure records), `open#attention` (flagged sagas),
 * `open#starts` (start barriers), `open#unpublished` (the relay's notes of rows it could not
 * publish; settled in place, which the write patterns allow), and the sharded
 * `open#reservations#<k>` / `open#pending#<k>` of TCC reservations and two-phase messages
 * (lib/core/keys.ts).
 */
export const RECONCILER_INDEX_PATTERNS = ['open#*'] as const;

/**
 * The scheduled reconciliation Lambda: finds overdue and stuck sagas through the sparse
 * `open-sagas` index (cost grows with open sagas, not with the table), publishes timeouts and
 * lost events through the outbox, flags sagas that need a person (alarm on `SagasFlagged`), and
 * counts dead letters (it gets `SAGA_DLQ_URLS`; one alarm per participant on its count). Created by
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
  /**
   * Errors, its own DLQ and `SagasFlagged`. Participants' DLQs are alarmed by the participants
   * (SQS depth), not here: one alarm per DLQ, so one incident pages once.
   */
  readonly alarms: cloudwatch.Alarm[];
  /** Alarm when a saga is flagged failed-needs-attention (`SagasFlagged` ≥ 1). */
  readonly flaggedAlarm: cloudwatch.Alarm;
  private readonly dlqUrls: Record<string, string> = {};
  private readonly tableArn: string;
  private readonly table: dynamodb.ITable;
  private readonly definitionName: string;
  private readonly alarmTopic?: sns.ITopic;
  /** Period of the alarms on the reconciler's own metrics: at least one run per period. */
  private readonly metricPeriod: Duration;

  constructor(scope: Construct, id: string, props: SagaReconcilerProps) {
    super(scope, id);
    const def = props.definition;
    this.tableArn = props.table.tableArn;
    this.table = props.table;
    this.definitionName = def.name;
    this.alarmTopic = props.alarmTopic;
    this.metricPeriod = props.every.isUnresolved() ? Duration.minutes(5) : Duration.seconds(Math.max(300, props.every.toSeconds()));
    this.deadLetterQueue = createDeadLetterQueue(this, 'DeadLetterQueue', props.protection);
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
      protection: props.protection,
      environment: {
        [ENV.TABLE_NAME]: props.table.tableName,
        [ENV.DEFINITION_NAME]: def.name,
        // Filled as participants are added to the choreography (same stack only).
        [ENV.DLQ_URLS]: Lazy.string({ produce: () => Stack.of(this).toJsonString(this.dlqUrls) }),
        [ENV.RECONCILE_QUIET_SECONDS]: Tokenization.stringifyNumber(props.quietPeriod.toSeconds()),
        [ENV.RECONCILE_STALLED_CHECKS]: Tokenization.stringifyNumber(props.stalledChecks),
      },
    });
    this.function = fn.function;
    grantOwnItems(fn.function, props.table, RECONCILER_WRITE_PATTERNS, ITEM_WRITE_ACTIONS);
    grantOwnItems(fn.function, props.table, RECONCILER_READ_PATTERNS, ITEM_READ_ACTIONS);
    iam.Grant.addToPrincipal({
      grantee: fn.function,
      actions: ['dynamodb:Query'],
      resourceArns: [openIndexArn(props.table)],
      conditions: leadingKeysCondition(RECONCILER_INDEX_PATTERNS),
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
    this.flaggedAlarm = notify(
      new cloudwatch.Alarm(this, 'SagasFlaggedAlarm', {
        metric: this.metricSagasFlagged(),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription:
          `saga ${def.name}: the reconciler flagged a saga failed-needs-attention (its log line "saga flagged failed-needs-attention" and ` +
          `the index partition open#attention name it). Run \`saga inspect <sagaId>\`, fix the cause, then redrive, retry, compensate or resolve (docs/recovery.md).`,
      }),
      props.alarmTopic,
    );
    this.alarms.push(this.flaggedAlarm);
  }

  /** Sagas the reconciler newly flagged failed-needs-attention (sum per period). */
  metricSagasFlagged(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return sagaMetric({ name: this.definitionName }, SAGA_METRIC.sagasFlagged, { period: this.metricPeriod, ...props });
  }

  /** Messages in a participant's DLQ as the reconciler counts them each run (visible and in flight; maximum per period). */
  metricDeadLetterMessages(participant: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: SAGA_METRIC.deadLetterMessages,
      // The reconciler's EMF lines carry its base dimension Saga plus Participant.
      dimensionsMap: { Saga: this.definitionName, Participant: participant },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: this.metricPeriod,
      ...props,
    });
  }

  /**
   * Lets reconciliation checks (对账) read the whole table: a check compares items across
   * participants (e.g. stock against orders), which no key prefix fences. Read-only; writes stay
   * fenced. Call it only when you register checks.
   */
  grantCheckReads(): iam.Grant {
    grantTableKey(this.function, this.table, ['dynamodb:Scan']);
    return iam.Grant.addToPrincipal({ grantee: this.function, actions: ['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:GetItem'], resourceArns: [this.tableArn] });
  }

  /**
   * Adds a participant's DLQ to `SAGA_DLQ_URLS` and lets the reconciler read its depth
   * (`GetQueueAttributes` on that queue only). The count it reports each run
   * ({@link metricDeadLetterMessages}) is charted, not alarmed: the participant's own SQS-depth
   * alarm already pages for that DLQ.
   */
  addDeadLetterQueue(participant: string, queue: sqs.IQueue): void {
    this.dlqUrls[participant] = queue.queueUrl;
    queue.grant(this.function, 'sqs:GetQueueAttributes');
  }
}
