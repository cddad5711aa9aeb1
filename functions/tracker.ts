import { trackerHandlerFor } from '../lib/runtime/index.js';
import { orderSaga } from './order/definition.js';

/** Saga tracker of the reference order saga: every saga event (SQS) → the saga record. */
export const handler = trackerHandlerFor(orderSaga);
