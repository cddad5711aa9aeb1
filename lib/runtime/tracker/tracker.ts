import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { AnySagaDefinition } from '../../core/definition.js';
import { parseEventBridgeBody, validateEvent } from '../../core/envelope.js';
import { EnvelopeError, isVersionMismatch } from '../../core/errors.js';
import { definitionForEvent } from '../../core/versions.js';
import { addLogFields, contextual, invocationFields, withLogFields, type InvocationContext } from '../shared/logging.js';
import { METRIC, systemClock, type Clock, type Logger, type Metrics } from '../shared/ports.js';
import { recordRejection } from '../shared/rejections.js';
import { applyEvent, updateSagaRecord } from '../shared/saga-record.js';

/** The tracker keeps its rejections under the saga record prefix it is allowed to write. */
export const TRACKER_CONSUMER = 'saga';

export interface TrackerDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock?: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * The saga tracker: consumes every event of a saga (SQS batch of EventBridge events) and keeps the
 * saga record current — status, timeline, deadline and the open-sagas index entry. It serves `def`
 * and every version `def.previousVersions` names, each saga by the version it started on.
 *
 * @example
 * ```ts
 * export const handler = createTrackerHandler(orderSaga, trackerDepsFromEnv());
 * ```
 */
export function createTrackerHandler(def: AnySagaDefinition, deps: TrackerDeps): (event: SQSEvent, context?: InvocationContext) => Promise<SQSBatchResponse> {
  const clock = deps.clock ?? systemClock;
  const logger = contextual(deps.logger);
  return (event, context) => withLogFields({ ...invocationFields(context), saga: def.name, component: 'tracker' }, () => trackBatch(event));

  async function trackBatch(event: SQSEvent): Promise<SQSBatchResponse> {
    const batchItemFailures: { itemIdentifier: string }[] = [];
    for (const record of event.Records) await withLogFields({ messageId: record.messageId }, () => trackRecord(record, batchItemFailures));
    return { batchItemFailures };
  }

  async function trackRecord(record: SQSRecord, batchItemFailures: { itemIdentifier: string }[]): Promise<void> {
    try {
      const event = parseEventBridgeBody(record.body);
      // One tracker serves every deployed version: each event is judged by its saga's version.
      const served = definitionForEvent(def, event);
      const { envelope } = await validateEvent(served, event);
      addLogFields({ sagaId: envelope.sagaId, eventId: envelope.eventId, type: envelope.type, producer: envelope.producer });
      let contradicted: string | undefined;
      let status: string | undefined;
      await updateSagaRecord(deps.client, deps.tableName, envelope.sagaId, (current) => {
        const next = applyEvent(served, current, envelope, clock.now());
        contradicted = next?.contradiction && !current?.contradiction ? next.contradiction : undefined;
        status = next?.status ?? current?.status;
        return next;
      });
      logger.log('debug', 'saga record updated', { status });
      if (contradicted) {
        // A person must look: counted where the SagasFlagged alarm watches, and logged with the reason.
        deps.metrics.count(METRIC.sagasFlagged, 1, { Saga: def.name });
        logger.log('error', 'saga flagged failed-needs-attention: contradictory timeline', { sagaId: envelope.sagaId, eventId: envelope.eventId, type: envelope.type, reason: contradicted });
      }
    } catch (error) {
      if (isVersionMismatch(error)) {
        // A rolling upgrade in progress: retried (and dead-lettered with the reason) until the
        // tracker runs a definition that serves it, never acknowledged and lost.
        addLogFields({ sagaId: error.context.sagaId, eventId: error.context.eventId });
        logger.log('warn', 'event of a definition version this tracker does not serve; retried, not acknowledged', { messageId: record.messageId, detail: error.message });
        batchItemFailures.push({ itemIdentifier: record.messageId });
        return;
      }
      if (error instanceof EnvelopeError) {
        await recordRejection(deps.client, deps.tableName, { consumer: TRACKER_CONSUMER, messageId: record.messageId, reason: error.reason, message: error.message, body: record.body, now: clock.now() }).then(
          () => {
            deps.metrics.count(METRIC.rejections, 1, { Participant: 'tracker', Reason: error.reason });
            logger.log('warn', 'message rejected', { sagaId: error.context.sagaId, eventId: error.context.eventId, reason: error.reason, detail: error.message });
          },
          () => batchItemFailures.push({ itemIdentifier: record.messageId }),
        );
        return;
      }
      logger.log('error', 'tracker failed on a record; it returns to the queue', { messageId: record.messageId, error: (error as Error).message });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
}
