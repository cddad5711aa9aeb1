import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { orderSaga, orderSteps } from '../../functions/order/index.js';
import { sourceFor } from '../../lib/core/model.js';
import { createParticipantHandler, type RecordOutcome } from '../../lib/runtime/participant/handler.js';
import { InMemoryMetrics, silentLogger } from '../../lib/runtime/shared/ports.js';
import { freshTable } from '../support/dynamo.js';

let seq = 0;
function record(type: string, producer: string, sagaId: string, eventId: string, payload: unknown): SQSRecord {
  const messageId = `m-dup-${++seq}`;
  const body = JSON.stringify({
    version: '0',
    id: `eb-${seq}`,
    'detail-type': type,
    source: sourceFor(orderSaga, producer),
    account: '000000000000',
    time: '2026-01-01T00:00:00Z',
    region: 'local',
    resources: [],
    detail: { eventId, sagaId, definition: orderSaga.name, definitionVersion: orderSaga.version, type, producer, occurredAt: '2026-01-01T00:00:00.000Z', payload },
  });
  return {
    messageId,
    receiptHandle: `${messageId}#1`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'TEST', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: 'x',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:order-queue',
    awsRegion: 'local',
  };
}

describe('a duplicate whose own pre-checks fail because it already took effect', () => {
  it('is acknowledged as a duplicate by the barrier, not retried into the DLQ (completeOrder finds its order completed)', async () => {
    // GIVEN the order participant created order o-dup and completed it on PaymentCaptured
    const { client, tableName } = await freshTable('dup-after-effect');
    const outcomes: RecordOutcome[] = [];
    let n = 0;
    const handler = createParticipantHandler(orderSaga, 'order', orderSteps, {
      client,
      tableName,
      clock: { now: () => Date.parse('2026-01-01T00:00:00.000Z') + n },
      ids: () => `id-dup-after-effect-${++n}`,
      logger: silentLogger,
      metrics: new InMemoryMetrics(),
      onOutcome: (o) => outcomes.push(o),
    });
    const sagaId = 's-dup-after-effect';
    const created = await handler({ Records: [record('StockReserved', 'inventory', sagaId, 'e-stock-reserved', { orderId: 'o-dup', sku: 'sku-1', quantity: 1, amountCents: 900, customerId: 'c-1' })] });
    const captured = record('PaymentCaptured', 'payment', sagaId, 'e-payment-captured', { orderId: 'o-dup', amountCents: 900, paymentId: 'pay-1' });
    const completed = await handler({ Records: [captured] });
    expect([...created.batchItemFailures, ...completed.batchItemFailures]).toEqual([]);

    // WHEN PaymentCaptured is delivered again (at-least-once)
    const again = await handler({ Records: [{ ...captured, messageId: 'm-dup-again', receiptHandle: 'm-dup-again#1' }] });

    // THEN completeOrder's own check ("order is completed, expected created") does not turn it into a retry
    expect(again.batchItemFailures).toEqual([]);
    expect(outcomes.at(-1)).toMatchObject({ messageId: 'm-dup-again', kind: 'duplicate' });
  });
});
