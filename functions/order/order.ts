import { createParticipantHandler, type StepImplementations } from '../../lib/runtime/index.js';
import { orderSaga, type OrderSaga } from './definition.js';

/** The order row: `created` → `completed` once paid, or `cancelled` by compensation. */
export const orderKey = (orderId: string) => ({ pk: `order#order#${orderId}`, sk: 'order' });

export const orderSteps: StepImplementations<OrderSaga, 'order'> = {
  createOrder: {
    forward(ctx) {
      const { orderId, amountCents, customerId, sku, quantity, pointsToRedeem } = ctx.payload;
      ctx.db.put({
        Item: { ...orderKey(orderId), orderId, sagaId: ctx.sagaId, status: 'created', amountCents, customerId, sku, quantity, createdAt: ctx.now.toISOString() },
        ConditionExpression: 'attribute_not_exists(pk)',
      });
      ctx.remember({ orderId });
      return ctx.done(ctx.emit('OrderCreated', { orderId, amountCents, customerId, ...(pointsToRedeem ? { pointsToRedeem } : {}) }));
    },
    compensate(ctx) {
      // A timeout's PaymentVoided carries no order id: the step's own record remembers it.
      const orderId = ctx.forward.status === 'done' ? String(ctx.forward.data.orderId) : 'orderId' in ctx.payload ? ctx.payload.orderId : '';
      const p = ctx.payload;
      const reason =
        ctx.event.type === 'PaymentDeclined' && 'reason' in p
          ? `payment declined: ${p.reason}`
          : ctx.event.type === 'PointsUnavailable' && 'requested' in p
            ? `not enough points: ${p.requested} requested, ${p.available} available`
            : `saga timed out before payment (${'reason' in p ? p.reason : 'deadline'})`;
      if (ctx.forward.status === 'done') {
        // Only a created (unpaid) order can be cancelled; a completed one would make this
        // transaction fail, retry and end in the DLQ for an operator — never "paid and cancelled".
        ctx.db.update({ Key: orderKey(orderId), UpdateExpression: 'SET #s = :cancelled, cancelReason = :r', ConditionExpression: '#s = :created', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':cancelled': 'cancelled', ':created': 'created', ':r': reason } });
      }
      return ctx.done(ctx.emit('OrderCancelled', { orderId, reason }));
    },
  },
  completeOrder: {
    async forward(ctx) {
      const { orderId } = ctx.payload;
      const order = await ctx.db.get(orderKey(orderId));
      if (order?.status !== 'created') return ctx.retryLater(`order ${orderId} is ${String(order?.status ?? 'missing')}, expected created`);
      ctx.db.update({ Key: orderKey(orderId), UpdateExpression: 'SET #s = :completed, paymentId = :p', ConditionExpression: '#s = :created', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':completed': 'completed', ':created': 'created', ':p': ctx.payload.paymentId } });
      return ctx.done(ctx.emit('OrderCompleted', { orderId }));
    },
  },
};

export const handler = createParticipantHandler(orderSaga, 'order', orderSteps);
