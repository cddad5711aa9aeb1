export { orderSaga, type OrderSaga } from './definition.js';
export { inventorySteps, stockKey } from './inventory.js';
export { orderSteps, orderKey } from './order.js';
export { paymentSteps, paymentKey, CARD_LIMIT_CENTS } from './payment.js';
export { orderStockCheck } from './checks.js';
export { pointsSteps, pointsAccountKey } from './points.js';
