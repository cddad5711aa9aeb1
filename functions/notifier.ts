import { notifierHandlerFor } from '../lib/runtime/index.js';
import { orderSaga } from './order/definition.js';

/**
 * Best-effort notifier of the reference order saga: SQS batches of terminal events open one
 * notification per endpoint (first attempt at once); scheduled invocations retry the due ones.
 */
export const handler = notifierHandlerFor(orderSaga);
