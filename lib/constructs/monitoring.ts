import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRIC, METRICS_NAMESPACE, type AnySagaDefinition } from '../core/index.js';

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
  /** Participant: failed attempts retried later (backoff). */
  stepRetries: METRIC.retries,
  /** Reconciler: discrepancies its checks found, and repairs it made. */
  discrepancies: METRIC.discrepancies,
  repairs: METRIC.repairs,
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
