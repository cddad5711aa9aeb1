import { pointsAccountKey, stockKey } from '../../../functions/order/index.js';
import { defineApp, type StoredView } from '../../local/app.js';
import { initialPoints, orderPayload, orderSaga, plannedOrder, planOrders, referenceParticipants, simulationStock } from '../reference-app.js';
import { checkReferenceInvariants, REFERENCE_INVARIANTS } from '../simulate/reference-invariants.js';

/** Stock of the main SKU as a fraction of what all its orders ask for: some orders find none left. */
const STOCK_RATIO = 0.8;

const invariant = (name: (typeof REFERENCE_INVARIANTS)[number]) => (stored: StoredView) =>
  checkReferenceInvariants(stored)
    .violations.filter((v) => v.invariant === name)
    .map((v) => [v.sagaId, v.subject].filter(Boolean).join(' ') + (v.sagaId || v.subject ? ': ' : '') + v.message);

/**
 * The reference order saga as an app module: what `saga simulate` and `saga run` use when no
 * `--app` is given. Orders follow a fixed plan (every 5th card declined, every 7th out of stock,
 * every 11th short of points); stock covers 80 % of the main SKU's demand, so it runs out under load.
 */
export default defineApp({
  definition: orderSaga,
  participants: referenceParticipants,
  scenario: (i) => orderPayload(plannedOrder(i, { points: true })),
  async seed(data, run) {
    const plan = planOrders(run.sagas, { points: true });
    for (const [sku, available] of Object.entries(simulationStock(plan, STOCK_RATIO))) {
      await data.put('inventory', { ...stockKey(sku), sku, available, reserved: 0, initial: available });
    }
    for (const [customerId, available] of Object.entries(initialPoints(plan))) {
      await data.put('points', { ...pointsAccountKey(customerId), customerId, available, frozen: 0, spent: 0, initial: available });
    }
  },
  invariants: Object.fromEntries(REFERENCE_INVARIANTS.map((name) => [name, invariant(name)])),
  summarize: (stored) => checkReferenceInvariants(stored).figures as unknown as Record<string, unknown>,
});
