import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, type AnySagaDefinition } from '../core/index.js';
import { metricQueueDepth } from './queues.js';

/** The saga metrics the constructs chart and alarm on; names come from `METRIC` in lib/core/metrics.ts. */
export { METRICS_NAMESPACE };
export const SAGA_METRIC = {
  eventsPublished: METRIC.eventsPublished,
  publishFailures: METRIC.publishFailures,
  stepsCommitted: METRIC.stepsCommitted,
  compensations: METRIC.compensations,
  rejections: METRIC.rejections,
  /** Messages that failed their last allowed receive (a failure record was written; dimension Participant too). */
  lastAttemptFailures: METRIC.lastAttemptFailures,
  /** Reconciler: sagas newly flagged failed-needs-attention (dimension Saga). */
  sagasFlagged: METRIC.sagasFlagged,
  /** Reconciler: `SagaTimedOut` events published (dimension Saga). */
  sagasTimedOut: METRIC.sagasTimedOut,
  /** Reconciler: lost outbox rows republished (dimension Saga). */
  eventsRepublished: METRIC.eventsRepublished,
  /** Reconciler: messages in a participant's DLQ, visible or in flight (dimensions Saga, Participant). */
  deadLetterMessages: METRIC.deadLetters,
} as const;
export type SagaMetricName = (typeof SAGA_METRIC)[keyof typeof SAGA_METRIC];

/**
 * One of the saga's custom metrics, dimension `Saga` = definition name, summed over 5 minutes.
 * Alarms need this single-dimension form; the runtime must emit it (EMF dimension set `["Saga"]`).
 */
export function sagaMetric(def: Pick<AnySagaDefinition, 'name'>, metricName: SagaMetricName, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { Saga: def.name },
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(5),
    ...props,
  });
}

/**
 * Every series of a custom metric of the saga, whatever other dimensions (Participant, Reason …)
 * the runtime adds: a SEARCH expression, so the dashboard shows per-participant lines without
 * having to know the dimension sets in advance.
 */
export function sagaMetricSearch(def: Pick<AnySagaDefinition, 'name'>, metricName: SagaMetricName, label: string): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `SEARCH('${METRICS_NAMESPACE} MetricName="${metricName}" Saga="${def.name}"', 'Sum', 300)`,
    usingMetrics: {},
    label,
    period: Duration.minutes(5),
  });
}

export interface ChoreographyDashboardProps {
  readonly definition: AnySagaDefinition;
  readonly relayIteratorAge: cloudwatch.IMetric;
  readonly relayErrors: cloudwatch.IMetric;
  readonly relayFailureQueue: sqs.IQueue;
  readonly trackerDeadLetterQueue: sqs.IQueue;
}

/**
 * One dashboard per choreography: saga flow (events published, steps, compensations, rejections),
 * relay health (iterator age, errors, failed stream batches) and dead letters per consumer.
 * Participants added later in the same stack append their DLQ depth through {@link addDeadLetterQueue}.
 * Created by {@link Choreography} unless `dashboard: false`.
 *
 * @example
 * ```ts
 * const { dashboard } = new Choreography(stack, 'Order', { definition: orderSaga });
 * dashboard?.addDeadLetterQueue('legacy-billing', billingDlq);
 * ```
 */
export class ChoreographyDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  private readonly deadLetters: cloudwatch.GraphWidget;

  constructor(scope: Construct, id: string, props: ChoreographyDashboardProps) {
    super(scope, id);
    const def = props.definition;
    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      defaultInterval: Duration.hours(3),
    });
    this.deadLetters = new cloudwatch.GraphWidget({
      title: 'Dead letters (messages visible)',
      width: 12,
      left: [metricQueueDepth(props.trackerDeadLetterQueue, { label: 'tracker' }), metricQueueDepth(props.relayFailureQueue, { label: 'relay (failed stream batches)' })],
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: `# Saga \`${def.name}\` v${def.version}`, width: 24, height: 1 }),
      new cloudwatch.GraphWidget({
        title: 'Saga flow',
        width: 12,
        left: [
          sagaMetricSearch(def, SAGA_METRIC.eventsPublished, 'events published'),
          sagaMetricSearch(def, SAGA_METRIC.stepsCommitted, 'steps committed'),
        ],
        right: [
          sagaMetricSearch(def, SAGA_METRIC.compensations, 'compensations'),
          sagaMetricSearch(def, SAGA_METRIC.rejections, 'rejections'),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Outbox relay',
        width: 12,
        left: [props.relayIteratorAge],
        right: [props.relayErrors, sagaMetricSearch(def, SAGA_METRIC.publishFailures, 'publish failures')],
      }),
      this.deadLetters,
      new cloudwatch.GraphWidget({
        title: 'Recovery (reconciler)',
        width: 12,
        left: [
          sagaMetricSearch(def, SAGA_METRIC.sagasTimedOut, 'sagas timed out'),
          sagaMetricSearch(def, SAGA_METRIC.eventsRepublished, 'events republished'),
          sagaMetricSearch(def, SAGA_METRIC.lastAttemptFailures, 'last-attempt failures'),
        ],
        right: [sagaMetricSearch(def, SAGA_METRIC.sagasFlagged, 'sagas flagged')],
      }),
    );
  }

  /** Adds a consumer's DLQ depth to the dead-letters graph. */
  addDeadLetterQueue(label: string, queue: sqs.IQueue): void {
    this.deadLetters.addLeftMetric(metricQueueDepth(queue, { label }));
  }
}
