import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { orderSteps } from '../../functions/order/index.js';
import { failureKey } from '../../lib/core/keys.js';
import type { LocalCloud } from '../../lib/local/cloud.js';
import { scheduleReconciler } from '../../lib/local/reconciler-schedule.js';
import { backoffSeconds, queueUrlFromArn } from '../../lib/runtime/participant/forward-recovery.js';
import { METRIC } from '../../lib/runtime/shared/ports.js';
import { order, orderCloud, saga, stock } from './reconciler/support.js';

let cloud: LocalCloud | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

describe('backoffSeconds', () => {
  it('doubles from the base per receive and stops at the cap', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffSeconds(n))).toEqual([2, 4, 8, 16, 32]);
    expect(backoffSeconds(20)).toBe(900);
    expect(backoffSeconds(3, { baseSeconds: 10, maxSeconds: 25 })).toBe(25);
  });
});

describe('queueUrlFromArn', () => {
  it('builds the SQS URL, or the endpoint override\'s', () => {
    expect(queueUrlFromArn('arn:aws:sqs:eu-west-1:123456789012:inventory-queue', undefined)).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/inventory-queue');
    expect(queueUrlFromArn('arn:aws:sqs:us-east-1:000000000000:q', 'http://localhost:4566/')).toBe('http://localhost:4566/000000000000/q');
  });
  it('fails if the ARN is not an SQS queue ARN', () => {
    expect(() => queueUrlFromArn('arn:aws:sns:us-east-1:1:t', undefined)).toThrow(/Not an SQS queue ARN/);
  });
});

describe('forward recovery of a must-succeed step', () => {
  it('retries with growing delays until the step succeeds', async () => {
    // GIVEN completeOrder (mustSucceed) fails its first three attempts
    const attemptsAt: number[] = [];
    cloud = await orderCloud({
      order: {
        createOrder: orderSteps.createOrder,
        completeOrder: {
          async forward(ctx) {
            attemptsAt.push(ctx.now.getTime());
            if (attemptsAt.length <= 3) throw new Error('order store unavailable');
            return orderSteps.completeOrder.forward(ctx);
          },
        },
      },
    });
    const { sagaId } = await cloud.startSaga(order('o-retry'));
    // WHEN
    await cloud.runUntilQuiet();
    // THEN it completed on the 4th attempt, after ≈2 s, 4 s and 8 s — not after the 180 s visibility timeout
    expect((await saga(cloud, sagaId)).status).toBe('completed');
    expect(attemptsAt).toHaveLength(4);
    const gaps = attemptsAt.slice(1).map((t, i) => Math.round((t - attemptsAt[i]!) / 1000));
    expect(gaps).toEqual([2, 4, 8]);
    expect(cloud.metrics.total(METRIC.lastAttemptFailures)).toBe(0);
  });

  it('honours the delay a step asks for with retryLater', async () => {
    const attemptsAt: number[] = [];
    cloud = await orderCloud({
      order: {
        createOrder: orderSteps.createOrder,
        completeOrder: {
          async forward(ctx) {
            attemptsAt.push(ctx.now.getTime());
            if (attemptsAt.length === 1) return ctx.retryLater('ledger closed for a minute', { delaySeconds: 60 });
            return orderSteps.completeOrder.forward(ctx);
          },
        },
      },
    });
    const { sagaId } = await cloud.startSaga(order('o-later'));
    await cloud.runUntilQuiet();
    expect((await saga(cloud, sagaId)).status).toBe('completed');
    expect(Math.round((attemptsAt[1]! - attemptsAt[0]!) / 1000)).toBe(60);
  });

  it('ends in the DLQ after maxReceiveCount attempts, leaves a failure record and gets its saga flagged', async () => {
    // GIVEN completeOrder always fails, and the reconciler runs
    let attempts = 0;
    cloud = await orderCloud({
      order: {
        createOrder: orderSteps.createOrder,
        completeOrder: {
          forward(ctx) {
            attempts++;
            return ctx.retryLater('order store unavailable');
          },
        },
      },
    });
    scheduleReconciler(cloud);
    const { sagaId } = await cloud.startSaga(order('o-dlq'));
    // WHEN
    const run = await cloud.runUntilQuiet();
    // THEN five attempts, the message in order's DLQ, a failure record with the reason, the saga flagged
    expect(run.quiet).toBe(true);
    expect(attempts).toBe(5);
    const [dead] = cloud.consumer('order').dlq.peekAll();
    expect(dead?.body).toContain('"detail-type":"PaymentCaptured"');
    const failure = await cloud.client.send(new GetCommand({ TableName: cloud.tableName, Key: failureKey('order', dead!.messageId) }));
    expect(failure.Item).toMatchObject({ participant: 'order', step: 'completeOrder', phase: 'forward', mustSucceed: true, receiveCount: 5, error: 'retryLater: order store unavailable', sagaId });
    const record = await saga(cloud, sagaId);
    expect(record.status).toBe('failed-needs-attention');
    expect(record.flaggedReason).toContain('order.completeOrder forward step (must succeed) failed on its last allowed attempt (5 of 5)');
    expect(record.flaggedReason).toContain('order store unavailable');
    // The payment was captured (the pivot): the saga must not be compensated, and the stock stays sold.
    expect(record.timeoutPublishedAt).toBeUndefined();
    expect(await stock(cloud)).toEqual({ available: 8, reserved: 2 });
  });

  it('does not flag a saga whose ordinary forward step failed: the deadline compensates it', async () => {
    // GIVEN capturePayment (the pivot, not must-succeed) always crashes
    cloud = await orderCloud({
      payment: {
        capturePayment: {
          forward: () => {
            throw new Error('card network down');
          },
          compensate: (await import('../../functions/order/index.js')).paymentSteps.capturePayment.compensate,
        },
      },
    });
    scheduleReconciler(cloud);
    const { sagaId } = await cloud.startSaga(order('o-pivot-crash'));
    await cloud.runUntilQuiet();
    const record = await saga(cloud, sagaId);
    expect(record.status).toBe('compensated');
    expect(record.failures?.[0]).toMatchObject({ participant: 'payment', step: 'capturePayment', phase: 'forward', error: 'Error: card network down' });
    expect(record.flaggedReason).toBeUndefined();
    expect(await stock(cloud)).toEqual({ available: 10, reserved: 0 });
    expect(cloud.metrics.total(METRIC.sagasFlagged)).toBe(0);
  });
});
