import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RejectionReason } from '../../core/errors.js';
import { ITEM_KIND, KEY, rejectionKey } from '../../core/keys.js';
import { DAY_SECONDS } from './outbox.js';

/** Rejected messages are kept 14 days, as long as an SQS DLQ keeps its messages at most. */
export const REJECTION_TTL_DAYS = 14;
/** Keep enough of a rejected body to diagnose it without risking the 400 KB item limit. */
export const MAX_KEPT_BODY_CHARS = 64 * 1024;

export interface Rejection {
  readonly consumer: string;
  readonly messageId: string;
  readonly reason: RejectionReason;
  readonly message: string;
  readonly body: string;
  readonly receiveCount?: number;
  readonly sagaId?: string;
  readonly eventId?: string;
  readonly now: number;
}

/**
 * Keeps a rejected message with its reason in the consumer's own key space. Keyed by message id,
 * so a redelivered poison message overwrites its record instead of piling up.
 */
export async function recordRejection(client: DynamoDBDocumentClient, tableName: string, r: Rejection): Promise<void> {
  await client.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...rejectionKey(r.consumer, r.messageId),
        [KEY.kind]: ITEM_KIND.rejection,
        consumer: r.consumer,
        messageId: r.messageId,
        reason: r.reason,
        message: r.message,
        body: r.body.length > MAX_KEPT_BODY_CHARS ? r.body.slice(0, MAX_KEPT_BODY_CHARS) : r.body,
        bodyTruncated: r.body.length > MAX_KEPT_BODY_CHARS,
        bodyLength: r.body.length,
        receiveCount: r.receiveCount,
        sagaId: r.sagaId,
        eventId: r.eventId,
        rejectedAt: new Date(r.now).toISOString(),
        [KEY.ttl]: Math.floor(r.now / 1000) + REJECTION_TTL_DAYS * DAY_SECONDS,
      },
    }),
  );
}
