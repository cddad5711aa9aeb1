import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, NOTIFIER, ownPrefix, receiversKey, terminalEventsPattern } from '../core/index.js';
import { acknowledge } from './acknowledgements.js';
import type { IChoreography } from './choreography-base.js';
import { SagaConstructError } from './errors.js';
import { SagaFunction } from './function.js';
import { METRICS_NAMESPACE } from './monitoring.js';
import { definitionModulePath, frameworkEntryFile } from './framework-entries.js';
import { toEventPattern } from './patterns.js';
import { SagaOutcomeApi, type OutcomeApiOptions } from './outcome-api.js';
import { grantOwnItems, leadingKeysCondition, openIndexArn } from './permissions.js';
import { WorkQueue, createDeadLetterQueue, deadLetterAlarm, notify } from './queues.js';
import { checkDuration, checkInteger } from './validation.js';

// Kept importable from here: the outcome API used to live in this module.
export { OUTCOME_API_DLQ_ACKNOWLEDGEMENT, type OutcomeApiOptions } from './outcome-api.js';

/** One receiver of saga outcomes. */
export interface NotificationEndpointProps {
  /**
   * Receiver id: lower-case letters, digits and '-', at most 40. A saga is notified here only if it
   * names this id at start (`startSaga(…, { receivers: [id] })`); also its key id at the outcome API.
   */
  readonly id: string;
  /** HTTPS URL the outcome is POSTed to. */
  readonly url: string;
  /**
   * The Secrets Manager secret whose value (a SecretString of at least 16 characters) signs each
   * request: `x-saga-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
   * Only its ARN reaches the function's environment; the notifier reads the value at run time and
   * caches it for `secretsMaxAge`, so rotating it needs no deploy. Required unless `signing: false`.
   * @default none: synth fails unless `signing` is false
   */
  readonly signingSecret?: secretsmanager.ISecret;
  /** Sign requests. `false` sends them unsigned, on purpose (a warning is annotated at synth). @default true */
  readonly signing?: boolean;
  /** Terminal events this receiver wants. @default every terminal event of the definition */
  readonly events?: readonly string[];
}

export interface SagaNotifierProps {
  /** The choreography whose outcomes are notified (its bus, table and definition). */
  readonly choreography: IChoreography;
  /** Receivers of saga outcomes (at least one). */
  readonly endpoints: readonly NotificationEndpointProps[];
  /** Attempts per notification before it is given up and flagged (1–100). @default 8 */
  readonly maxAttempts?: number;
  /** Delay before the first retry; doubles per failed attempt (1 second–1 hour). @default Duration.seconds(30) */
  readonly firstRetryDelay?: Duration;
  /** Longest delay between two attempts (up to 12 hours, at least `firstRetryDelay`). @default Duration.hours(1) */
  readonly maxRetryDelay?: Duration;
  /** HTTP timeout of one attempt (1–30 seconds). @default Duration.seconds(5) */
  readonly requestTimeout?: Duration;
  /** How often due retries are swept (1 minute–1 hour). @default Duration.minutes(1) */
  readonly retryEvery?: Duration;
  /** Notifier function timeout (up to 15 minutes); attempts are claimed before they are sent, so a timed-out sweep loses none. @default Duration.minutes(2) */
  readonly timeout?: Duration;
  /** The outcome query API for receivers that missed a notification (a {@link SagaOutcomeApi} inside this construct). @default no query API */
  readonly outcomeApi?: OutcomeApiOptions;
  /** How long the notifier caches a signing secret (a rotation takes effect within it). @default Duration.minutes(5) */
  readonly secretsMaxAge?: Duration;
  /** Your own entry of the notifier function (`notifierHandlerFor(saga)`). @default a generated entry: the framework's notifier with the choreography's definition */
  readonly entry?: string;
  /** Your own entry of the outcome API function (`outcomeApiHandlerFor(saga)`). @default a generated entry: the framework's outcome API with the choreography's definition */
  readonly outcomeApiEntry?: string;
  /** The module exporting the choreography's definition, for the generated entries. @default the choreography's `definitionModule`, else the module that called `defineSaga` */
  readonly definitionModule?: string;
  /** @default lambda.Architecture.ARM_64 */
  readonly architecture?: lambda.Architecture;
  /** @default lambda.Tracing.ACTIVE */
  readonly tracing?: lambda.Tracing;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** esbuild project root. @default the entry's project (the nearest directory above it with a lock file, else a package.json) */
  readonly projectRoot?: string;
  /** Lock file for esbuild. @default that directory's lock file, else its package.json */
  readonly depsLockFilePath?: string;
}

const ENDPOINT_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;

/**
 * Best-effort notification (最大努力通知) of a choreography's outcomes: an EventBridge rule sends
 * the saga's terminal events to a queue; the notifier function POSTs each outcome to every
 * endpoint, records every attempt in the table (`notifier#…` items), retries on a schedule with
 * exponential backoff and flags a notification after `maxAttempts` (alarm). An optional function
 * URL answers receivers that missed one (`GET /sagas/{sagaId}`, IAM auth + per-receiver request
 * signatures).
 *
 * A notifier Lambda rather than EventBridge API destinations: API destinations retry too, but
 * record nothing per saga — no attempt log, no "gave up" state to flag or to show the receiver.
 *
 * @example
 * ```ts
 * const notifier = new SagaNotifier(stack, 'MerchantNotifications', {
 *   choreography,
 *   endpoints: [{ id: 'merchant', url: 'https://merchant.example/hooks/orders', signingSecret: SecretValue.secretsManager('merchant-webhook') }],
 *   outcomeApi: { keys: { merchant: SecretValue.secretsManager('merchant-api-key') } },
 * });
 * notifier.grantQueryOutcome(merchantRole);
 * ```
 */
export class SagaNotifier extends Construct {
  readonly function: lambda.IFunction;
  /** Terminal events waiting for the notifier. */
  readonly queue: sqs.Queue;
  /** Terminal events the notifier could not process (or EventBridge could not deliver). */
  readonly deadLetterQueue: sqs.Queue;
  /** Failed scheduled sweeps (async invocations). */
  readonly sweepDeadLetterQueue: sqs.Queue;
  readonly rule: events.Rule;
  readonly schedule: events.Rule;
  /** @default undefined without `outcomeApi` */
  readonly outcomeApi?: SagaOutcomeApi;
  /** @default undefined without `outcomeApi` */
  readonly outcomeApiFunction?: lambda.IFunction;
  /** @default undefined without `outcomeApi` */
  readonly outcomeApiUrl?: lambda.FunctionUrl;
  readonly alarms: cloudwatch.Alarm[];
  private readonly definitionName: string;

  constructor(scope: Construct, id: string, props: SagaNotifierProps) {
    super(scope, id);
    const { choreography } = props;
    const def = choreography.definition;
    this.definitionName = def.name;
    const tuning = {
      maxAttempts: props.maxAttempts ?? 8,
      firstRetryDelay: props.firstRetryDelay ?? Duration.seconds(30),
      maxRetryDelay: props.maxRetryDelay ?? Duration.hours(1),
      requestTimeout: props.requestTimeout ?? Duration.seconds(5),
      retryEvery: props.retryEvery ?? Duration.minutes(1),
      timeout: props.timeout ?? Duration.minutes(2),
      secretsMaxAge: props.secretsMaxAge ?? Duration.minutes(5),
    };
    this.validate(props, tuning);
    const common = {
      architecture: props.architecture ?? lambda.Architecture.ARM_64,
      tracing: props.tracing ?? lambda.Tracing.ACTIVE,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      ...(props.projectRoot ? { projectRoot: props.projectRoot } : {}),
      ...(props.depsLockFilePath ? { depsLockFilePath: props.depsLockFilePath } : {}),
      protection: choreography.protection,
    };
    const generated = (fn: 'notifier' | 'outcomeApi'): string => frameworkEntryFile(this, def, fn, definitionModulePath(this, def, props.definitionModule ?? choreography.definitionModule));
    const stack = Stack.of(this);

    const work = new WorkQueue(this, 'Inbox', { visibilityTimeout: Duration.seconds(tuning.timeout.toSeconds() * 6), maxReceiveCount: 5, protection: choreography.protection });
    this.queue = work.queue;
    this.deadLetterQueue = work.deadLetterQueue;
    this.sweepDeadLetterQueue = createDeadLetterQueue(this, 'SweepDeadLetterQueue', choreography.protection);

    // Secret ARNs only: the signing secrets' values never reach the function's configuration.
    const endpoints = props.endpoints.map((e) => ({ id: e.id, url: e.url, ...(e.signingSecret ? { signingSecretId: e.signingSecret.secretArn } : { unsigned: true }), ...(e.events ? { events: [...e.events] } : {}) }));
    const fn = new SagaFunction(this, 'Notifier', {
      entry: props.entry ?? generated('notifier'),
      description: `saga ${def.name}: best-effort notification of outcomes`,
      timeout: tuning.timeout,
      memorySize: 256,
      ...common,
      deadLetterQueue: this.sweepDeadLetterQueue,
      environment: {
        [ENV.TABLE_NAME]: choreography.table.tableName,
        [ENV.DEFINITION_NAME]: def.name,
        [ENV.NOTIFY_ENDPOINTS]: stack.toJsonString(endpoints),
        [ENV.NOTIFY_MAX_ATTEMPTS]: String(tuning.maxAttempts),
        [ENV.NOTIFY_FIRST_RETRY_SECONDS]: String(tuning.firstRetryDelay.toSeconds()),
        [ENV.NOTIFY_MAX_RETRY_SECONDS]: String(tuning.maxRetryDelay.toSeconds()),
        [ENV.NOTIFY_TIMEOUT_MS]: String(tuning.requestTimeout.toMilliseconds()),
        [ENV.SECRETS_MAX_AGE_SECONDS]: String(tuning.secretsMaxAge.toSeconds()),
      },
    });
    this.function = fn.function;
    for (const e of props.endpoints) e.signingSecret?.grantRead(fn.function);
    fn.function.addEventSource(new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true }));
    acknowledge(fn.function, 'sqsMappingUsesRedrive');

    // Its own items only (notifications, attempts, rejections), and the retry partitions of the index.
    grantOwnItems(fn.function, choreography.table, [`${ownPrefix(NOTIFIER)}*`]);
    // Per-receiver scope: it reads the receivers each saga named at start.
    grantOwnItems(fn.function, choreography.table, [`${receiversKey('').pk}*`], ['dynamodb:GetItem']);
    iam.Grant.addToPrincipal({ grantee: fn.function, actions: ['dynamodb:Query'], resourceArns: [openIndexArn(choreography.table)], conditions: leadingKeysCondition(['open#notify#*']) });

    this.rule = new events.Rule(this, 'OnTerminalEvent', {
      eventBus: choreography.eventBus,
      description: `saga ${def.name}: terminal events -> notifier`,
      eventPattern: toEventPattern(terminalEventsPattern(def)),
      targets: [new targets.SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue })],
    });
    this.schedule = new events.Rule(this, 'RetrySchedule', {
      description: `saga ${def.name}: retry due notifications every ${tuning.retryEvery.toHumanString()}`,
      schedule: events.Schedule.rate(tuning.retryEvery),
      targets: [new targets.LambdaFunction(fn.function, { deadLetterQueue: this.sweepDeadLetterQueue })],
    });

    if (props.outcomeApi) {
      this.outcomeApi = new SagaOutcomeApi(this, 'OutcomeApi', {
        ...props.outcomeApi,
        choreography,
        ...(props.outcomeApiEntry ? { entry: props.outcomeApiEntry } : {}),
        ...(props.definitionModule ? { definitionModule: props.definitionModule } : {}),
        ...common,
      });
      this.outcomeApiFunction = this.outcomeApi.function;
      this.outcomeApiUrl = this.outcomeApi.url;
    }

    this.alarms = [
      deadLetterAlarm(this, 'DeadLetterAlarm', this.deadLetterQueue, `saga ${def.name}: notifier DLQ (terminal events not processed)`, choreography.alarmTopic),
      deadLetterAlarm(this, 'SweepDeadLetterAlarm', this.sweepDeadLetterQueue, `saga ${def.name}: notifier sweep DLQ (failed scheduled retries)`, choreography.alarmTopic),
      notify(
        new cloudwatch.Alarm(this, 'GivenUpAlarm', {
          metric: this.metricNotificationsGivenUp(),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: `saga ${def.name}: a notification was given up after its last attempt; the receiver must reconcile through the outcome API (open#notify-flagged lists them).`,
        }),
        choreography.alarmTopic,
      ),
    ];
  }

  /** Notifications given up after their maximum attempts (EMF metric, dimension Saga). */
  metricNotificationsGivenUp(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'NotificationsGivenUp', dimensionsMap: { Saga: this.definitionName }, statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5), ...props });
  }

  /** Lets a principal call the outcome API's function URL (with `authType` AWS_IAM). */
  grantQueryOutcome(grantee: iam.IGrantable): iam.Grant {
    if (!this.outcomeApiUrl) {
      throw new SagaConstructError(`${this.node.path}: grantQueryOutcome needs the outcome API; pass "outcomeApi: { keys: … }".`, { path: this.node.path, prop: 'outcomeApi' });
    }
    return this.outcomeApiUrl.grantInvokeUrl(grantee);
  }

  private validate(props: SagaNotifierProps, t: { maxAttempts: number; firstRetryDelay: Duration; maxRetryDelay: Duration; requestTimeout: Duration; retryEvery: Duration; timeout: Duration; secretsMaxAge: Duration }): void {
    const fail = (prop: string, message: string, value?: unknown): never => {
      throw new SagaConstructError(`${this.node.path}: ${message}`, { path: this.node.path, prop, value });
    };
    if (props.endpoints.length === 0) fail('endpoints', 'endpoints is empty; give at least one { id, url } that receives saga outcomes.');
    const terminals = [...props.choreography.definition.terminal.success, ...props.choreography.definition.terminal.failure] as string[];
    const seen = new Set<string>();
    for (const e of props.endpoints) {
      if (!ENDPOINT_ID.test(e.id)) fail('endpoints', `endpoint id ${JSON.stringify(e.id)} is invalid; use lower-case letters, digits and '-' (max 40), e.g. "merchant".`, e.id);
      if (seen.has(e.id)) fail('endpoints', `endpoint id "${e.id}" is used twice; ids must be unique.`, e.id);
      seen.add(e.id);
      if (!Token.isUnresolved(e.url) && !/^https:\/\/[^\s/]+/.test(e.url)) fail('endpoints', `endpoint "${e.id}" url ${JSON.stringify(e.url)} must be an https:// URL (outcomes leave AWS).`, e.url);
      // Never silently unsigned: a missing secret fails synth; leaving signing out is said out loud.
      if (e.signing === false && e.signingSecret) fail('endpoints', `endpoint "${e.id}" has a signingSecret and signing: false; choose one.`, e.id);
      if (e.signing !== false && !e.signingSecret) {
        fail('endpoints', `endpoint "${e.id}" has no signingSecret. Give the Secrets Manager secret that signs its requests (e.g. secretsmanager.Secret.fromSecretNameV2(this, 'MerchantSigning', 'order-saga/merchant-signing')), or set signing: false to send them unsigned on purpose.`, e.id);
      }
      if (e.signing === false) {
        Annotations.of(this).addWarningV2('saga-choreography:unsignedWebhook', `endpoint "${e.id}" receives unsigned requests (signing: false): anyone who learns its URL can forge saga outcomes to it. Give it a signingSecret.`);
      }
      const unknown = (e.events ?? []).filter((ev) => !terminals.includes(ev));
      if (unknown.length > 0) fail('endpoints', `endpoint "${e.id}" lists ${unknown.join(', ')}, which are not terminal events of saga "${props.choreography.definition.name}" (${terminals.join(', ')}).`, unknown);
    }
    checkInteger(this, 'maxAttempts', t.maxAttempts, 1, 100);
    checkDuration(this, 'firstRetryDelay', t.firstRetryDelay, Duration.seconds(1), Duration.hours(1));
    checkDuration(this, 'maxRetryDelay', t.maxRetryDelay, t.firstRetryDelay, Duration.hours(12), 'It must be at least firstRetryDelay.');
    checkDuration(this, 'requestTimeout', t.requestTimeout, Duration.seconds(1), Duration.seconds(30));
    checkDuration(this, 'retryEvery', t.retryEvery, Duration.minutes(1), Duration.hours(1), 'EventBridge schedules run at most once a minute.');
    checkDuration(this, 'timeout', t.timeout, Duration.seconds(30), Duration.minutes(15));
    checkDuration(this, 'secretsMaxAge', t.secretsMaxAge, Duration.seconds(1), Duration.hours(1));
  }
}
