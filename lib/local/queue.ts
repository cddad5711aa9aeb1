import { createHash } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import type { Clock } from '../runtime/shared/index.js';
import { LocalCloudError } from './errors.js';
import { VisibilityIndex } from './visibility.js';

export interface LocalMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** Changed only by the queue (receive, changeVisibility, {@link LocalQueue.hideUntil}), which indexes it. */
  readonly visibleAt: number;
  receiptHandle?: string;
  /** Set on messages moved to a DLQ: the queue they came from. */
  deadLetterSourceQueue?: string;
  /** The X-Ray trace header the message was sent with (SQS's `AWSTraceHeader` system attribute). */
  readonly traceHeader?: string;
}

export interface LocalQueueOptions {
  /** @default 180 s (6 × a 30 s function timeout, as the constructs configure) */
  readonly visibilityTimeoutSeconds?: number;
  /** Receives before a message moves to the DLQ. @default 5 */
  readonly maxReceiveCount?: number;
  readonly deadLetterQueue?: LocalQueue;
}

/** How many visible messages one receive chooses from (oldest first; faults may shuffle them). */
export const RECEIVE_SAMPLE = 100;

/**
 * An SQS standard queue on the virtual clock: visibility timeout, receive counts, a DLQ after
 * `maxReceiveCount` receives (moved on the next receive attempt, as SQS does), delete by receipt
 * handle, and redrive. Delivery order is left to the caller's `pick` so faults can reorder it.
 */
export class LocalQueue {
  private readonly messages = new Map<string, LocalMessage>();
  /** Send order of each message (kept when a send replaces a message of the same id, as its place in `messages` is). */
  private readonly seqs = new Map<string, number>();
  private readonly index = new VisibilityIndex<LocalMessage>();
  private seq = 0;
  readonly visibilityTimeoutMs: number;
  readonly maxReceiveCount: number;
  readonly deadLetterQueue: LocalQueue | undefined;

  constructor(
    readonly name: string,
    private readonly clock: Clock,
    private readonly newId: () => string,
    options: LocalQueueOptions = {},
  ) {
    this.visibilityTimeoutMs = (options.visibilityTimeoutSeconds ?? 180) * 1000;
    this.maxReceiveCount = options.maxReceiveCount ?? 5;
    this.deadLetterQueue = options.deadLetterQueue;
    if (!Number.isInteger(this.maxReceiveCount) || this.maxReceiveCount < 1) {
      throw new LocalCloudError(`Queue ${name}: maxReceiveCount must be an integer ≥ 1, got ${options.maxReceiveCount}.`);
    }
  }

  get arn(): string {
    return `arn:aws:sqs:local:000000000000:${this.name}`;
  }

  send(body: string, options: { delaySeconds?: number; messageId?: string; deadLetterSourceQueue?: string; traceHeader?: string } = {}): string {
    const messageId = options.messageId ?? this.newId();
    const now = this.clock.now();
    const replaced = this.seqs.get(messageId);
    if (replaced !== undefined) this.index.remove(replaced);
    const seq = replaced ?? this.seq++;
    const message: LocalMessage = {
      messageId,
      body,
      sentAt: now,
      receiveCount: 0,
      visibleAt: now + (options.delaySeconds ?? 0) * 1000,
      ...(options.deadLetterSourceQueue ? { deadLetterSourceQueue: options.deadLetterSourceQueue } : {}),
      ...(options.traceHeader ? { traceHeader: options.traceHeader } : {}),
    };
    this.messages.set(messageId, message);
    this.seqs.set(messageId, seq);
    this.index.add(seq, message);
    return messageId;
  }

  /** Messages visible now, oldest first (the first `limit` of them). */
  visible(limit = Number.POSITIVE_INFINITY): LocalMessage[] {
    return this.index.visible(this.clock.now(), limit);
  }

  /** True when a message is visible now (stops at the first one, unlike `visible()`). */
  hasVisible(): boolean {
    return this.visible(1).length > 0;
  }

  /**
   * Receives up to `max` visible messages, picked from the oldest {@link RECEIVE_SAMPLE} visible ones
   * (SQS, too, answers a receive from a sample of its servers, not the whole queue). The sample
   * keeps a receive's cost flat on a deep backlog: the soak's stalled participants pile up
   * thousands of messages, and shuffling all of them on every receive made a run quadratic.
   * Messages already received `maxReceiveCount` times go to the DLQ instead (or are dropped when the
   * queue has none, as SQS would keep retrying forever — we refuse that configuration in the
   * constructs).
   */
  receive(max: number, pick: (candidates: LocalMessage[]) => LocalMessage[] = (c) => c): LocalMessage[] {
    const now = this.clock.now();
    const out: LocalMessage[] = [];
    for (const m of pick(this.visible(RECEIVE_SAMPLE))) {
      if (out.length >= max) break;
      if (m.receiveCount >= this.maxReceiveCount && this.deadLetterQueue) {
        this.forget(m.messageId);
        this.deadLetterQueue.send(m.body, { messageId: m.messageId, deadLetterSourceQueue: this.arn, ...(m.traceHeader ? { traceHeader: m.traceHeader } : {}) });
        continue;
      }
      m.receiveCount++;
      m.firstReceivedAt ??= now;
      this.setVisibleAt(m, now + this.visibilityTimeoutMs);
      m.receiptHandle = `${m.messageId}#${m.receiveCount}`;
      out.push(m);
    }
    return out;
  }

  /** Deletes a received message; a stale receipt handle (message received again since) is ignored. */
  delete(receiptHandle: string): boolean {
    const [messageId] = receiptHandle.split('#');
    const m = messageId ? this.messages.get(messageId) : undefined;
    if (!m || m.receiptHandle !== receiptHandle) return false;
    this.forget(m.messageId);
    return true;
  }

  changeVisibility(receiptHandle: string, seconds: number): void {
    const [messageId] = receiptHandle.split('#');
    const m = messageId ? this.messages.get(messageId) : undefined;
    if (m && m.receiptHandle === receiptHandle) this.setVisibleAt(m, this.clock.now() + seconds * 1000);
  }

  /**
   * Hides a message until `visibleAt` without a receive (fault injection holds messages back so
   * that later ones overtake them).
   */
  hideUntil(message: LocalMessage, visibleAt: number): void {
    if (this.messages.get(message.messageId) === message) this.setVisibleAt(message, visibleAt);
  }

  private setVisibleAt(m: LocalMessage, visibleAt: number): void {
    (m as { visibleAt: number }).visibleAt = visibleAt;
    this.index.moved(this.seqs.get(m.messageId)!);
  }

  private forget(messageId: string): void {
    const seq = this.seqs.get(messageId);
    if (seq !== undefined) this.index.remove(seq);
    this.seqs.delete(messageId);
    this.messages.delete(messageId);
  }

  /** Earliest time a currently invisible message becomes visible again. */
  nextVisibleAt(): number | undefined {
    return this.index.earliest();
  }

  get size(): number {
    return this.messages.size;
  }

  /** When the oldest message still in the queue (visible or in flight) was sent; `undefined` when empty. */
  oldestSentAt(): number | undefined {
    let oldest: number | undefined;
    for (const m of this.messages.values()) if (oldest === undefined || m.sentAt < oldest) oldest = m.sentAt;
    return oldest;
  }

  /** All messages, for inspection (`saga dlq list`). */
  peekAll(): readonly LocalMessage[] {
    return [...this.messages.values()];
  }

  /** Moves every message to `target` (what SQS StartMessageMoveTask does for a DLQ). */
  moveAllTo(target: LocalQueue): number {
    const moved = [...this.messages.values()];
    for (const m of moved) target.send(m.body, { messageId: m.messageId, ...(m.traceHeader ? { traceHeader: m.traceHeader } : {}) });
    for (const m of moved) this.forget(m.messageId);
    return moved.length;
  }

  /** Lambda's view of a received message. */
  toRecord(m: LocalMessage): SQSRecord {
    if (!m.receiptHandle) throw new LocalCloudError(`Message ${m.messageId} has not been received.`);
    return {
      messageId: m.messageId,
      receiptHandle: m.receiptHandle,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: 'LOCALCLOUD',
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? m.sentAt),
        ...(m.deadLetterSourceQueue ? { DeadLetterQueueSourceArn: m.deadLetterSourceQueue } : {}),
        ...(m.traceHeader ? { AWSTraceHeader: m.traceHeader } : {}),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(m.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: this.arn,
      awsRegion: 'local',
    };
  }
}
