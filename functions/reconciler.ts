import { createReconcilerHandler, lazyHandler, reconcilerDepsFromEnv } from '../lib/runtime/index.js';
import { orderStockCheck } from './order/checks.js';
import { orderSaga } from './order/definition.js';

/**
 * Reconciler of the reference order saga, run by a schedule: deadlines → SagaTimedOut through the
 * outbox, lost publishes republished, stuck sagas flagged, and the inventory/orders check (对账).
 */
export const handler = lazyHandler(() => createReconcilerHandler(orderSaga, reconcilerDepsFromEnv(orderSaga, [orderStockCheck()])));
