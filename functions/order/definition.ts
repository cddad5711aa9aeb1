import * as z from 'zod/mini';
import { defineSaga } from '../../lib/core/index.js';

const orderId = z.string().check(z.minLength(1), z.maxLength(64));
const sku = z.string().check(z.minLength(1), z.maxLength(64));
/** Loyalty points the customer redeems on this order (1 point = 1 cent off); absent = none. */
const pointsToRedeem = z.optional(z.int().check(z.nonnegative()));

/**
 * The reference order saga (DESIGN §5, from the seed articles): stock is deducted first, so the
 * system may undersell but never oversell. Payment is the pivot: once captured, the saga only
 * moves forward (completing the order is a must-succeed step).
 *
 * Backward recovery runs newest first: a declined payment or a timeout cancels the order, and a
 * cancelled order releases its stock.
 *
 * Points are a TCC participant: the *try* freezes the points an order redeems (other orders
 * cannot spend them), payment only runs once they are frozen (the try's "yes" vote), and the
 * saga's outcome is the decision — `OrderCompleted` confirms (the frozen points are spent),
 * `StockReleased` (the end of backward recovery) cancels (they are unfrozen).
 */
export const orderSaga = defineSaga({
  name: 'order',
  version: 1,
  description: 'Inventory → order → payment, choreographed, with compensation newest first.',
  deadlineSeconds: 300,
  start: 'OrderRequested',
  events: {
    OrderRequested: z.object({ orderId, customerId: z.string().check(z.minLength(1)), sku, quantity: z.int().check(z.positive()), amountCents: z.int().check(z.nonnegative()), pointsToRedeem }),
    StockReserved: z.object({ orderId, sku, quantity: z.int().check(z.positive()), amountCents: z.int().check(z.nonnegative()), customerId: z.string(), pointsToRedeem }),
    StockUnavailable: z.object({ orderId, sku, requested: z.int(), available: z.int() }),
    OrderCreated: z.object({ orderId, amountCents: z.int().check(z.nonnegative()), customerId: z.string(), pointsToRedeem }),
    // amountCents is what is left to pay once the frozen points are taken off.
    PointsFrozen: z.object({ orderId, amountCents: z.int().check(z.nonnegative()), customerId: z.string(), points: z.int().check(z.nonnegative()) }),
    PointsUnavailable: z.object({ orderId, customerId: z.string(), requested: z.int(), available: z.int() }),
    PaymentCaptured: z.object({ orderId, amountCents: z.int().check(z.nonnegative()), paymentId: z.string() }),
    PaymentDeclined: z.object({ orderId, reason: z.string() }),
    PaymentVoided: z.object({ reason: z.string() }),
    OrderCompleted: z.object({ orderId }),
    // Empty orderId / sku when the compensation was a null compensation (nothing had been done).
    OrderCancelled: z.object({ orderId: z.string(), reason: z.string() }),
    StockReleased: z.object({ orderId: z.string(), sku: z.string(), quantity: z.int().check(z.nonnegative()) }),
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
          compensation: { on: ['PaymentDeclined', 'PaymentVoided', 'PointsUnavailable'], emits: ['OrderCancelled'] },
        },
        completeOrder: { on: 'PaymentCaptured', emits: ['OrderCompleted'], mustSucceed: true },
      },
    },
    points: {
      description: 'TCC: freezes the points an order redeems; spends them when the order completes, unfreezes them when it is cancelled.',
      steps: {
        freezePoints: {
          on: 'OrderCreated',
          emits: ['PointsFrozen'],
          failsWith: ['PointsUnavailable'],
          compensation: { on: ['StockReleased'], emits: [] },
          confirmation: { on: ['OrderCompleted'] },
        },
      },
    },
    payment: {
      description: 'Captures the payment (the pivot) once the points are frozen; a timeout before capture voids it.',
      steps: {
        capturePayment: {
          on: 'PointsFrozen',
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
