import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { AnySagaDefinition } from '../core/index.js';
import { SAGA_METRIC, sagaMetricSearch } from './monitoring.js';
import { metricQueueDepth } from './queues.js';
import type { OutboxRelay } from './relay.js';
import type { SagaReconciler } from './reconciler.js';
import type { SagaTracker } from './tracker.js';

/** What the dashboard charts: the parts a `Choreography` creates. */
export interface SagaDashboardChoreography {
  readonly definition: AnySagaDefinition;
  readonly relay: OutboxRelay;
  readonly tracker: SagaTracker;
  readonly reconciler: SagaReconciler;
}

export interface SagaDashboardProps {
  /** The choreography to chart (a `Choreography`; participants are added with {@link SagaDashboard.addDeadLetterQueue}). */
  readonly choreography: SagaDashboardChoreography;
  /** Time range shown when the dashboard opens. @default Duration.hours(3) */
  readonly defaultInterval?: Duration;
  /** @default a name CloudFormation generates */
  readonly dashboardName?: string;
}

/**
 * One CloudWatch dashboard per choreography, in the order an operator reads it during an incident:
 * throughput (events published, steps committed), compensations (with rejections and retries),
 * flagged sagas (and timeouts), dead-letter depth per queue, relay lag (iterator age, errors,
 * publish failures) and what the reconciler did (republished events, repairs, discrepancies,
 * last-attempt failures). Every custom series is a metric the runtime emits (`METRIC` in
 * lib/core/metrics.ts), searched by the saga's `Saga` dimension so per-participant series appear
 * without listing them. `Choreography` creates one unless `dashboard: false`; participants added
 * in the same stack append their DLQ.
 *
 * @example
 * ```ts
 * const choreography = new Choreography(stack, 'Order', { definition: orderSaga, dashboard: false });
 * const dashboard = new SagaDashboard(stack, 'OrderDashboard', { choreography, dashboardName: 'order-saga' });
 * dashboard.addDeadLetterQueue('legacy-billing', billingDlq);
 * ```
 */
export class SagaDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  private readonly deadLetters: cloudwatch.GraphWidget;

  constructor(scope: Construct, id: string, props: SagaDashboardProps) {
    super(scope, id);
    const { definition: def, relay, tracker, reconciler } = props.choreography;
    const search = (name: (typeof SAGA_METRIC)[keyof typeof SAGA_METRIC], label: string) => sagaMetricSearch(def, name, label);
    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      defaultInterval: props.defaultInterval ?? Duration.hours(3),
      ...(props.dashboardName ? { dashboardName: props.dashboardName } : {}),
    });
    this.deadLetters = new cloudwatch.GraphWidget({
      title: 'Dead letters (messages visible per DLQ)',
      width: 12,
      left: [
        metricQueueDepth(tracker.deadLetterQueue, { label: 'tracker' }),
        metricQueueDepth(relay.failureQueue, { label: 'relay (failed stream batches)' }),
        metricQueueDepth(reconciler.deadLetterQueue, { label: 'reconciler (failed runs)' }),
      ],
      right: [search(SAGA_METRIC.deadLetterMessages, 'counted by the reconciler (visible + in flight)')],
    });
    this.dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: `# Saga \`${def.name}\` v${def.version}`, width: 24, height: 1 }));
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Throughput',
        width: 12,
        left: [search(SAGA_METRIC.eventsPublished, 'events published'), search(SAGA_METRIC.stepsCommitted, 'steps committed')],
      }),
      new cloudwatch.GraphWidget({
        title: 'Compensations',
        width: 12,
        left: [search(SAGA_METRIC.compensations, 'compensations')],
        right: [search(SAGA_METRIC.rejections, 'rejections'), search(SAGA_METRIC.stepRetries, 'step retries')],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Flagged sagas (need a person)',
        width: 12,
        left: [search(SAGA_METRIC.sagasFlagged, 'sagas flagged')],
        right: [search(SAGA_METRIC.sagasTimedOut, 'sagas timed out')],
      }),
      this.deadLetters,
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Relay lag',
        width: 12,
        left: [relay.metricIteratorAge({ label: 'iterator age (ms)' })],
        right: [relay.function.metricErrors({ period: Duration.minutes(1), label: 'relay errors' }), search(SAGA_METRIC.publishFailures, 'publish failures')],
      }),
      new cloudwatch.GraphWidget({
        title: 'Reconciler actions',
        width: 12,
        left: [
          search(SAGA_METRIC.eventsRepublished, 'events republished'),
          search(SAGA_METRIC.repairs, 'repairs'),
          search(SAGA_METRIC.lastAttemptFailures, 'last-attempt failures'),
        ],
        right: [search(SAGA_METRIC.discrepancies, 'discrepancies found')],
      }),
    );
  }

  /** Adds a consumer's DLQ depth to the dead-letters graph. */
  addDeadLetterQueue(label: string, queue: sqs.IQueue): void {
    this.deadLetters.addLeftMetric(metricQueueDepth(queue, { label }));
  }
}
