import { outcomeApiHandlerFor } from '../lib/runtime/index.js';
import { orderSaga } from './order/definition.js';

/** Outcome query API of the reference order saga (Lambda function URL): GET /sagas/{sagaId}, signed per receiver. */
export const handler = outcomeApiHandlerFor(orderSaga);
