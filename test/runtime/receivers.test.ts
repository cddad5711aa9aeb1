import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderSaga } from '../../functions/order/definition.js';
import { readSagaReceivers, RECEIVERS_TTL_DAYS } from '../../lib/runtime/shared/receivers.js';
import { startSaga } from '../../lib/runtime/initiator/start.js';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { receiversKey } from '../../lib/core/index.js';
import { freshTable } from '../support/dynamo.js';

/** A saga names its receivers at start; the notifier and the outcome API read them back. */
let table: Awaited<ReturnType<typeof freshTable>>;
beforeAll(async () => {
  table = await freshTable('receivers');
});
afterAll(() => table.raw.destroy());

const payload = { orderId: 'o-1', customerId: 'c-1', sku: 'sku-1', quantity: 1, amountCents: 500 };
const T0 = Date.parse('2026-03-01T12:00:00.000Z');

describe('saga receivers', () => {
  it('are written in the start transaction, kept for the outcome API\'s lifetime, and read back', async () => {
    const deps = { client: table.client, tableName: table.tableName, clock: { now: () => T0 } };
    const { sagaId } = await startSaga(orderSaga, payload, deps, { receivers: ['merchant-42', 'auditor'] });
    expect(await readSagaReceivers(table.client, table.tableName, sagaId)).toEqual(['merchant-42', 'auditor']);
    const item = (await table.client.send(new GetCommand({ TableName: table.tableName, Key: receiversKey(sagaId) }))).Item;
    expect(item?.expiresAt).toBe(T0 / 1000 + RECEIVERS_TTL_DAYS * 86_400);
    const { sagaId: none } = await startSaga(orderSaga, payload, deps);
    expect(await readSagaReceivers(table.client, table.tableName, none)).toEqual([]);
  });

  it('refuses a bad list before writing anything, saying what is allowed', async () => {
    const deps = { client: table.client, tableName: table.tableName };
    await expect(startSaga(orderSaga, payload, deps, { sagaId: 's-bad-receivers-1', receivers: ['Merchant!'] })).rejects.toThrow(/Receiver id "Merchant!" is invalid/);
    await expect(startSaga(orderSaga, payload, deps, { sagaId: 's-bad-receivers-2', receivers: [] })).rejects.toThrow(/names 1 to 10 receivers, got 0/);
    await expect(startSaga(orderSaga, payload, deps, { sagaId: 's-bad-receivers-3', receivers: ['a', 'a'] })).rejects.toThrow(/name one id twice/);
    // nothing was started: the same id starts now
    await expect(startSaga(orderSaga, payload, deps, { sagaId: 's-bad-receivers-1', receivers: ['merchant'] })).resolves.toMatchObject({ sagaId: 's-bad-receivers-1' });
  });
});
