import { createHash } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../lib/local/clock.js';
import { LocalCloudError } from '../../lib/local/errors.js';
import { LocalQueue, RECEIVE_SAMPLE, type LocalQueueOptions } from '../../lib/local/queue.js';
import { loadFixture, T0 } from '../support/events.js';

/** LocalQueue against SQS standard-queue semantics, on the virtual clock. */

function setup(options: Omit<LocalQueueOptions, 'deadLetterQueue'> & { dlq?: boolean } = {}) {
  const clock = new VirtualClock(T0);
  let n = 0;
  const ids = () => `msg-${++n}`;
  const dlq = options.dlq === false ? undefined : new LocalQueue('orders-dlq', clock, ids, { maxReceiveCount: 1_000 });
  const queue = new LocalQueue('orders', clock, ids, { visibilityTimeoutSeconds: 30, maxReceiveCount: 3, ...options, ...(dlq ? { deadLetterQueue: dlq } : {}) });
  return { clock, queue, dlq };
}

describe('LocalQueue: what a receive chooses from', () => {
  it('offers the pick the oldest visible messages only, at most RECEIVE_SAMPLE of them, skipping those in flight', () => {
    // GIVEN a deep backlog whose two oldest messages are in flight
    const { queue } = setup();
    for (let i = 0; i < RECEIVE_SAMPLE + 50; i++) queue.send(`m${i}`);
    expect(queue.receive(2).map((m) => m.body)).toEqual(['m0', 'm1']);
    // WHEN the next receive picks
    let offered: string[] = [];
    const got = queue.receive(10, (candidates) => {
      offered = candidates.map((m) => m.body);
      return [...candidates].reverse();
    });
    // THEN it saw the oldest RECEIVE_SAMPLE visible messages, and got what the pick ordered first
    expect(offered).toHaveLength(RECEIVE_SAMPLE);
    expect(offered[0]).toBe('m2');
    expect(offered.at(-1)).toBe(`m${RECEIVE_SAMPLE + 1}`);
    expect(got.map((m) => m.body)).toEqual(offered.slice(-10).reverse());
    expect(queue.hasVisible()).toBe(true);
  });
});

describe('LocalQueue: visibility timeout', () => {
  it('hides a received message for the visibility timeout of virtual time, then delivers it again', () => {
    // GIVEN a message received once
    const { clock, queue } = setup();
    queue.send('hello');
    const [first] = queue.receive(10);
    expect(first?.receiveCount).toBe(1);
    // WHEN the timeout has not fully passed
    clock.advance(30_000 - 1);
    // THEN it stays hidden
    expect(queue.receive(10)).toEqual([]);
    expect(queue.size).toBe(1);
    // WHEN it passes
    clock.advance(1);
    const [again] = queue.receive(10);
    // THEN it is delivered again with a higher receive count and a new receipt handle
    expect(again?.messageId).toBe(first?.messageId);
    expect(again?.receiveCount).toBe(2);
    expect(queue.toRecord(again!).attributes.ApproximateReceiveCount).toBe('2');
  });

  it('honours DelaySeconds on send', () => {
    const { clock, queue } = setup();
    queue.send('later', { delaySeconds: 5 });
    expect(queue.receive(1)).toEqual([]);
    clock.advance(5_000);
    expect(queue.receive(1).map((m) => m.body)).toEqual(['later']);
  });

  it('changeVisibility with the current receipt handle makes the message visible at the new time', () => {
    const { clock, queue } = setup();
    queue.send('x');
    const [m] = queue.receive(1);
    const handle = m!.receiptHandle!;
    queue.changeVisibility(handle, 0);
    expect(queue.receive(1)).toHaveLength(1);
    // a stale handle no longer changes anything
    queue.changeVisibility(handle, 0);
    expect(queue.receive(1)).toEqual([]);
    clock.advance(30_000);
    expect(queue.receive(1)).toHaveLength(1);
  });

  it('receives at most the batch size, oldest first', () => {
    const { queue } = setup();
    for (const body of ['a', 'b', 'c', 'd']) queue.send(body);
    expect(queue.receive(3).map((m) => m.body)).toEqual(['a', 'b', 'c']);
    expect(queue.receive(3).map((m) => m.body)).toEqual(['d']);
  });

  it('offers messages that become visible again in send order, before later ones, however they were hidden', () => {
    // GIVEN a, b, c, d, e sent in that order; a, b, d received (hidden 30 s), a's visibility then
    // changed to 20 s, c hidden for 10 s without a receive, e sent with a delay of 25 s
    const { clock, queue } = setup();
    for (const body of ['a', 'b', 'c', 'd']) queue.send(body);
    queue.send('e', { delaySeconds: 25 });
    const received = queue.receive(10, (candidates) => candidates.filter((m) => m.body !== 'c'));
    queue.changeVisibility(received.find((m) => m.body === 'a')!.receiptHandle!, 20);
    queue.hideUntil(queue.peekAll().find((m) => m.body === 'c')!, T0 + 10_000);
    const offered = () => queue.visible().map((m) => m.body);
    // WHEN the clock passes each of those times
    const seen = [offered()];
    const wakeUps = [queue.nextVisibleAt()];
    for (const at of [10_000, 20_000, 25_000, 30_000]) {
      clock.advanceTo(T0 + at);
      seen.push(offered());
    }
    // THEN each message rejoins at its place in send order, and the first wake-up was c's
    expect(seen).toEqual([[], ['c'], ['a', 'c'], ['a', 'c', 'e'], ['a', 'b', 'c', 'd', 'e']]);
    expect(wakeUps).toEqual([T0 + 10_000]);
  });

  it('reports when the next hidden message becomes visible', () => {
    const { queue } = setup();
    queue.send('x');
    queue.receive(1);
    expect(queue.nextVisibleAt()).toBe(T0 + 30_000);
  });
});

describe('LocalQueue: delete and receipt handles', () => {
  it('deletes a message with its current receipt handle', () => {
    const { queue } = setup();
    queue.send('x');
    const [m] = queue.receive(1);
    expect(queue.delete(m!.receiptHandle!)).toBe(true);
    expect(queue.size).toBe(0);
  });

  it('fails if the receipt handle is stale: the message was received again since, and stays', () => {
    // GIVEN a message received twice (the first consumer was too slow)
    const { clock, queue } = setup();
    queue.send('x');
    const stale = queue.receive(1)[0]!.receiptHandle!;
    clock.advance(30_000);
    const current = queue.receive(1)[0]!.receiptHandle!;
    // WHEN the first consumer deletes with its old handle
    // THEN nothing is deleted
    expect(stale).not.toBe(current);
    expect(queue.delete(stale)).toBe(false);
    expect(queue.size).toBe(1);
    expect(queue.delete(current)).toBe(true);
  });
});

describe('LocalQueue: dead-letter queue and redrive', () => {
  it('moves a message to the DLQ on the receive after its maxReceiveCount-th receive', () => {
    // GIVEN maxReceiveCount 3 and a consumer that never deletes
    const { clock, queue, dlq } = setup();
    queue.send('poison');
    for (let i = 1; i <= 3; i++) {
      expect(queue.receive(10).map((m) => m.receiveCount)).toEqual([i]);
      clock.advance(30_000);
    }
    // THEN after the 3rd receive it is still in the source queue …
    expect(queue.size).toBe(1);
    expect(dlq!.size).toBe(0);
    // … and the next receive moves it instead of delivering it
    expect(queue.receive(10)).toEqual([]);
    expect(queue.size).toBe(0);
    const [dead] = dlq!.receive(10);
    expect(dead).toMatchObject({ messageId: 'msg-1', body: 'poison', receiveCount: 1 });
    expect(dlq!.toRecord(dead!).attributes.DeadLetterQueueSourceArn).toBe(queue.arn);
  });

  it('keeps delivering when no DLQ is configured (as SQS without a redrive policy)', () => {
    const { clock, queue } = setup({ dlq: false });
    queue.send('x');
    for (let i = 1; i <= 5; i++) {
      expect(queue.receive(1)[0]?.receiveCount).toBe(i);
      clock.advance(30_000);
    }
  });

  it('redrives: moving the DLQ back gives the message a fresh receive count', () => {
    // GIVEN a message in the DLQ
    const { clock, queue, dlq } = setup({ maxReceiveCount: 1 });
    queue.send('x');
    queue.receive(1);
    clock.advance(30_000);
    queue.receive(1);
    expect(dlq!.size).toBe(1);
    // WHEN redriven
    expect(dlq!.moveAllTo(queue)).toBe(1);
    // THEN it is back, deliverable, counted from zero
    expect(dlq!.size).toBe(0);
    expect(queue.receive(1)).toMatchObject([{ body: 'x', receiveCount: 1 }]);
  });

  it('fails if maxReceiveCount is not a positive integer', () => {
    const clock = new VirtualClock(T0);
    expect(() => new LocalQueue('q', clock, () => 'id', { maxReceiveCount: 0 })).toThrow(LocalCloudError);
    expect(() => new LocalQueue('q', clock, () => 'id', { maxReceiveCount: 1.5 })).toThrow(/maxReceiveCount must be an integer ≥ 1, got 1.5/);
  });
});

describe('LocalQueue: the Lambda SQS record', () => {
  it('has the same fields as a real SQS record from AWS (fixture), with a correct MD5 of the body', () => {
    // GIVEN a received message
    const { queue } = setup();
    const body = JSON.stringify({ hello: 'wörld' });
    queue.send(body);
    const record = queue.toRecord(queue.receive(1)[0]!);
    // THEN
    const real = (loadFixture('sqs-order-placed.json') as SQSEvent).Records[0]!;
    expect(Object.keys(record).sort()).toEqual(Object.keys(real).sort());
    expect(Object.keys(record.attributes).sort()).toEqual(Object.keys(real.attributes).sort());
    expect(record).toMatchObject({ body, eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:local:000000000000:orders', md5OfBody: createHash('md5').update(body).digest('hex') });
    expect(record.attributes).toMatchObject({ ApproximateReceiveCount: '1', SentTimestamp: String(T0), ApproximateFirstReceiveTimestamp: String(T0) });
  });

  it('fails if the message was never received (no receipt handle)', () => {
    const { queue } = setup();
    queue.send('x');
    expect(() => queue.toRecord(queue.peekAll()[0]!)).toThrow(/has not been received/);
  });
});
