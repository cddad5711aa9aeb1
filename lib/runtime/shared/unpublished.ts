import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KEY, UNPUBLISHED_PARTITION, UNPUBLISHED_SHARD } from '../../core/keys.js';
import { DAY_SECONDS, OUTBOX_TTL_DAYS } from './outbox.js';

/** Where the relay notes outbox rows it could not publish (its own key space: `relay#`). */
export { UNPUBLISHED_PARTITION };

/** An outbox row the relay failed to publish, listed in `open#unpublished` by when the reconciler looks at it next. */
export interface UnpublishedRecord {
  readonly pk: typeof UNPUBLISHED_PARTITION;
  /** `<row pk>|<row sk>` */
  readonly sk: string;
  readonly kind: 'unpublished';
  readonly rowPk: string;
  readonly rowSk: string;
  readonly sagaId: string;
  readonly eventId: string;
  readonly type: string;
  readonly error: string;
  readonly failedAt: string;
  readonly openShard: string;
  readonly nextCheckAt: string;
}

/**
 * Notes that the relay failed to publish an outbox row (after its own retries). The stream source
 * retries the record and may give it up; the note lets the reconciler republish the row later even
 * when its saga has ended meanwhile (the visit of open sagas repairs the others). The first failure
 * is kept; later ones of the same row change nothing. Best effort: a failed note is logged by the
 * caller, and the stream source still retries the record.
 */
export async function recordUnpublished(
  client: DynamoDBDocumentClient,
  tableName: string,
  row: { readonly pk: string; readonly sk: string; readonly sagaId: string; readonly eventId: string; readonly type: string },
  error: string,
  now: number,
): Promise<void> {
  const at = new Date(now).toISOString();
  const item: UnpublishedRecord = {
    pk: UNPUBLISHED_PARTITION,
    sk: `${row.pk}|${row.sk}`,
    kind: 'unpublished',
    rowPk: row.pk,
    rowSk: row.sk,
    sagaId: row.sagaId,
    eventId: row.eventId,
    type: row.type,
    error: error.slice(0, 500),
    failedAt: at,
    openShard: UNPUBLISHED_SHARD,
    nextCheckAt: at,
  };
  try {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...item, [KEY.ttl]: Math.floor(now / 1000) + OUTBOX_TTL_DAYS * DAY_SECONDS },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (e) {
    if ((e as { name?: string }).name !== 'ConditionalCheckFailedException') throw e;
  }
}
