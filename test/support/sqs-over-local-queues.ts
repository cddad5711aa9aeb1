import { createHash } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { LocalQueue } from '../../lib/local/queue.js';

/**
 * Serves an SQS client's calls from local queues, at the SDK boundary (as the local bus does for
 * EventBridge), so the SQS adapters run their real request code without an SQS endpoint. Covers the
 * calls the QueueAdmin and visibility adapters make: ReceiveMessage, ChangeMessageVisibility(Batch),
 * SendMessage, GetQueueAttributes, StartMessageMoveTask. Queue URLs are `https://sqs.local/000000000000/<name>`.
 */
export function attachSqs(client: SQSClient, queues: readonly LocalQueue[]): { calls: string[]; urlOf: (q: LocalQueue) => string } {
  const urlOf = (q: LocalQueue) => `https://sqs.local/000000000000/${q.name}`;
  const byUrl = new Map(queues.map((q) => [urlOf(q), q]));
  const byArn = new Map(queues.map((q) => [q.arn, q]));
  const calls: string[] = [];
  // The SQS client checks body checksums, as the real service returns them.
  const md5 = (body: string) => createHash('md5').update(body).digest('hex');
  const queue = (url: unknown): LocalQueue => {
    const q = byUrl.get(String(url));
    if (!q) throw Object.assign(new Error(`The specified queue does not exist: ${String(url)}`), { name: 'QueueDoesNotExist' });
    return q;
  };
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const name = context.commandName ?? '';
      calls.push(name);
      const ok = (output: Record<string, unknown>) => ({ output: { $metadata: { httpStatusCode: 200 }, ...output }, response: {} }) as never;
      switch (name) {
        case 'ReceiveMessageCommand': {
          const q = queue(input.QueueUrl);
          const got = q.receive(Number(input.MaxNumberOfMessages ?? 1));
          if (input.VisibilityTimeout !== undefined) for (const m of got) q.changeVisibility(m.receiptHandle!, Number(input.VisibilityTimeout));
          return ok({
            Messages: got.map((m) => ({ MessageId: m.messageId, ReceiptHandle: m.receiptHandle, Body: m.body, MD5OfBody: md5(m.body), Attributes: { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: String(m.sentAt) } })),
          });
        }
        case 'ChangeMessageVisibilityCommand':
          queue(input.QueueUrl).changeVisibility(String(input.ReceiptHandle), Number(input.VisibilityTimeout));
          return ok({});
        case 'ChangeMessageVisibilityBatchCommand': {
          const q = queue(input.QueueUrl);
          const entries = input.Entries as { Id: string; ReceiptHandle: string; VisibilityTimeout: number }[];
          for (const e of entries) q.changeVisibility(e.ReceiptHandle, e.VisibilityTimeout);
          return ok({ Successful: entries.map((e) => ({ Id: e.Id })), Failed: [] });
        }
        case 'SendMessageCommand':
          return ok({ MessageId: queue(input.QueueUrl).send(String(input.MessageBody)), MD5OfMessageBody: md5(String(input.MessageBody)) });
        case 'GetQueueAttributesCommand': {
          const q = queue(input.QueueUrl);
          return ok({ Attributes: { QueueArn: q.arn, ApproximateNumberOfMessages: String(q.visible().length), ApproximateNumberOfMessagesNotVisible: String(q.size - q.visible().length) } });
        }
        case 'StartMessageMoveTaskCommand': {
          const source = byArn.get(String(input.SourceArn));
          const target = byArn.get(String(input.DestinationArn ?? source?.peekAll()[0]?.deadLetterSourceQueue));
          if (!source || !target) throw Object.assign(new Error('InvalidParameterValue: unknown source or destination'), { name: 'InvalidParameterValueException' });
          source.moveAllTo(target);
          return ok({ TaskHandle: `task-${source.name}` });
        }
        default:
          throw new Error(`attachSqs does not serve ${name}.`);
      }
    },
    { step: 'initialize', name: 'sqsOverLocalQueues', priority: 'low' },
  );
  return { calls, urlOf };
}
