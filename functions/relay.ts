import { createRelayHandler, lazyHandler, relayDepsFromEnv } from '../lib/runtime/index.js';
import { orderSaga } from './order/definition.js';

/** Outbox relay of the reference order saga: DynamoDB stream (outbox INSERTs) → EventBridge. */
export const handler = lazyHandler(() => createRelayHandler(orderSaga, relayDepsFromEnv(orderSaga)));
