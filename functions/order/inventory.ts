import { createParticipantHandler, type StepImplementations } from '../../lib/runtime/index.js';
import { orderSaga, type OrderSaga } from './definition.js';

/** Stock of one SKU: `available` can be sold, `reserved` is held by running or completed orders. */
export const stockKey = (sku: string) => ({ pk: `inventory#stock#${sku}`, sk: 'stock' });

export const inventorySteps: StepImplementations<OrderSaga, 'inventory'> = {
  reserveStock: {
    async forward(ctx) {
      const { orderId, sku, quantity, amountCents, customerId, pointsToRedeem } = ctx.payload;
      const stock = await ctx.db.get(stockKey(sku));
      const available = typeof stock?.available === 'number' ? stock.available : 0;
      if (available < quantity) {
        return ctx.fail(`only ${available} of ${sku} left`, ctx.emit('StockUnavailable', { orderId, sku, requested: quantity, available }));
      }
      // The condition re-checks at commit time: a concurrent order for the same SKU makes the
      // transaction fail and the step re-run with fresh stock, so stock never goes negative.
      ctx.db.update({
        Key: stockKey(sku),
        UpdateExpression: 'SET available = available - :q, reserved = reserved + :q',
        ConditionExpression: 'available >= :q',
        ExpressionAttributeValues: { ':q': quantity },
      });
      ctx.remember({ sku, quantity });
      return ctx.done(ctx.emit('StockReserved', { orderId, sku, quantity, amountCents, customerId, ...(pointsToRedeem ? { pointsToRedeem } : {}) }));
    },
    async compensate(ctx) {
      const { orderId } = ctx.payload;
      if (ctx.forward.status !== 'done') return ctx.done(ctx.emit('StockReleased', { orderId, sku: '', quantity: 0 }));
      const { sku, quantity } = ctx.forward.data as { sku: string; quantity: number };
      ctx.db.update({
        Key: stockKey(sku),
        UpdateExpression: 'SET available = available + :q, reserved = reserved - :q',
        ConditionExpression: 'reserved >= :q',
        ExpressionAttributeValues: { ':q': quantity },
      });
      return ctx.done(ctx.emit('StockReleased', { orderId, sku, quantity }));
    },
  },
};

/** Lambda entry: SQS batch of EventBridge events; configuration from the environment. */
export const handler = createParticipantHandler(orderSaga, 'inventory', inventorySteps);
