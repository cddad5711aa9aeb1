import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KEY, NOTIFY_FLAGGED_SHARD, notificationPartition } from '../../core/keys.js';
import { DAY_SECONDS } from '../shared/outbox.js';
import { NOTIFICATION_TTL_DAYS, type NotificationAttempt, type NotificationRecord } from './types.js';

/** Epoch seconds at which a notification item expires (DynamoDB TTL). */
export const notificationTtl = (now: number): number => Math.floor(now / 1000) + NOTIFICATION_TTL_DAYS * DAY_SECONDS;

/** Every notification of a saga (one per endpoint) and every recorded attempt, oldest attempt first. */
export async function readNotifications(client: DynamoDBDocumentClient, tableName: string, sagaId: string): Promise<{ notifications: NotificationRecord[]; attempts: NotificationAttempt[] }> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': notificationPartition(sagaId) }, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return {
    notifications: items.filter((i) => i.kind === 'notification') as unknown as NotificationRecord[],
    attempts: items.filter((i) => i.kind === 'notification-attempt') as unknown as NotificationAttempt[],
  };
}

/** Notifications given up after their maximum attempts (the `open#notify-flagged` index partition). */
export async function listFlaggedNotifications(client: DynamoDBDocumentClient, tableName: string, limit = 100): Promise<NotificationRecord[]> {
  const out = await client.send(
    new QueryCommand({ TableName: tableName, IndexName: KEY.openIndex, KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': KEY.openPartition }, ExpressionAttributeValues: { ':s': NOTIFY_FLAGGED_SHARD }, Limit: limit }),
  );
  return (out.Items ?? []) as NotificationRecord[];
}
