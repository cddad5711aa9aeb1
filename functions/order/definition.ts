import * as v from 'valibot';
import { defineSaga } from '../../lib/core/index.js';

// valibot, not zod/mini: any Standard Schema library works, and for these constraints valibot
// costs ≈ 5 KB of a participant bundle where zod/mini costs ≈ 18 KB (docs/performance.md, §5).
// zod's `z.int()` is a safe integer; `positive` is `> 0` as with zod's `z.positive()`.
const orderId = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
const sku = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
const int = () => v.pipe(v.number(), v.safeInteger());
const positive = () => v.pipe(v.number(), v.safeInteger(), v.gtValue(0));
const nonnegative = () => v.pipe(v.number(), v.safeInteger(), v.minValue(0));
/** Loyalty points the customer redeems on this order (1 point = 1 cent off); absent = none. */
const pointsToRedeem = v.optional(nonnegative());

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
    OrderRequested: v.object({ orderId, customerId: v.pipe(v.string(), v.minLength(1)), sku, quantity: positive(), amountCents: nonnegative(), pointsToRedeem }),
    StockReserved: v.object({ orderId, sku, quantity: positive(), amountCents: nonnegative(), customerId: v.string(), pointsToRedeem }),
    StockUnavailable: v.object({ orderId, sku, requested: int(), available: int() }),
    OrderCreated: v.object({ orderId, amountCents: nonnegative(), customerId: v.string(), pointsToRedeem }),
    // amountCents is what is left to pay once the frozen points are taken off.
    PointsFrozen: v.object({ orderId, amountCents: nonnegative(), customerId: v.string(), points: nonnegative() }),
    PointsUnavailable: v.object({ orderId, customerId: v.string(), requested: int(), available: int() }),
    PaymentCaptured: v.object({ orderId, amountCents: nonnegative(), paymentId: v.string() }),
    PaymentDeclined: v.object({ orderId, reason: v.string() }),
    PaymentVoided: v.object({ reason: v.string() }),
    OrderCompleted: v.object({ orderId }),
    // Empty orderId / sku when the compensation was a null compensation (nothing had been done).
    OrderCancelled: v.object({ orderId: v.string(), reason: v.string() }),
    StockReleased: v.object({ orderId: v.string(), sku: v.string(), quantity: nonnegative() }),
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
