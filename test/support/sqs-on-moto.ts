import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

/** A participant's work queue and its DLQ, as the constructs create them (redrive policy on the queue). */
export interface ParticipantQueues {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
}

/** An SQS client for moto's server (moto accepts any credentials, but only real region names). */
export function motoSqsClient(endpoint: string): SQSClient {
  return new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'moto', secretAccessKey: 'moto' } });
}

const arnOf = async (sqs: SQSClient, url: string): Promise<string> =>
  (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;

/** Creates `<prefix>-<participant>` and `<prefix>-<participant>-dlq` with `maxReceiveCount` on the redrive policy. */
export async function createParticipantQueues(sqs: SQSClient, prefix: string, participant: string, maxReceiveCount: number): Promise<ParticipantQueues> {
  const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-${participant}-dlq` }))).QueueUrl!;
  const dlqArn = await arnOf(sqs, dlqUrl);
  const queueUrl = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: `${prefix}-${participant}`,
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }), VisibilityTimeout: '30' },
      }),
    )
  ).QueueUrl!;
  return { queueUrl, queueArn: await arnOf(sqs, queueUrl), dlqUrl, dlqArn };
}

/**
 * One poll of the queue the way Lambda's SQS event source does it: receive a batch (with the
 * system attributes, so `ApproximateReceiveCount` reaches the handler), invoke the handler with an
 * `SQSEvent`, delete the records it did not report as failed. Returns what happened.
 */
export async function pollOnce(
  sqs: SQSClient,
  queue: { readonly url: string; readonly arn: string },
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>,
): Promise<{ received: number; failed: number }> {
  const messages = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }))).Messages ?? [];
  if (messages.length === 0) return { received: 0, failed: 0 };
  const event: SQSEvent = {
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? '0',
        SenderId: m.Attributes?.SenderId ?? '',
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? '0',
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
    })),
  };
  const failed = new Set((await handler(event)).batchItemFailures.map((f) => f.itemIdentifier));
  const done = messages.filter((m) => !failed.has(m.MessageId!));
  if (done.length > 0) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queue.url, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  return { received: messages.length, failed: failed.size };
}

/** Visible plus in-flight messages of a queue. */
export async function queueDepth(sqs: SQSClient, url: string): Promise<number> {
  const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
}
