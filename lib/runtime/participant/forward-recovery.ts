import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { ENV } from '../../core/env.js';
import { FAILURES_SHARD, ITEM_KIND, KEY, failureKey } from '../../core/keys.js';
import { DAY_SECONDS } from '../shared/outbox.js';
import { MAX_KEPT_BODY_CHARS, REJECTION_TTL_DAYS } from '../shared/rejections.js';

/**
 * Forward recovery of a message that failed (a `retryLater` outcome or a thrown error): it goes
 * back to its queue after an exponential backoff instead of the queue's long visibility timeout,
 * and on its last allowed receive it leaves a failure record naming the error, so the DLQ it is
 * about to enter can be explained (`saga dlq list`) and the reconciler can flag its saga.
 */

/** SQS allows a visibility timeout of at most 12 hours. */
export const MAX_VISIBILITY_SECONDS = 43_200;

export interface BackoffPolicy {
  /** Delay after the first failed receive. @default 2 s */
  readonly baseSeconds: number;
  /** Upper bound of the delay. @default 900 s */
  readonly maxSeconds: number;
}
export const DEFAULT_BACKOFF: BackoffPolicy = { baseSeconds: 2, maxSeconds: 900 };

/**
 * Delay before receive `receiveCount + 1`: base × 2^(receiveCount−1), capped. Deterministic (no
 * jitter) so local runs replay; SQS spreads redeliveries of a batch on its own.
 *
 * @example
 * ```ts
 * backoffSeconds(1) // 2
 * backoffSeconds(4) // 16
 * ```
 */
export function backoffSeconds(receiveCount: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const n = Math.max(1, Math.floor(receiveCount));
  const raw = policy.baseSeconds * 2 ** Math.min(n - 1, 30);
  return Math.min(Math.max(0, Math.ceil(raw)), policy.maxSeconds, MAX_VISIBILITY_SECONDS);
}

/** Port: change a received message's visibility (SQS ChangeMessageVisibility; LocalQueue.changeVisibility). */
export interface VisibilityPort {
  changeVisibility(queueArn: string, receiptHandle: string, seconds: number): Promise<void>;
}

/**
 * The queue URL of an SQS queue ARN (`arn:aws:sqs:<region>:<account>:<name>`). With an endpoint
 * override (LocalStack) the URL is `<endpoint>/<account>/<name>`.
 */
export function queueUrlFromArn(arn: string, endpoint: string | undefined = process.env[ENV.AWS_ENDPOINT_URL]): string {
  const parts = arn.split(':');
  const [, partition, service, region, account, name] = parts;
  if (parts.length !== 6 || service !== 'sqs' || !region || !account || !name) {
    throw new Error(`Not an SQS queue ARN: ${JSON.stringify(arn)}; expected arn:aws:sqs:<region>:<account>:<name>.`);
  }
  if (endpoint) return `${endpoint.replace(/\/$/, '')}/${account}/${name}`;
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${domain}/${account}/${name}`;
}

/** {@link VisibilityPort} over the SQS API; the queue URL comes from the record's `eventSourceARN`. */
export function sqsVisibility(sqs: Pick<SQSClient, 'send'>): VisibilityPort {
  return {
    async changeVisibility(queueArn, receiptHandle, seconds) {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrlFromArn(queueArn), ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
    },
  };
}

/** What the handler knew about a record when it failed. */
export interface FailedRecordInfo {
  readonly participant: string;
  readonly error: string;
  readonly sagaId?: string;
  readonly eventId?: string;
  readonly type?: string;
  readonly step?: string;
  readonly phase?: string;
  readonly mustSucceed?: boolean;
  /** A delay the step asked for with `retryLater(reason, { delaySeconds })`. */
  readonly delaySeconds?: number;
}

/** The failure record (`<participant>#failed` / `<messageId>`). */
export interface FailureRecord {
  readonly pk: string;
  readonly sk: string;
  readonly kind: typeof ITEM_KIND.failure;
  readonly participant: string;
  readonly messageId: string;
  readonly error: string;
  readonly receiveCount: number;
  readonly maxReceiveCount: number;
  readonly failedAt: string;
  readonly queueArn?: string;
  readonly sagaId?: string;
  readonly eventId?: string;
  readonly type?: string;
  readonly step?: string;
  readonly phase?: string;
  readonly mustSucceed?: boolean;
  readonly body: string;
  /** Present until the reconciler has handled the record (sparse index entry). */
  readonly openShard?: string;
  readonly nextCheckAt?: string;
  readonly handledAt?: string;
}

export interface ForwardRecoveryDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now: number;
  readonly visibility?: VisibilityPort;
  readonly maxReceiveCount?: number;
  readonly backoff?: BackoffPolicy;
  readonly onLastAttempt?: (record: FailureRecord) => void;
}

/**
 * Handles one failed record: on its last allowed receive writes the failure record; otherwise (and
 * also then, so the move to the DLQ is prompt) shortens its visibility to the backoff delay.
 * Best effort on the visibility change: if it fails the queue's visibility timeout applies.
 */
export async function recoverFailedRecord(record: SQSRecord, info: FailedRecordInfo, deps: ForwardRecoveryDeps): Promise<{ delaySeconds?: number; lastAttempt: boolean }> {
  const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1;
  const lastAttempt = deps.maxReceiveCount !== undefined && receiveCount >= deps.maxReceiveCount;
  if (lastAttempt) {
    const item: FailureRecord = {
      ...failureKey(info.participant, record.messageId),
      kind: ITEM_KIND.failure,
      participant: info.participant,
      messageId: record.messageId,
      error: info.error.slice(0, 2000),
      receiveCount,
      maxReceiveCount: deps.maxReceiveCount!,
      failedAt: new Date(deps.now).toISOString(),
      ...(record.eventSourceARN ? { queueArn: record.eventSourceARN } : {}),
      ...(info.sagaId ? { sagaId: info.sagaId } : {}),
      ...(info.eventId ? { eventId: info.eventId } : {}),
      ...(info.type ? { type: info.type } : {}),
      ...(info.step ? { step: info.step } : {}),
      ...(info.phase ? { phase: info.phase } : {}),
      ...(info.mustSucceed ? { mustSucceed: true } : {}),
      body: record.body.length > MAX_KEPT_BODY_CHARS ? record.body.slice(0, MAX_KEPT_BODY_CHARS) : record.body,
      // Only failures of a saga event concern the reconciler; the others are for `saga dlq list`.
      ...(info.sagaId ? { openShard: FAILURES_SHARD, nextCheckAt: new Date(deps.now).toISOString() } : {}),
    };
    await deps.client.send(
      new PutCommand({ TableName: deps.tableName, Item: { ...item, [KEY.ttl]: Math.floor(deps.now / 1000) + REJECTION_TTL_DAYS * DAY_SECONDS } }),
    );
    deps.onLastAttempt?.(item);
  }
  if (!deps.visibility || !record.receiptHandle || !record.eventSourceARN) return { lastAttempt };
  const delaySeconds = Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil(info.delaySeconds ?? backoffSeconds(receiveCount, deps.backoff))));
  try {
    await deps.visibility.changeVisibility(record.eventSourceARN, record.receiptHandle, delaySeconds);
    return { delaySeconds, lastAttempt };
  } catch {
    return { lastAttempt };
  }
}
