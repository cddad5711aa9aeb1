import { type DeadLetter, type QueueAdmin, QueueNotConfiguredError } from '../runtime/shared/index.js';
import type { ConsumerWiring } from './cloud.js';

/**
 * {@link QueueAdmin} over the local cloud's queues: the same operations `saga dlq list`,
 * `saga redrive` and `saga retry` use against SQS, on the in-process queues and virtual clock.
 *
 * @example
 * ```ts
 * const admin = localQueueAdmin(cloud.consumers);
 * await admin.redrive('inventory'); // DLQ → work queue, as StartMessageMoveTask does
 * ```
 */
export function localQueueAdmin(consumers: ReadonlyMap<string, ConsumerWiring>, now?: () => number): QueueAdmin {
  const wiring = (participant: string): ConsumerWiring => {
    const c = consumers.get(participant);
    if (!c) throw new QueueNotConfiguredError(participant, 'queue', [...consumers.keys()], 'Use one of the local cloud\'s consumers.');
    return c;
  };
  return {
    participants: () => [...consumers.keys()].sort(),
    async listDeadLetters(participant, max = 100): Promise<DeadLetter[]> {
      return wiring(participant)
        .dlq.peekAll()
        .slice(0, max)
        .map((m) => ({ messageId: m.messageId, body: m.body, receiveCount: m.receiveCount, sentAt: new Date(m.sentAt).toISOString() }));
    },
    async redrive(participant) {
      const { dlq, queue } = wiring(participant);
      return { moved: dlq.moveAllTo(queue) };
    },
    async send(participant, body) {
      return wiring(participant).queue.send(body);
    },
    async deadLetterCount(participant) {
      return wiring(participant).dlq.size;
    },
    // The local cloud's tracker consumer is named "tracker" (TRACKER in cloud.ts).
    async trackerQueueAgeMs() {
      const sentAt = consumers.get('tracker')?.queue.oldestSentAt();
      return sentAt === undefined || !now ? undefined : Math.max(0, now() - sentAt);
    },
  };
}
