import { Duration, Tokenization } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, keptVersions, subscriptionPattern, subscriptionsOf, type AnySagaDefinition } from '../core/index.js';
import type { IChoreography } from './choreography-base.js';
import { SagaConstructError } from './errors.js';
import { acknowledge } from './acknowledgements.js';
import { SagaFunction } from './function.js';
import { warnOnTccEntry } from './tcc-entry.js';
import { toEventPattern } from './patterns.js';
import { OPERATOR_DEAD_LETTER_QUEUE_ACTIONS, OPERATOR_QUEUE_ACTIONS } from './permissions.js';
import { KEY_WRITE_ACTIONS, grantKey } from './protection.js';
import { WorkQueue, deadLetterAlarm, metricQueueDepth } from './queues.js';
import { checkDuration, checkInteger, checkParticipant, checkWholeSeconds } from './validation.js';

/** SQS requires the visibility timeout to cover the function timeout with room for retries (AWS: ≥ 6×). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** Everything about a participant except which choreography and which participant it is. */
export interface SagaParticipantOptions {
  /** Entry file exporting `handler` (absolute, or relative to the working directory). */
  readonly entry: string;
  /**
   * The definition version this participant's code runs: the choreography's definition version,
   * or, during a rolling upgrade, a version its `previousVersions` names whose participants stay
   * deployed until its sagas drain (`saga versions` tells). Its rules receive only that version's
   * events. `addParticipant` names a version-1 participant `Participant-<name>` and a later one
   * `Participant-<name>-v<version>`, so adding v2 beside v1 leaves v1's resources as they were.
   * @default the choreography definition's version
   */
  readonly version?: number;
  /** Function timeout. @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** Function memory in MB (128–10240). @default 256 */
  readonly memorySize?: number;
  /** Messages per invocation (1–10, up to 10000 with `maxBatchingWindow`). @default 10 */
  readonly batchSize?: number;
  /** How long the event source gathers messages before invoking. @default no batching window */
  readonly maxBatchingWindow?: Duration;
  /** Upper bound of concurrent invocations from the queue (2–1000). @default no limit */
  readonly maxConcurrency?: number;
  /**
   * Receives of one message before it moves to the DLQ (1–1000). The function gets the same
   * number (`SAGA_MAX_RECEIVE_COUNT`): a message still failing on that receive leaves a failure
   * record (`<participant>#failed`) for `saga dlq list` and the reconciler. @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * Delay before the first retry of a failed message (`retryLater` or a thrown error); it doubles
   * per receive, capped at 15 minutes (`SAGA_RETRY_BASE_SECONDS`; whole seconds, 0–15 minutes).
   * The runtime shortens the message's visibility to it with `ChangeMessageVisibility`.
   * @default Duration.seconds(2)
   */
  readonly retryBaseDelay?: Duration;
  /** Queue visibility timeout; must be ≥ 6× `timeout`. @default 6 × timeout */
  readonly visibilityTimeout?: Duration;
  /** CPU architecture. @default lambda.Architecture.ARM_64 */
  readonly architecture?: lambda.Architecture;
  /** X-Ray tracing. @default lambda.Tracing.ACTIVE */
  readonly tracing?: lambda.Tracing;
  /** Retention of the function's log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Extra environment variables; the framework's own (`ENV` in lib/core) cannot be overridden. @default none */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * esbuild project root. @default the entry's project: the nearest directory above `entry` with a
   * lock file (npm, pnpm, yarn or bun), else with a package.json
   */
  readonly projectRoot?: string;
  /** Lock file for esbuild. @default that directory's lock file, else its package.json (any lockfile, or none) */
  readonly depsLockFilePath?: string;
}

export interface SagaParticipantProps extends SagaParticipantOptions {
  /** The choreography this participant joins (a `Choreography`, or one from `Choreography.fromAttributes`). */
  readonly choreography: IChoreography;
  /** Participant name; must be a participant of the choreography's definition. */
  readonly participant: string;
}

/**
 * One participant of a choreographed saga: a Node.js Lambda fed by its own SQS queue, which
 * receives — through one EventBridge rule per subscribed event, patterns generated from the
 * definition — exactly the events it reacts to, from exactly the producers allowed to emit them.
 * Failed messages go to a DLQ (alarmed). The function may read and write only items under its own
 * key prefix (`<participant>#`) and cannot publish events: it writes outbox rows, the relay publishes.
 *
 * @example
 * ```ts
 * const choreography = new Choreography(stack, 'Order', { definition: orderSaga });
 * new SagaParticipant(stack, 'Inventory', {
 *   choreography,
 *   participant: 'inventory',
 *   entry: 'functions/order/inventory.ts',
 *   timeout: Duration.seconds(20),
 * });
 * // or: choreography.addParticipant('inventory', { entry: 'functions/order/inventory.ts' });
 * ```
 */
export class SagaParticipant extends Construct {
  readonly participant: string;
  /** The definition version its code runs. */
  readonly version: number;
  /** How the choreography lists it (URL maps, DLQ metrics): the participant's name, `<name>-v<version>` for a previous version. */
  readonly deployedName: string;
  readonly choreography: IChoreography;
  readonly function: lambda.IFunction;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  /** One rule per subscribed event, keyed by event name. */
  readonly rules: Readonly<Record<string, events.Rule>>;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: SagaParticipantProps) {
    super(scope, id);
    const { choreography, participant } = props;
    const def = participantDefinition(this, choreography.definition, props.version);
    checkParticipant(this, def, participant);
    warnOnTccEntry(this, def, participant, props.entry);
    this.version = def.version;
    this.deployedName = def.version === choreography.definition.version ? participant : `${participant}-v${def.version}`;
    const timeout = props.timeout ?? Duration.seconds(30);
    const memorySize = props.memorySize ?? 256;
    const batchSize = props.batchSize ?? 10;
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    const retryBaseDelay = props.retryBaseDelay ?? Duration.seconds(2);
    const visibilityTimeout = props.visibilityTimeout ?? Duration.seconds(timeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR);
    this.validate(props, { timeout, memorySize, batchSize, maxReceiveCount, visibilityTimeout, retryBaseDelay });
    this.participant = participant;
    this.choreography = choreography;

    const work = new WorkQueue(this, 'Inbox', { visibilityTimeout, maxReceiveCount, protection: choreography.protection });
    this.queue = work.queue;
    this.deadLetterQueue = work.deadLetterQueue;

    const fn = new SagaFunction(this, 'Handler', {
      entry: props.entry,
      description: `saga ${def.name}: participant ${participant}`,
      timeout,
      memorySize,
      architecture: props.architecture ?? lambda.Architecture.ARM_64,
      tracing: props.tracing ?? lambda.Tracing.ACTIVE,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      projectRoot: props.projectRoot,
      depsLockFilePath: props.depsLockFilePath,
      protection: choreography.protection,
      environment: {
        ...props.environment,
        [ENV.TABLE_NAME]: choreography.table.tableName,
        [ENV.PARTICIPANT]: participant,
        [ENV.DEFINITION_NAME]: def.name,
        // Forward recovery (lib/runtime/participant/forward-recovery.ts): the last allowed receive writes the
        // failure record, earlier ones back off. Must equal the queue's maxReceiveCount.
        [ENV.MAX_RECEIVE_COUNT]: Tokenization.stringifyNumber(maxReceiveCount),
        [ENV.RETRY_BASE_SECONDS]: Tokenization.stringifyNumber(retryBaseDelay.toSeconds()),
      },
    });
    this.function = fn.function;
    fn.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize,
        maxBatchingWindow: props.maxBatchingWindow,
        maxConcurrency: props.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    // The mapping's grantConsumeMessages covers sqs:ChangeMessageVisibility (the retry backoff) on
    // this queue only; its own prefix covers the failure records (`<participant>#failed`).
    choreography.grantParticipantItems(fn.function, participant);
    acknowledge(fn.function, 'noAsyncInvocations', 'sqsMappingUsesRedrive');

    const rules: Record<string, events.Rule> = {};
    for (const event of subscriptionsOf(def, participant)) {
      rules[event] = new events.Rule(this, `On${event}`, {
        eventBus: choreography.eventBus,
        description: `saga ${def.name}: ${event} -> ${participant}`,
        eventPattern: toEventPattern(subscriptionPattern(def, event, participant)),
        // Events EventBridge could not deliver land in the participant's DLQ, next to the ones it could not process.
        targets: [new targets.SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue })],
      });
    }
    this.rules = rules;
    this.deadLetterAlarm = deadLetterAlarm(this, 'DeadLetterAlarm', this.deadLetterQueue, `saga ${def.name}: DLQ of participant ${participant}`, choreography.alarmTopic);
    choreography.registerParticipant(this);
  }

  /** Messages waiting in this participant's DLQ (maximum over one minute). */
  metricDlqDepth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return metricQueueDepth(this.deadLetterQueue, props);
  }

  /**
   * The queue actions of the `saga` CLI for this participant: `dlq list` and `redrive` on its DLQ,
   * `retry` (and the redrive destination) on its queue. `Choreography.grantOperator` calls it for
   * every participant it lists, together with the table permissions.
   */
  grantOperator(grantee: iam.IGrantable): iam.Grant {
    // `dlq list` reads dead letters (decrypt); `retry` sends to the work queue (encrypt).
    grantKey(grantee, this.deadLetterQueue.encryptionMasterKey, KEY_WRITE_ACTIONS);
    return this.deadLetterQueue.grant(grantee, ...OPERATOR_DEAD_LETTER_QUEUE_ACTIONS).combine(this.queue.grant(grantee, ...OPERATOR_QUEUE_ACTIONS));
  }

  /** Lets an operator principal move dead letters back (`saga redrive`: StartMessageMoveTask). */
  grantRedrive(grantee: iam.IGrantable): iam.Grant {
    this.queue.grantSendMessages(grantee);
    return this.deadLetterQueue.grant(
      grantee,
      'sqs:StartMessageMoveTask',
      'sqs:CancelMessageMoveTask',
      'sqs:ListMessageMoveTasks',
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
    );
  }

  private validate(
    props: SagaParticipantProps,
    v: { timeout: Duration; memorySize: number; batchSize: number; maxReceiveCount: number; visibilityTimeout: Duration; retryBaseDelay: Duration },
  ): void {
    checkWholeSeconds(this, 'retryBaseDelay', v.retryBaseDelay);
    checkDuration(this, 'retryBaseDelay', v.retryBaseDelay, Duration.seconds(0), Duration.minutes(15));
    checkDuration(this, 'timeout', v.timeout, Duration.seconds(1), Duration.minutes(15));
    checkInteger(this, 'memorySize', v.memorySize, 128, 10240);
    checkInteger(this, 'maxReceiveCount', v.maxReceiveCount, 1, 1000, 'It is how often a message is tried before it moves to the DLQ.');
    checkInteger(this, 'batchSize', v.batchSize, 1, props.maxBatchingWindow ? 10000 : 10, props.maxBatchingWindow ? '' : 'More than 10 needs maxBatchingWindow.');
    if (props.maxConcurrency !== undefined) checkInteger(this, 'maxConcurrency', props.maxConcurrency, 2, 1000);
    if (props.maxBatchingWindow) checkDuration(this, 'maxBatchingWindow', props.maxBatchingWindow, Duration.seconds(0), Duration.minutes(5));
    checkDuration(this, 'visibilityTimeout', v.visibilityTimeout, Duration.seconds(0), Duration.hours(12));
    if (!v.visibilityTimeout.isUnresolved() && !v.timeout.isUnresolved()) {
      const min = v.timeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR;
      if (v.visibilityTimeout.toSeconds() < min) {
        throw new SagaConstructError(
          `${this.node.path}: visibilityTimeout ${v.visibilityTimeout.toHumanString()} is less than ${VISIBILITY_TIMEOUT_FACTOR}× the function timeout ` +
            `(${v.timeout.toHumanString()} × ${VISIBILITY_TIMEOUT_FACTOR} = ${min} seconds). A message would become visible again while a batch is still being processed. ` +
            `Raise visibilityTimeout to at least ${min} seconds, lower timeout, or omit visibilityTimeout.`,
          { path: this.node.path, prop: 'visibilityTimeout', value: v.visibilityTimeout.toSeconds(), minimum: min },
        );
      }
    }
    const reserved = new Set<string>(Object.values(ENV));
    const clash = Object.keys(props.environment ?? {}).filter((k) => reserved.has(k) && k !== ENV.LOG_LEVEL && k !== ENV.MAX_CONFLICT_RERUNS && k !== ENV.AWS_ENDPOINT_URL);
    if (clash.length > 0) {
      const viaProps: Record<string, string> = { [ENV.MAX_RECEIVE_COUNT]: 'maxReceiveCount', [ENV.RETRY_BASE_SECONDS]: 'retryBaseDelay' };
      const hints = clash.filter((k) => viaProps[k]).map((k) => `${k} comes from the prop ${viaProps[k]}`);
      throw new SagaConstructError(
        `${this.node.path}: environment sets ${clash.map((k) => JSON.stringify(k)).join(', ')}, which the construct writes itself. ` +
          `Remove ${clash.length === 1 ? 'it' : 'them'}${hints.length ? ` (${hints.join('; ')})` : ''}; you may set ${ENV.LOG_LEVEL} and ${ENV.MAX_CONFLICT_RERUNS}.`,
        { path: this.node.path, prop: 'environment', value: clash },
      );
    }
  }
}

/**
 * The definition a participant of `version` runs: the choreography's own, or a previous version
 * it keeps deployed. A version the definition takes over (`migratesFrom`) cannot also keep its own
 * participants: every event of its sagas would reach both.
 */
function participantDefinition(scope: Construct, def: AnySagaDefinition, version: number | undefined): AnySagaDefinition {
  if (version === undefined || version === def.version) return def;
  const path = scope.node.path;
  if ((def.migratesFrom ?? []).includes(version)) {
    throw new SagaConstructError(
      `${path}: saga "${def.name}" v${def.version} takes over v${version} sagas (migratesFrom), so v${version} participants must not stay deployed: each v${version} event would reach both. Remove this participant, or drop ${version} from migratesFrom to keep v${version} running beside v${def.version}.`,
      { path, prop: 'version', value: version },
    );
  }
  const kept = keptVersions(def).find((p) => p.version === version);
  if (!kept) {
    throw new SagaConstructError(
      `${path}: saga "${def.name}" v${def.version} does not name v${version} in previousVersions; a participant of v${version} would get events nobody else tracks. Deployable versions: ${[def.version, ...keptVersions(def).map((p) => p.version)].map((v) => `v${v}`).join(', ')}.`,
      { path, prop: 'version', value: version },
    );
  }
  return kept;
}
