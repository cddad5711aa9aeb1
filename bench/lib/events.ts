import { createHash, randomUUID } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import type { AnySagaDefinition } from '../../lib/core/definition.js';
import { sourceFor } from '../../lib/core/model.js';
import { buildOutboxRow } from '../../lib/runtime/shared/outbox.js';

/**
 * Builds the SQS record a participant's queue delivers for one saga event: the EventBridge event
 * JSON (as the bus delivers it to an SQS target) around our envelope, built by the runtime's own
 * outbox code so it passes the same validation a real event does.
 */
export async function sqsRecordFor(def: AnySagaDefinition, producer: string, type: string, payload: unknown, ids: { sagaId: string; eventId?: string } = { sagaId: newSagaId() }): Promise<SQSRecord> {
  const now = Date.now();
  const row = await buildOutboxRow({ def, producer, sagaId: ids.sagaId, emission: { type, payload }, eventId: ids.eventId ?? randomUUID(), now });
  const body = JSON.stringify({
    version: '0',
    id: randomUUID(),
    'detail-type': type,
    source: sourceFor(def, producer),
    account: '000000000000',
    time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'local',
    resources: [],
    detail: JSON.parse(row.detail) as unknown,
  });
  const messageId = randomUUID();
  return {
    messageId,
    receiptHandle: `${messageId}#1`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(now), SenderId: 'BENCH', ApproximateFirstReceiveTimestamp: String(now) },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:bench-queue',
    awsRegion: 'local',
  };
}

export const newSagaId = (): string => `s-${randomUUID().replace(/-/g, '').slice(0, 24)}`;
