import { relayHandlerFor } from '../lib/runtime/index.js';
import { orderSaga } from './order/definition.js';

/** Outbox relay of the reference order saga: DynamoDB stream (outbox INSERTs) → EventBridge. */
export const handler = relayHandlerFor(orderSaga);
