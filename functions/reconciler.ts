import { reconcilerHandlerFor, reservationExpiryCheck } from '../lib/runtime/index.js';
import { orderStockCheck } from './order/checks.js';
import { orderSaga } from './order/definition.js';

/**
 * Reconciler of the reference order saga, run by a schedule: deadlines → SagaTimedOut through the
 * outbox, lost publishes republished, stuck sagas flagged, and the inventory/orders check (对账);
 * expired TCC reservations (the points service's) are finished according to their saga's decision.
 * Its own entry (not the generated default) because of the order-stock check.
 */
export const handler = reconcilerHandlerFor(orderSaga, [orderStockCheck(), reservationExpiryCheck()]);
