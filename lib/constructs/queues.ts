import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledgements.js';
import { removalPolicyOf, type SagaDataProtection } from './protection.js';

/** How long dead letters are kept: the SQS maximum, so an operator has two weeks to redrive. */
export const DLQ_RETENTION = Duration.days(14);

/**
 * Encrypted, SSL-only queue settings every queue of the framework uses: SSE-SQS, or the
 * choreography's customer-managed key when it has one.
 */
function secureQueue(protection: SagaDataProtection | undefined): Pick<sqs.QueueProps, 'encryption' | 'encryptionMasterKey' | 'enforceSSL'> {
  const key = protection?.encryptionKey;
  return key
    ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key, enforceSSL: true }
    : { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true };
}

/**
 * A dead-letter queue: encrypted, SSL-only, 14 days retention, and kept when the stack is deleted
 * unless the removal policy says otherwise (its messages are saga steps a person still has to handle).
 */
export function createDeadLetterQueue(scope: Construct, id: string, protection?: SagaDataProtection): sqs.Queue {
  const queue = new sqs.Queue(scope, id, { ...secureQueue(protection), retentionPeriod: DLQ_RETENTION, removalPolicy: removalPolicyOf(protection) });
  acknowledge(queue, 'deadLetterQueueHasNoRedrive');
  return queue;
}

export interface WorkQueueProps {
  /** Must be ≥ 6× the consuming function's timeout (checked by the caller). */
  readonly visibilityTimeout: Duration;
  /** Receives before a message moves to the DLQ. */
  readonly maxReceiveCount: number;
  /** Removal policy of the DLQ and the key of both queues. @default RETAIN, SSE-SQS */
  readonly protection?: SagaDataProtection;
}

/**
 * A consumer queue with its DLQ. The DLQ doubles as the EventBridge target DLQ of the rules that
 * feed the queue, so an event that could not even be delivered ends where an operator already
 * looks, and `saga redrive` moves both kinds back the same way.
 */
export class WorkQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    this.deadLetterQueue = createDeadLetterQueue(this, 'DeadLetterQueue', props.protection);
    this.queue = new sqs.Queue(this, 'Queue', {
      ...secureQueue(props.protection),
      visibilityTimeout: props.visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }
}

/** Messages waiting in a queue (maximum over one minute). */
export function metricQueueDepth(queue: sqs.IQueue, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM, ...props });
}

/** Alarm when anything is in a dead-letter queue: every dead letter is a saga step that needs a person. */
export function deadLetterAlarm(scope: Construct, id: string, queue: sqs.IQueue, what: string, topic?: sns.ITopic): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    metric: metricQueueDepth(queue),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    alarmDescription: `${what} has messages: inspect them (saga dlq list), fix the cause, then redrive (saga redrive).`,
  });
  return notify(alarm, topic);
}

/** Sends an alarm to the topic when there is one. */
export function notify(alarm: cloudwatch.Alarm, topic?: sns.ITopic): cloudwatch.Alarm {
  if (topic) alarm.addAlarmAction(new cwActions.SnsAction(topic));
  return alarm;
}
