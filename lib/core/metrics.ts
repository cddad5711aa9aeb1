/**
 * Names of the custom metrics the runtime emits (CloudWatch embedded metric format, namespace
 * `SagaChoreography`, dimension `Saga` plus a detailed set). One list: the runtime emits them, the
 * constructs alarm and chart on them.
 */
export const METRICS_NAMESPACE = 'SagaChoreography';

export const METRIC = {
  eventsPublished: 'EventsPublished',
  publishFailures: 'PublishFailures',
  stepsCommitted: 'StepsCommitted',
  compensations: 'Compensations',
  nullCompensations: 'NullCompensations',
  duplicates: 'DuplicatesIgnored',
  refusedHanging: 'HangingStepsRefused',
  /** Forward steps refused because their saga had already ended (the end marker); alarm on it. */
  refusedAfterEnd: 'StepsRefusedAfterEnd',
  rejections: 'Rejections',
  conflicts: 'ConflictReruns',
  retries: 'StepRetries',
  /** TCC confirms committed. */
  confirmations: 'Confirmations',
  /** TCC confirm after cancel (or cancel after confirm): refused and flagged; alarm on it. */
  tccConflicts: 'TccPhaseConflicts',
  /** Best-effort notification: HTTP attempts, deliveries, and notifications given up (alarm on it). */
  notificationAttempts: 'NotificationAttempts',
  notificationsDelivered: 'NotificationsDelivered',
  notificationsGivenUp: 'NotificationsGivenUp',
  /** Two-phase messages: committed (published) and discarded after prepare. */
  messagesCommitted: 'TwoPhaseMessagesCommitted',
  messagesDiscarded: 'TwoPhaseMessagesDiscarded',
  /** Messages that failed their last allowed receive (on their way to a DLQ). */
  lastAttemptFailures: 'LastAttemptFailures',
  sagasTimedOut: 'SagasTimedOut',
  eventsRepublished: 'EventsRepublished',
  /** Sagas newly flagged failed-needs-attention; alarm on it. */
  sagasFlagged: 'SagasFlagged',
  sagasVisited: 'ReconcilerSagasVisited',
  reconcilerItemsRead: 'ReconcilerItemsRead',
  discrepancies: 'ReconcileDiscrepancies',
  repairs: 'ReconcileRepairs',
  checkErrors: 'ReconcileCheckErrors',
  deadLetters: 'DeadLetterMessages',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];
