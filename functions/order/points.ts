import { createTccParticipantHandler, type StepImplementations } from '../../lib/runtime/index.js';
import { orderSaga, type OrderSaga } from './definition.js';

/**
 * A customer's points: `available` can be redeemed, `frozen` is held by running orders (the TCC
 * try), `spent` was redeemed by completed orders (the confirm). available + frozen + spent only
 * changes when points are granted, so frozen points are never spent twice nor lost.
 */
export const pointsAccountKey = (customerId: string) => ({ pk: `points#account#${customerId}`, sk: 'account' });

/** What the try remembers for its confirm and its cancel. */
interface Frozen {
  readonly customerId: string;
  readonly points: number;
}

export const pointsSteps: StepImplementations<OrderSaga, 'points'> = {
  freezePoints: {
    /** Try: freeze the points the order redeems, so no other order can spend them. */
    async forward(ctx) {
      const { orderId, amountCents, customerId, pointsToRedeem = 0 } = ctx.payload;
      if (pointsToRedeem > 0) {
        const account = await ctx.db.get(pointsAccountKey(customerId));
        const available = typeof account?.available === 'number' ? account.available : 0;
        if (available < pointsToRedeem) {
          return ctx.fail(`only ${available} points`, ctx.emit('PointsUnavailable', { orderId, customerId, requested: pointsToRedeem, available }));
        }
        // Re-checked at commit: two orders of one customer cannot freeze the same points.
        ctx.db.update({
          Key: pointsAccountKey(customerId),
          UpdateExpression: 'SET available = available - :p, frozen = frozen + :p',
          ConditionExpression: 'available >= :p',
          ExpressionAttributeValues: { ':p': pointsToRedeem },
        });
      }
      ctx.remember({ customerId, points: pointsToRedeem } satisfies Frozen);
      return ctx.done(ctx.emit('PointsFrozen', { orderId, customerId, points: pointsToRedeem, amountCents: Math.max(0, amountCents - pointsToRedeem) }));
    },
    /** Confirm (the order completed): the frozen points are spent. */
    confirm(ctx) {
      const { customerId, points } = ctx.reserved as unknown as Frozen;
      if (points > 0) {
        ctx.db.update({
          Key: pointsAccountKey(customerId),
          UpdateExpression: 'SET frozen = frozen - :p, spent = spent + :p',
          ConditionExpression: 'frozen >= :p',
          ExpressionAttributeValues: { ':p': points },
        });
      }
      return ctx.done();
    },
    /** Cancel (the order was cancelled): the frozen points become available again. A null cancel does nothing. */
    compensate(ctx) {
      if (ctx.forward.status !== 'done') return ctx.done();
      const { customerId, points } = ctx.forward.data as unknown as Frozen;
      if (points > 0) {
        ctx.db.update({
          Key: pointsAccountKey(customerId),
          UpdateExpression: 'SET frozen = frozen - :p, available = available + :p',
          ConditionExpression: 'frozen >= :p',
          ExpressionAttributeValues: { ':p': points },
        });
      }
      return ctx.done();
    },
  },
};

export const handler = createTccParticipantHandler(orderSaga, 'points', pointsSteps);
