import { SQSClient } from '@aws-sdk/client-sqs';
import { beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../lib/local/clock.js';
import { localQueueAdmin } from '../../lib/local/queue-admin.js';
import { LocalQueue } from '../../lib/local/queue.js';
import type { ConsumerWiring } from '../../lib/local/cloud.js';
import { queueUrlFromArn, sqsVisibility } from '../../lib/runtime/participant/forward-recovery.js';
import { parseUrlMap, QueueNotConfiguredError, sqsQueueAdmin, type QueueAdmin } from '../../lib/runtime/shared/queue-admin.js';
import { attachSqs } from '../support/sqs-over-local-queues.js';

interface Fixture {
  readonly admin: QueueAdmin;
  readonly queue: LocalQueue;
  readonly dlq: LocalQueue;
  readonly clock: VirtualClock;
}

function queues(): { clock: VirtualClock; queue: LocalQueue; dlq: LocalQueue } {
  const clock = new VirtualClock();
  let n = 0;
  const ids = () => `m-${String(n++).padStart(4, '0')}`;
  const dlq = new LocalQueue('inventory-dlq', clock, ids, { maxReceiveCount: 1_000_000 });
  const queue = new LocalQueue('inventory-queue', clock, ids, { maxReceiveCount: 2, deadLetterQueue: dlq, visibilityTimeoutSeconds: 10 });
  return { clock, queue, dlq };
}

/** Sends `n` messages that fail every receive until they are in the DLQ. */
function deadLetter(f: { clock: VirtualClock; queue: LocalQueue }, bodies: string[]): void {
  for (const b of bodies) f.queue.send(b);
  for (let i = 0; i < 3; i++) {
    f.queue.receive(10);
    f.clock.advance(11_000);
  }
}

const implementations: Record<string, () => Fixture> = {
  local: () => {
    const q = queues();
    const wiring = new Map<string, ConsumerWiring>([['inventory', { name: 'inventory', queue: q.queue, dlq: q.dlq, handler: async () => ({ batchItemFailures: [] }) }]]);
    return { ...q, admin: localQueueAdmin(wiring) };
  },
  sqs: () => {
    const q = queues();
    const sqs = new SQSClient({ region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const { urlOf } = attachSqs(sqs, [q.queue, q.dlq]);
    return { ...q, admin: sqsQueueAdmin(sqs, { deadLetterQueueUrls: { inventory: urlOf(q.dlq) }, queueUrls: { inventory: urlOf(q.queue) } }) };
  },
};

for (const [name, make] of Object.entries(implementations)) {
  describe(`QueueAdmin contract: ${name}`, () => {
    let f: Fixture;
    beforeEach(() => {
      f = make();
    });

    it('lists dead letters without removing them, and counts them', async () => {
      deadLetter(f, ['{"a":1}', '{"b":2}']);
      const listed = await f.admin.listDeadLetters('inventory');
      expect(listed.map((l) => l.body).sort()).toEqual(['{"a":1}', '{"b":2}']);
      expect(listed.every((l) => l.messageId.length > 0)).toBe(true);
      expect(f.dlq.size).toBe(2);
      expect(await f.admin.deadLetterCount('inventory')).toBe(2);
      // Listed messages are visible again right away (a redrive right after must find them).
      expect(f.dlq.visible()).toHaveLength(2);
      expect(await f.admin.listDeadLetters('inventory', 1)).toHaveLength(1);
    });

    it('redrives the DLQ into the work queue', async () => {
      deadLetter(f, ['{"a":1}']);
      await f.admin.redrive('inventory');
      expect(f.dlq.size).toBe(0);
      expect(f.queue.visible().map((m) => m.body)).toEqual(['{"a":1}']);
    });

    it('sends a body to the work queue', async () => {
      const id = await f.admin.send('inventory', '{"retry":true}');
      expect(f.queue.peekAll()).toEqual([expect.objectContaining({ messageId: id, body: '{"retry":true}' })]);
    });

    it('fails if the participant has no queue', async () => {
      await expect(f.admin.listDeadLetters('shipping')).rejects.toBeInstanceOf(QueueNotConfiguredError);
      await expect(f.admin.send('shipping', '{}')).rejects.toThrow(/shipping/);
      expect(f.admin.participants()).toEqual(['inventory']);
    });
  });
}

describe('sqsVisibility', () => {
  it('changes the visibility of a received message through the queue URL derived from its ARN', async () => {
    const q = queues();
    const sqs = new SQSClient({ region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    attachSqs(sqs, [q.queue, q.dlq]);
    q.queue.send('{}');
    const [m] = q.queue.receive(1);
    // The fake serves https://sqs.local/000000000000/<name>: an endpoint override of https://sqs.local.
    expect(queueUrlFromArn(q.queue.arn, 'https://sqs.local')).toBe('https://sqs.local/000000000000/inventory-queue');
    process.env.AWS_ENDPOINT_URL = 'https://sqs.local';
    try {
      await sqsVisibility(sqs).changeVisibility(q.queue.arn, m!.receiptHandle!, 4);
    } finally {
      delete process.env.AWS_ENDPOINT_URL;
    }
    expect(q.queue.nextVisibleAt()).toBe(q.clock.now() + 4_000);
  });
});

describe('parseUrlMap', () => {
  it('reads a participant → URL map and fails with the bad value otherwise', () => {
    expect(parseUrlMap('{"inventory":"https://q"}', 'SAGA_DLQ_URLS')).toEqual({ inventory: 'https://q' });
    expect(parseUrlMap(undefined, 'SAGA_DLQ_URLS')).toEqual({});
    expect(() => parseUrlMap('[1]', 'SAGA_DLQ_URLS')).toThrow(/SAGA_DLQ_URLS must be a JSON object participant → URL/);
    expect(() => parseUrlMap('{nope', 'SAGA_QUEUE_URLS')).toThrow(/got "\{nope"/);
  });
});
