import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { SagaRuntimeError } from './errors.js';

/** A message waiting in a participant's dead-letter queue. */
export interface DeadLetter {
  readonly messageId: string;
  readonly body: string;
  /** How often it has been received (from the DLQ's own counter when the queue reports it). */
  readonly receiveCount?: number;
  readonly sentAt?: string;
}

/** How a redrive moves messages. */
export interface RedriveOptions {
  /**
   * `'move-task'`: SQS `StartMessageMoveTask` (asynchronous; the service keeps the message ids).
   * `'copy'`: ReceiveMessage → SendMessageBatch to the work queue → DeleteMessageBatch, batch by
   * batch until the DLQ is empty; new message ids, and a message can arrive twice if the copy is
   * interrupted between send and delete (the barrier makes that harmless). Needs the work queue URL.
   * @default 'move-task'
   */
  readonly method?: 'move-task' | 'copy';
}

export interface RedriveResult {
  /** Messages moved (local cloud: at once; SQS reports the task, moves happen asynchronously). */
  readonly moved?: number;
  /** SQS `StartMessageMoveTask` handle, to follow or cancel the move. */
  readonly taskHandle?: string;
}

/**
 * Port: the queue operations operators and the reconciler need. One implementation over the SQS
 * API ({@link sqsQueueAdmin}), one over the local cloud's queues (`localQueueAdmin`), run through
 * the same contract tests.
 */
export interface QueueAdmin {
  /** Participants whose queues this admin knows. */
  participants(): string[];
  /** Up to `max` messages of the participant's DLQ, without removing them. */
  listDeadLetters(participant: string, max?: number): Promise<DeadLetter[]>;
  /**
   * Moves every DLQ message back to the participant's work queue: by the queue service's own move
   * task (SQS `StartMessageMoveTask`), or with `method: 'copy'` by receiving, re-sending and
   * deleting each message (for SQS implementations without move tasks). The local cloud moves at
   * once either way.
   */
  redrive(participant: string, options?: RedriveOptions): Promise<RedriveResult>;
  /** Sends a message body to the participant's work queue; returns the message id. */
  send(participant: string, body: string): Promise<string>;
  /** Approximate number of messages in the participant's DLQ. */
  deadLetterCount(participant: string): Promise<number>;
  /**
   * Age (ms) of the oldest message waiting in the tracker's queue — SQS's
   * `ApproximateAgeOfOldestMessage` — or `undefined` when not known. The reconciler lengthens its
   * quiet period by it, so events still queued for the tracker do not look lost. @default not known
   */
  trackerQueueAgeMs?(): Promise<number | undefined>;
}

/** Thrown when a queue admin does not know a participant's queue. */
export class QueueNotConfiguredError extends SagaRuntimeError {
  constructor(participant: string, which: string, known: readonly string[], hint: string) {
    super(`No ${which} is configured for participant ${JSON.stringify(participant)}. Known: ${known.join(', ') || '(none)'}. ${hint}`, { participant });
    this.name = 'QueueNotConfiguredError';
  }
}

export interface SqsQueueUrls {
  /** participant → DLQ URL (the constructs write it as `SAGA_DLQ_URLS`). */
  readonly deadLetterQueueUrls: Readonly<Record<string, string>>;
  /** participant → work queue URL (`SAGA_QUEUE_URLS`); needed by `send`, optional for `redrive`. */
  readonly queueUrls?: Readonly<Record<string, string>>;
}

/** How long listed DLQ messages are hidden while the listing collects them (then released at once). */
const LISTING_VISIBILITY_SECONDS = 30;

/**
 * {@link QueueAdmin} over SQS: ReceiveMessage to list a DLQ (messages are hidden while listing and
 * made visible again right after), `StartMessageMoveTask` to redrive, SendMessage to retry.
 *
 * @example
 * ```ts
 * const admin = sqsQueueAdmin(new SQSClient({}), { deadLetterQueueUrls: JSON.parse(process.env.SAGA_DLQ_URLS!) });
 * console.log(await admin.listDeadLetters('inventory'));
 * ```
 */
export function sqsQueueAdmin(sqs: Pick<SQSClient, 'send'>, urls: SqsQueueUrls): QueueAdmin {
  const dlqUrl = (participant: string): string => {
    const url = urls.deadLetterQueueUrls[participant];
    if (!url) throw new QueueNotConfiguredError(participant, 'DLQ URL', Object.keys(urls.deadLetterQueueUrls), 'Pass --dlq-urls or set SAGA_DLQ_URLS to a JSON map participant → DLQ URL.');
    return url;
  };
  const queueUrl = (participant: string): string => {
    const url = urls.queueUrls?.[participant];
    if (!url) throw new QueueNotConfiguredError(participant, 'queue URL', Object.keys(urls.queueUrls ?? {}), 'Pass --queue-urls or set SAGA_QUEUE_URLS to a JSON map participant → queue URL.');
    return url;
  };
  const arnOf = async (url: string): Promise<string> => {
    const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    const arn = out.Attributes?.QueueArn;
    if (!arn) throw new SagaRuntimeError(`SQS did not return the ARN of ${url}.`, { url });
    return arn;
  };
  return {
    participants: () => Object.keys(urls.deadLetterQueueUrls).sort(),
    async listDeadLetters(participant, max = 100) {
      const url = dlqUrl(participant);
      const seen = new Map<string, Message>();
      for (let round = 0; seen.size < max && round < Math.ceil(max / 10) + 2; round++) {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: Math.min(10, max - seen.size),
            VisibilityTimeout: LISTING_VISIBILITY_SECONDS,
            WaitTimeSeconds: 0,
            MessageSystemAttributeNames: ['All'],
          }),
        );
        const fresh = (out.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
        if (fresh.length === 0) break;
        for (const m of fresh) seen.set(m.MessageId!, m);
      }
      const received = [...seen.values()];
      // Hand them back at once, so the listing does not delay a redrive.
      for (let i = 0; i < received.length; i += 10) {
        const chunk = received.slice(i, i + 10).filter((m) => m.ReceiptHandle);
        if (chunk.length === 0) continue;
        await sqs.send(
          new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })) }),
        );
      }
      return received.map((m) => {
        const sent = Number(m.Attributes?.SentTimestamp);
        const count = Number(m.Attributes?.ApproximateReceiveCount);
        return {
          messageId: m.MessageId!,
          body: m.Body ?? '',
          ...(Number.isFinite(count) && count > 0 ? { receiveCount: count } : {}),
          ...(Number.isFinite(sent) && sent > 0 ? { sentAt: new Date(sent).toISOString() } : {}),
        };
      });
    },
    async redrive(participant, options = {}) {
      if (options.method === 'copy') return { moved: await copyAll(sqs, dlqUrl(participant), queueUrl(participant)) };
      const sourceArn = await arnOf(dlqUrl(participant));
      const destination = urls.queueUrls?.[participant];
      let out: { TaskHandle?: string };
      try {
        out = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: sourceArn, ...(destination ? { DestinationArn: await arnOf(destination) } : {}) }));
      } catch (error) {
        throw new SagaRuntimeError(
          `SQS refused StartMessageMoveTask for the ${participant} DLQ (${sourceArn}): ${(error as Error).message.split('\n')[0]}. ` +
            'If this SQS implementation has no message move tasks (moto has none), redrive by copying the messages: `saga redrive ' + participant + ' --copy`.',
          { participant, sourceArn },
          { cause: error },
        );
      }
      return out.TaskHandle ? { taskHandle: out.TaskHandle } : {};
    },
    async send(participant, body) {
      const out = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl(participant), MessageBody: body }));
      return out.MessageId ?? '';
    },
    async deadLetterCount(participant) {
      const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl(participant), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    },
  };
}

/** How long a message being copied is hidden: long enough to re-send and delete a batch of ten. */
const COPY_VISIBILITY_SECONDS = 60;

/**
 * Moves every message of `from` to `to` by receive, send, delete — ten at a time, until a receive
 * comes back empty. Only messages whose send succeeded are deleted; the others stay in `from`
 * (visible again after {@link COPY_VISIBILITY_SECONDS}) and the error names how many moved.
 */
async function copyAll(sqs: Pick<SQSClient, 'send'>, from: string, to: string): Promise<number> {
  let moved = 0;
  for (;;) {
    const got = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: from, MaxNumberOfMessages: 10, VisibilityTimeout: COPY_VISIBILITY_SECONDS, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }))).Messages ?? [];
    const batch = got.filter((m) => m.ReceiptHandle && m.Body !== undefined);
    if (batch.length === 0) return moved;
    const sent = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: to, Entries: batch.map((m, i) => ({ Id: String(i), MessageBody: m.Body!, ...(m.MessageAttributes ? { MessageAttributes: m.MessageAttributes } : {}) })) }),
    );
    const ok = new Set((sent.Successful ?? []).map((e) => e.Id));
    const done = batch.filter((_, i) => ok.has(String(i)));
    if (done.length > 0) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: from, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    moved += done.length;
    if (done.length < batch.length) {
      const failed = sent.Failed?.[0];
      throw new SagaRuntimeError(`Copying ${from} to ${to} stopped after ${moved} message(s): SendMessageBatch failed for ${batch.length - done.length} (${failed?.Code ?? '?'}: ${failed?.Message ?? ''}); they stay in the DLQ.`, { from, to, moved });
    }
  }
}

/** Parses a participant → URL JSON map (`SAGA_DLQ_URLS`, `SAGA_QUEUE_URLS`), failing with the bad value. */
export function parseUrlMap(raw: string | undefined, name: string): Record<string, string> {
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new SagaRuntimeError(`${name} must be a JSON object participant → URL, got ${JSON.stringify(raw.slice(0, 120))}.`, { variable: name });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new SagaRuntimeError(`${name} must be a JSON object participant → URL (strings), got ${JSON.stringify(raw.slice(0, 120))}.`, { variable: name });
  }
  return parsed as Record<string, string>;
}
