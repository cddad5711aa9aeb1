import { Annotations, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { AnySagaDefinition } from '../core/index.js';
import { ChoreographyBase } from './choreography-base.js';
import { ImportedChoreography, type ChoreographyAttributes } from './imported-choreography.js';
import { restrictSagaSources } from './bus-policy.js';
import { SagaDashboard } from './dashboard.js';
import type { SagaDataProtection } from './protection.js';
import type { SagaParticipant } from './participant.js';
import { definitionModulePath, frameworkEntryFile, type FrameworkFunction } from './framework-entries.js';
import { SagaReconciler } from './reconciler.js';
import { OutboxRelay } from './relay.js';
import { SagaTracker } from './tracker.js';
import { checkExistingTable, createSagaTable } from './table.js';
import { checkDefinitionShape, checkDuration, checkInteger, checkWholeSeconds } from './validation.js';
import { verifyForSynth } from './verification.js';

export interface ChoreographyProps {
  /** The saga definition (`defineSaga` in lib/core); it must verify. */
  readonly definition: AnySagaDefinition;
  /**
   * The module (.ts or .js) that exports `definition`. The relay, tracker and reconciler are the
   * framework's handlers bundled with it, through an entry the construct generates — you write no
   * entry file. Give it when `defineSaga` is called elsewhere than in the module that exports the
   * result (e.g. in a helper). @default the module that called `defineSaga`
   */
  readonly definitionModule?: string;
  /** An existing bus to publish to. @default a new event bus */
  readonly eventBus?: events.IEventBus;
  /**
   * An existing table with the framework's layout (keys `pk`/`sk`, a NEW_IMAGE stream, the
   * `open-sagas` index). @default a new table
   */
  readonly table?: dynamodb.ITable;
  /**
   * What a stack deletion does to the data and the evidence: the table, every dead-letter queue and
   * every log group of the choreography and its participants. @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * DynamoDB deletion protection on the table this construct creates: nobody (CloudFormation
   * included) can delete it until it is turned off. Turn it off for short-lived test stacks.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * A customer-managed KMS key for the table, the queues, the bus and the log groups this
   * construct and its participants create (a given `table` or `eventBus` keeps its own
   * encryption). Functions get only the key actions their data access needs. With a key defined
   * in this app (`kms.Key`) the key policy is extended for CloudWatch Logs and EventBridge; for an
   * imported key, add those statements to its policy yourself (docs/deploy.md).
   * @default AWS-managed encryption
   */
  readonly encryptionKey?: kms.IKey;
  /** Stream records per relay invocation (1–10000). @default 100 */
  readonly relayBatchSize?: number;
  /** Retries of a failing stream batch before it goes to the on-failure queue (0–10000). @default 5 */
  readonly relayRetryAttempts?: number;
  /** Oldest stream record the relay still tries (1 minute–7 days). @default Duration.days(1) */
  readonly relayMaxRecordAge?: Duration;
  /** Concurrent batches per stream shard (1–10); publish order is not guaranteed either way. @default 1 */
  readonly relayParallelizationFactor?: number;
  /** How long the stream source gathers records before invoking the relay (0–5 minutes). @default Duration.seconds(0) */
  readonly relayMaxBatchingWindow?: Duration;
  /** Relay function timeout. @default Duration.minutes(1) */
  readonly relayTimeout?: Duration;
  /** Relay function memory in MB. @default 512 */
  readonly relayMemorySize?: number;
  /** Alarm when the relay lags the stream by this much. @default Duration.minutes(5) */
  readonly relayIteratorAgeAlarmThreshold?: Duration;
  /** Tracker function timeout. @default Duration.seconds(30) */
  readonly trackerTimeout?: Duration;
  /** Messages per tracker invocation (1–10). @default 10 */
  readonly trackerBatchSize?: number;
  /** Receives of one event at the tracker before it moves to the tracker's DLQ (1–1000). @default 5 */
  readonly trackerMaxReceiveCount?: number;
  /** How often the reconciler runs (1 minute–1 day). @default Duration.minutes(1) */
  readonly reconcileEvery?: Duration;
  /**
   * How long a saga may go without an event before the reconciler counts it as quiet: it then
   * looks for lost publishes, and a quiet saga with nothing to repair counts a stalled check
   * (`SAGA_RECONCILE_QUIET_SECONDS`; whole seconds, 1 second–1 day). @default Duration.seconds(60)
   */
  readonly reconcileQuietPeriod?: Duration;
  /**
   * Stalled checks in a row after which the reconciler flags a saga failed-needs-attention
   * (`SAGA_RECONCILE_STALLED_CHECKS`; 1–100). @default 3
   */
  readonly reconcileStalledChecks?: number;
  /** Reconciler function timeout. @default Duration.minutes(1) */
  readonly reconcilerTimeout?: Duration;
  /** CPU architecture of the framework's functions. @default lambda.Architecture.ARM_64 */
  readonly architecture?: lambda.Architecture;
  /** X-Ray tracing of the framework's functions. @default lambda.Tracing.ACTIVE */
  readonly tracing?: lambda.Tracing;
  /** Log retention of the framework's functions. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Where every alarm of the choreography and its participants is sent. @default no alarm actions */
  readonly alarmTopic?: sns.ITopic;
  /** Create the CloudWatch dashboard. @default true */
  readonly dashboard?: boolean;
  /**
   * Your own entry of the relay function (exporting `handler`, e.g. `relayHandlerFor(saga)` from
   * `saga-choreography/runtime` wrapped in middleware). @default a generated entry: the framework's relay with `definition`
   */
  readonly relayEntry?: string;
  /** Your own entry of the tracker function (`trackerHandlerFor(saga)`). @default a generated entry: the framework's tracker with `definition` */
  readonly trackerEntry?: string;
  /**
   * Your own entry of the reconciler function, e.g. to register reconciliation checks (对账):
   * `reconcilerHandlerFor(saga, [...defaultReconciliationChecks(saga), myCheck()])`.
   * @default a generated entry: the framework's reconciler with `definition` and the TCC reservation-expiry check
   */
  readonly reconcilerEntry?: string;
}

/**
 * The shared parts of a choreographed saga: event bus, table (business items, barriers, outbox,
 * saga records), the outbox relay (stream → EventBridge), the tracker (saga records), the
 * scheduled reconciler, alarms and a dashboard. Participants are added with
 * {@link Choreography.addParticipant} or `new SagaParticipant`, in this stack or — through
 * {@link Choreography.fromAttributes} — in another.
 *
 * @example
 * ```ts
 * const choreography = new Choreography(stack, 'OrderSaga', { definition: orderSaga, alarmTopic: topic });
 * choreography.addParticipant('inventory', { entry: 'functions/order/inventory.ts' });
 * choreography.addParticipant('order', { entry: 'functions/order/order.ts' });
 * choreography.addParticipant('payment', { entry: 'functions/order/payment.ts' });
 * choreography.grantStart(apiHandler); // lets an API start sagas
 * ```
 */
export class Choreography extends ChoreographyBase {
  /**
   * A choreography whose shared parts live in another stack or app. Participants can be added to
   * the returned object exactly as to a created one.
   *
   * @example
   * ```ts
   * const shared = Choreography.fromAttributes(participantStack, 'Order', {
   *   definition: orderSaga,
   *   eventBusArn: 'arn:aws:events:eu-west-1:111122223333:event-bus/orders',
   *   tableArn: 'arn:aws:dynamodb:eu-west-1:111122223333:table/orders',
   * });
   * shared.addParticipant('payment', { entry: 'functions/order/payment.ts' });
   * ```
   */
  static fromAttributes(scope: Construct, id: string, attrs: ChoreographyAttributes): ChoreographyBase {
    return new ImportedChoreography(scope, id, attrs);
  }

  readonly definition: AnySagaDefinition;
  readonly definitionModule?: string;
  readonly eventBus: events.IEventBus;
  readonly table: dynamodb.ITable;
  readonly alarmTopic?: sns.ITopic;
  readonly protection: SagaDataProtection;
  readonly relay: OutboxRelay;
  readonly tracker: SagaTracker;
  readonly reconciler: SagaReconciler;
  /** @default undefined when `dashboard: false` */
  readonly dashboard?: SagaDashboard;

  constructor(scope: Construct, id: string, props: ChoreographyProps) {
    super(scope, id);
    const def = checkDefinitionShape(this, props.definition);
    verifyForSynth(this, def);
    this.definition = def;
    this.definitionModule = props.definitionModule;
    this.alarmTopic = props.alarmTopic;
    // Resolved only when an entry is generated: with all three entries given, no module is needed.
    const entry = (given: string | undefined, fn: FrameworkFunction): string => given ?? frameworkEntryFile(this, def, fn, definitionModulePath(this, def, props.definitionModule));
    const tuning = this.resolveTuning(props);

    this.protection = { removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN, encryptionKey: props.encryptionKey };
    if (props.table) checkExistingTable(this, props.table, true);
    this.table = props.table ?? createSagaTable(this, 'Table', { protection: this.protection, deletionProtection: props.deletionProtection ?? true });
    this.eventBus = props.eventBus ?? new events.EventBus(this, 'Bus', { description: `saga ${def.name} events`, kmsKey: props.encryptionKey });

    const common = {
      definition: def,
      table: this.table,
      architecture: props.architecture ?? lambda.Architecture.ARM_64,
      tracing: props.tracing ?? lambda.Tracing.ACTIVE,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      alarmTopic: props.alarmTopic,
      protection: this.protection,
    };
    this.relay = new OutboxRelay(this, 'Relay', {
      ...common,
      eventBus: this.eventBus,
      entry: entry(props.relayEntry, 'relay'),
      batchSize: tuning.relayBatchSize,
      retryAttempts: tuning.relayRetryAttempts,
      maxRecordAge: tuning.relayMaxRecordAge,
      parallelizationFactor: tuning.relayParallelizationFactor,
      maxBatchingWindow: tuning.relayMaxBatchingWindow,
      timeout: tuning.relayTimeout,
      memorySize: props.relayMemorySize ?? 512,
      iteratorAgeAlarmThreshold: props.relayIteratorAgeAlarmThreshold ?? Duration.minutes(5),
    });
    // Sagas are started through the outbox (grantStart writes initiator# rows), so the relay is the only publisher.
    restrictSagaSources(this, this.eventBus, def, [this.relay.role.roleArn]);
    this.tracker = new SagaTracker(this, 'Tracker', {
      ...common,
      eventBus: this.eventBus,
      entry: entry(props.trackerEntry, 'tracker'),
      timeout: tuning.trackerTimeout,
      memorySize: 256,
      batchSize: tuning.trackerBatchSize,
      maxReceiveCount: tuning.trackerMaxReceiveCount,
      visibilityTimeout: Duration.seconds(tuning.trackerTimeout.toSeconds() * 6),
    });
    this.reconciler = new SagaReconciler(this, 'Reconciler', {
      ...common,
      entry: entry(props.reconcilerEntry, 'reconciler'),
      every: tuning.reconcileEvery,
      quietPeriod: tuning.reconcileQuietPeriod,
      stalledChecks: tuning.reconcileStalledChecks,
      timeout: tuning.reconcilerTimeout,
      memorySize: 512,
    });
    if (props.dashboard ?? true) {
      this.dashboard = new SagaDashboard(this, 'Dashboard', { choreography: this });
    }
  }

  /** Every alarm the choreography created (participants' DLQ alarms live on the participants). */
  get alarms(): cloudwatch.Alarm[] {
    return [...this.relay.alarms, this.tracker.deadLetterAlarm, ...this.reconciler.alarms];
  }

  protected override onParticipantAdded(participant: SagaParticipant): void {
    if (Stack.of(participant) !== Stack.of(this)) {
      // Referencing the other stack's queue from here would make the two stacks depend on each other.
      Annotations.of(participant).addInfo(
        `Participant "${participant.participant}" is in stack ${Stack.of(participant).stackName}, not in the choreography's stack ${Stack.of(this).stackName}: ` +
          `its DLQ is alarmed but not listed in the reconciler's ${'SAGA_DLQ_URLS'}, the URL maps (dlqUrlsJson, queueUrlsJson) or grantOperator of this object, nor on the choreography dashboard. ` +
          `Use Choreography.fromAttributes in that stack for its URL maps and operator grants.`,
      );
      return;
    }
    this.reconciler.addDeadLetterQueue(participant.deployedName, participant.deadLetterQueue);
    this.dashboard?.addDeadLetterQueue(participant.deployedName, participant.deadLetterQueue);
  }

  private resolveTuning(props: ChoreographyProps) {
    const t = {
      relayBatchSize: props.relayBatchSize ?? 100,
      relayRetryAttempts: props.relayRetryAttempts ?? 5,
      relayMaxRecordAge: props.relayMaxRecordAge ?? Duration.days(1),
      relayParallelizationFactor: props.relayParallelizationFactor ?? 1,
      relayMaxBatchingWindow: props.relayMaxBatchingWindow ?? Duration.seconds(0),
      relayTimeout: props.relayTimeout ?? Duration.minutes(1),
      trackerTimeout: props.trackerTimeout ?? Duration.seconds(30),
      trackerBatchSize: props.trackerBatchSize ?? 10,
      trackerMaxReceiveCount: props.trackerMaxReceiveCount ?? 5,
      reconcileEvery: props.reconcileEvery ?? Duration.minutes(1),
      reconcileQuietPeriod: props.reconcileQuietPeriod ?? Duration.seconds(60),
      reconcileStalledChecks: props.reconcileStalledChecks ?? 3,
      reconcilerTimeout: props.reconcilerTimeout ?? Duration.minutes(1),
    };
    checkInteger(this, 'relayBatchSize', t.relayBatchSize, 1, 10000);
    checkInteger(this, 'relayRetryAttempts', t.relayRetryAttempts, 0, 10000, 'Unbounded retries (-1) would block a stream shard for 24 hours on one poison record.');
    checkDuration(this, 'relayMaxRecordAge', t.relayMaxRecordAge, Duration.minutes(1), Duration.days(7));
    checkInteger(this, 'relayParallelizationFactor', t.relayParallelizationFactor, 1, 10);
    checkDuration(this, 'relayMaxBatchingWindow', t.relayMaxBatchingWindow, Duration.seconds(0), Duration.minutes(5));
    checkDuration(this, 'relayTimeout', t.relayTimeout, Duration.seconds(1), Duration.minutes(15));
    checkDuration(this, 'trackerTimeout', t.trackerTimeout, Duration.seconds(1), Duration.minutes(15));
    checkInteger(this, 'trackerBatchSize', t.trackerBatchSize, 1, 10);
    checkInteger(this, 'trackerMaxReceiveCount', t.trackerMaxReceiveCount, 1, 1000);
    checkDuration(this, 'reconcileEvery', t.reconcileEvery, Duration.minutes(1), Duration.days(1), 'EventBridge schedules run at most once a minute.');
    checkWholeSeconds(this, 'reconcileQuietPeriod', t.reconcileQuietPeriod);
    checkDuration(this, 'reconcileQuietPeriod', t.reconcileQuietPeriod, Duration.seconds(1), Duration.days(1));
    checkInteger(this, 'reconcileStalledChecks', t.reconcileStalledChecks, 1, 100, 'It is how many quiet checks in a row flag a stalled saga.');
    checkDuration(this, 'reconcilerTimeout', t.reconcilerTimeout, Duration.seconds(1), Duration.minutes(15));
    return t;
  }
}
