import { createParticipantHandler, type StepImplementations } from '../../lib/runtime/index.js';
import { orderSaga, type OrderSaga } from './definition.js';

/** Orders above this amount are declined (the reference app's stand-in for a card limit). */
export const CARD_LIMIT_CENTS = 50_000;
export const paymentKey = (orderId: string) => ({ pk: `payment#payment#${orderId}`, sk: 'payment' });

export const paymentSteps: StepImplementations<OrderSaga, 'payment'> = {
  capturePayment: {
    forward(ctx) {
      const { orderId, amountCents, customerId } = ctx.payload;
      if (amountCents > CARD_LIMIT_CENTS) {
        return ctx.fail('card limit exceeded', ctx.emit('PaymentDeclined', { orderId, reason: `amount ${amountCents} exceeds the card limit of ${CARD_LIMIT_CENTS}` }));
      }
      const paymentId = `pay-${ctx.event.id.slice(0, 8)}`;
      ctx.db.put({ Item: { ...paymentKey(orderId), orderId, sagaId: ctx.sagaId, paymentId, customerId, amountCents, status: 'captured', capturedAt: ctx.now.toISOString() } });
      return ctx.done(ctx.emit('PaymentCaptured', { orderId, amountCents, paymentId }));
    },
    compensate(ctx) {
      // Payment is the pivot: once captured, the saga finishes forward and the timeout is ignored.
      if (ctx.forward.status === 'done') return ctx.ignore('payment was captured before the deadline; the order completes');
      return ctx.done(ctx.emit('PaymentVoided', { reason: `deadline ${ctx.payload.deadline} passed before payment` }));
    },
  },
};

export const handler = createParticipantHandler(orderSaga, 'payment', paymentSteps);
