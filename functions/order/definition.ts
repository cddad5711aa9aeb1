import { z } from 'zod';
import { defineSaga } from '../../lib/core/index.js';

const orderId = z.string().min(1).max(64);
const sku = z.string().min(1).max(64);

/**
 * The reference order saga (DESIGN §5, from the seed articles): stock is deducted first, so the
 * system may undersell but never oversell. Payment is the pivot: once captured, the saga only
 * moves forward (completing the order is a must-succeed step).
 *
 * Backward recovery runs newest first: a declined payment or a timeout cancels the order, and a
 * cancelled order releases its stock.
 */
export const orderSaga = defineSaga({
  name: 'order',
  version: 1,
  description: 'Inventory → order → payment, choreographed, with compensation newest first.',
  deadlineSeconds: 300,
  start: 'OrderRequested',
  events: {
    OrderRequested: z.object({ orderId, customerId: z.string().min(1), sku, quantity: z.number().int().positive(), amountCents: z.number().int().nonnegative() }),
    StockReserved: z.object({ orderId, sku, quantity: z.number().int().positive(), amountCents: z.number().int().nonnegative(), customerId: z.string() }),
    StockUnavailable: z.object({ orderId, sku, requested: z.number().int(), available: z.number().int() }),
    OrderCreated: z.object({ orderId, amountCents: z.number().int().nonnegative(), customerId: z.string() }),
    PaymentCaptured: z.object({ orderId, amountCents: z.number().int().nonnegative(), paymentId: z.string() }),
    PaymentDeclined: z.object({ orderId, reason: z.string() }),
    PaymentVoided: z.object({ reason: z.string() }),
    OrderCompleted: z.object({ orderId }),
    // Empty orderId / sku when the compensation was a null compensation (nothing had been done).
    OrderCancelled: z.object({ orderId: z.string(), reason: z.string() }),
    StockReleased: z.object({ orderId: z.string(), sku: z.string(), quantity: z.number().int().nonnegative() }),
  },
  participants: {
    inventory: {
      description: 'Deducts stock first; restocks on cancellation.',
      steps: {
        reserveStock: {
          on: 'OrderRequested',
          emits: ['StockReserved'],
          failsWith: ['StockUnavailable'],
          compensation: { on: ['OrderCancelled'], emits: ['StockReleased'] },
        },
      },
    },
    order: {
      description: 'Creates the order; completes it once paid, cancels it on failure.',
      steps: {
        createOrder: {
          on: 'StockReserved',
          emits: ['OrderCreated'],
          compensation: { on: ['PaymentDeclined', 'PaymentVoided'], emits: ['OrderCancelled'] },
        },
        completeOrder: { on: 'PaymentCaptured', emits: ['OrderCompleted'], mustSucceed: true },
      },
    },
    payment: {
      description: 'Captures the payment (the pivot); a timeout before capture voids it.',
      steps: {
        capturePayment: {
          on: 'OrderCreated',
          emits: ['PaymentCaptured'],
          failsWith: ['PaymentDeclined'],
          pivot: true,
          compensation: { on: ['SagaTimedOut'], emits: ['PaymentVoided'] },
        },
      },
    },
  },
  terminal: { success: ['OrderCompleted'], failure: ['StockUnavailable', 'StockReleased'] },
});

export type OrderSaga = typeof orderSaga;
