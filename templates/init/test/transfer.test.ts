// test/transfer.test.ts — your saga's tests, on the embedded local cloud (no AWS, no Docker)
import { afterEach, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from 'saga-choreography/testing';
import app from '../src/app.js';

let t: TestCloud | undefined;
afterEach(async () => t?.stop());

it('credits a transfer, refunds one the ledger refuses, and conserves money', async () => {
  t = await startTestCloud(app); // seeds the business data with app.seed
  const ok = await t.startSaga({ transferId: 't-1', from: 'acct-1', to: 'shop-1', amountCents: 500 });
  const refused = await t.startSaga({ transferId: 't-2', from: 'acct-2', to: 'shop-2', amountCents: 700 });
  await t.runUntilQuiet();

  expect((await t.saga(ok.sagaId))?.status).toBe('completed');
  expect((await t.saga(refused.sagaId))?.status).toBe('compensated');
  expect((await t.checkInvariants()).violations).toEqual([]);
});
