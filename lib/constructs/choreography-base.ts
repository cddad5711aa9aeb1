import { Lazy, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, type IConstruct } from 'constructs';
import { INITIATOR, ownPrefix, sagaKey, type AnySagaDefinition } from '../core/index.js';
import { SagaConstructError } from './errors.js';
import type { SagaDataProtection } from './protection.js';
import { SAGA_METRIC, sagaMetric } from './monitoring.js';
import { SagaParticipant, type SagaParticipantOptions } from './participant.js';
import { END_MARKER_ACTIONS, OPERATOR_READ_ACTIONS, OPERATOR_READ_PATTERNS, OPERATOR_WRITE_ACTIONS, OPERATOR_WRITE_PATTERNS, grantOwnItems } from './permissions.js';
import { checkParticipant } from './validation.js';

/**
 * What participants need from a choreography, whether it was created in this stack
 * (`new Choreography`) or imported from another (`Choreography.fromAttributes`).
 */
export interface IChoreography extends IConstruct {
  /** The saga definition that drives rules, permissions and the runtime. */
  readonly definition: AnySagaDefinition;
  /**
   * The module exporting {@link definition}, which the framework's functions (relay, tracker,
   * reconciler, notifier) are bundled with. @default the module that called `defineSaga`
   */
  readonly definitionModule?: string;
  /** The bus the relay publishes to and the participants' rules listen on. */
  readonly eventBus: events.IEventBus;
  /** The saga table (business items, barriers, outbox, saga records). */
  readonly table: dynamodb.ITable;
  /** Where alarms are sent. @default no alarm actions */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Removal policy and customer-managed key that every construct of the choreography applies to
   * its DLQs, queues and log groups (participants and notifiers too). @default RETAIN, AWS-managed encryption
   */
  readonly protection?: SagaDataProtection;
  /** Creates a {@link SagaParticipant} for `participant` in this choreography. */
  addParticipant(participant: string, options: SagaParticipantOptions): SagaParticipant;
  /** Lets a principal start sagas: write `initiator#` items (the start event's outbox row). */
  grantStart(grantee: iam.IGrantable): iam.Grant;
  /** Lets a principal read and write the items of one participant (`<participant>#` prefix) and nothing else. */
  grantParticipantItems(grantee: iam.IGrantable, participant: string): iam.Grant;
  /**
   * Lets a principal (an operator role) run the `saga` CLI's operator actions — `dlq list`,
   * `redrive`, `inspect`, `retry`, `compensate`, `resolve` — on this choreography: reads of saga,
   * step, outbox, failure and rejection records, writes of saga records and the reconciler's
   * outbox rows, and the queue actions on the DLQs and work queues of the participants added to
   * this object in its own stack (also those added later).
   */
  grantOperator(grantee: iam.IGrantable): iam.Grant;
  /** JSON map participant → DLQ URL for `SAGA_DLQ_URLS` (participants added to this object in its own stack; resolved at synth). */
  dlqUrlsJson(): string;
  /** JSON map participant → work queue URL for `SAGA_QUEUE_URLS` (same participants as {@link dlqUrlsJson}). */
  queueUrlsJson(): string;
  /** Called by `SagaParticipant`'s constructor; not meant to be called directly. */
  registerParticipant(participant: SagaParticipant): void;
  /** Events the relay published. */
  metricEventsPublished(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Participant steps committed (forward and compensation). */
  metricStepsCommitted(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Compensations committed. */
  metricCompensations(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Messages rejected (malformed, unknown, forged …), each kept with its reason. */
  metricRejections(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/** Behaviour shared by a created and an imported choreography. */
export abstract class ChoreographyBase extends Construct implements IChoreography {
  abstract readonly definition: AnySagaDefinition;
  abstract readonly eventBus: events.IEventBus;
  abstract readonly table: dynamodb.ITable;
  abstract readonly alarmTopic?: sns.ITopic;
  abstract readonly protection?: SagaDataProtection;
  private readonly participants = new Map<string, SagaParticipant>();
  /** Principals given {@link grantOperator}: participants added later grant them their queues too. */
  private readonly operators: iam.IGrantable[] = [];

  /** Participants added to this choreography object so far, by name. */
  get addedParticipants(): ReadonlyMap<string, SagaParticipant> {
    return this.participants;
  }

  addParticipant(participant: string, options: SagaParticipantOptions): SagaParticipant {
    const version = options.version ?? this.definition.version;
    // Version 1 keeps the id a participant always had; a later version gets its own resources.
    const id = version === 1 || (this.definition.migratesFrom ?? []).length > 0 && version === this.definition.version ? `Participant-${participant}` : `Participant-${participant}-v${version}`;
    return new SagaParticipant(this, id, { ...options, choreography: this, participant });
  }

  grantStart(grantee: iam.IGrantable): iam.Grant {
    return grantOwnItems(grantee, this.table, [`${ownPrefix(INITIATOR)}*`]);
  }

  grantParticipantItems(grantee: iam.IGrantable, participant: string): iam.Grant {
    checkParticipant(this, this.definition, participant);
    return grantOwnItems(grantee, this.table, [`${ownPrefix(participant)}*`]).combine(
      // The end marker: each forward step's transaction checks (never reads or writes) its saga's record.
      grantOwnItems(grantee, this.table, [`${sagaKey('').pk}*`], END_MARKER_ACTIONS),
    );
  }

  grantOperator(grantee: iam.IGrantable): iam.Grant {
    let grant = grantOwnItems(grantee, this.table, OPERATOR_READ_PATTERNS, OPERATOR_READ_ACTIONS).combine(
      grantOwnItems(grantee, this.table, OPERATOR_WRITE_PATTERNS, OPERATOR_WRITE_ACTIONS),
    );
    for (const participant of this.listedParticipants()) grant = grant.combine(participant.grantOperator(grantee));
    this.operators.push(grantee);
    return grant;
  }

  dlqUrlsJson(): string {
    return Lazy.string({ produce: () => Stack.of(this).toJsonString(this.urlMap((p) => p.deadLetterQueue.queueUrl)) });
  }

  queueUrlsJson(): string {
    return Lazy.string({ produce: () => Stack.of(this).toJsonString(this.urlMap((p) => p.queue.queueUrl)) });
  }

  /**
   * Participants whose queues this object lists (URL maps, operator grants): those in its own
   * stack. Referencing a queue of another stack from here could make the two stacks depend on each
   * other; a participant in another stack is listed by the `Choreography.fromAttributes` object there.
   */
  protected listedParticipants(): SagaParticipant[] {
    return [...this.participants.values()].filter((p) => Stack.of(p) === Stack.of(this));
  }

  private urlMap(url: (p: SagaParticipant) => string): Record<string, string> {
    return Object.fromEntries(this.listedParticipants().map((p) => [p.deployedName, url(p)]));
  }

  registerParticipant(participant: SagaParticipant): void {
    const existing = this.participants.get(participant.deployedName);
    if (existing) {
      throw new SagaConstructError(
        `${participant.node.path}: participant "${participant.participant}" was already added to this choreography at ${existing.node.path}. ` +
          `Each participant has one queue and one function; add it once.`,
        { path: participant.node.path, prop: 'participant', value: participant.participant },
      );
    }
    this.participants.set(participant.deployedName, participant);
    if (Stack.of(participant) === Stack.of(this)) for (const operator of this.operators) participant.grantOperator(operator);
    this.onParticipantAdded(participant);
  }

  /** Hook for the created choreography (dashboard, reconciler DLQ map). */
  protected onParticipantAdded(_participant: SagaParticipant): void {}

  metricEventsPublished(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return sagaMetric(this.definition, SAGA_METRIC.eventsPublished, props);
  }

  metricStepsCommitted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return sagaMetric(this.definition, SAGA_METRIC.stepsCommitted, props);
  }

  metricCompensations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return sagaMetric(this.definition, SAGA_METRIC.compensations, props);
  }

  metricRejections(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return sagaMetric(this.definition, SAGA_METRIC.rejections, props);
  }
}
