import { afterEach, describe, expect, it } from 'vitest';
import { defineApp, OperatorActionError, startTestCloud, type TestCloud } from '../../lib/testing/index.js';
import app, { BLOCKED_SHOP, OPENING_BALANCE } from '../fixtures/apps/transfer/app.js';
import { ledgerSteps } from '../fixtures/apps/transfer/ledger.js';
import { walletKey, walletSteps } from '../fixtures/apps/transfer/wallet.js';

let t: TestCloud | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

/** The transfer app whose refund throws while `broken.now` (the wallet's bank API is down). */
function brokenRefundApp() {
  const broken = { now: true };
  const variant = defineApp({
    ...app,
    participants: {
      ...app.participants,
      wallet: {
        debit: {
          forward: walletSteps.debit.forward,
          compensate: (ctx) => {
            if (broken.now) throw new Error('bank API down');
            return walletSteps.debit.compensate!(ctx);
          },
        },
      },
    },
  });
  return { broken, app: variant };
}

/** The transfer app whose credit throws on every attempt (a step that can only fail): its message ends in the ledger DLQ. */
const failingCreditApp = defineApp({
  ...app,
  participants: {
    ...app.participants,
    ledger: {
      credit: {
        forward: () => {
          throw new Error('ledger database unreachable');
        },
        compensate: ledgerSteps.credit.compensate!,
      },
    },
  },
});

const refused = { transferId: 't-r', from: 'acct-1', to: BLOCKED_SHOP, amountCents: 400 };
const balance = async (tc: TestCloud, account: string) => (await tc.items('wallet')).find((i) => i.pk === walletKey(account).pk)?.balance;

describe('operator actions on a test cloud', () => {
  it('a refund that keeps failing reaches the DLQ: deadLetters says why, inspect names the step, redrive finishes the saga', async () => {
    // GIVEN a refused transfer whose refund fails until the wallet message is dead
    const { broken, app: variant } = brokenRefundApp();
    t = await startTestCloud(variant);
    const { sagaId } = await t.startSaga(refused);
    await t.runUntilQuiet();
    // the reconciler (on by default) flags the saga once its message is dead
    expect((await t.saga(sagaId))?.status).toBe('failed-needs-attention');
    expect(await balance(t, 'acct-1')).toBe(OPENING_BALANCE - 400);

    // WHEN the operator lists the DLQs
    const letters = await t.operator.deadLetters();
    // THEN the wallet message is there with its saga, event and reason
    expect(letters).toEqual([expect.objectContaining({ participant: 'wallet', sagaId, type: 'CreditRefused', reason: 'Error: bank API down', receiveCount: 5 })]);
    expect(await t.operator.deadLetters('ledger')).toEqual([]);

    // WHEN the operator inspects the saga
    const { saga, explanation } = await t.operator.inspect(sagaId);
    expect(saga.status).toBe('failed-needs-attention');
    expect(explanation.stuck.map((s) => s.participant)).toEqual(['wallet']);

    // WHEN the cause is fixed and the wallet DLQ redriven
    broken.now = false;
    expect(await t.operator.redrive('wallet')).toEqual({ moved: 1 });
    await t.runUntilQuiet();
    // THEN the refund ran, the saga ended compensated and the money is back
    expect((await t.saga(sagaId))?.status).toBe('compensated');
    expect(await balance(t, 'acct-1')).toBe(OPENING_BALANCE);
    expect(await t.operator.deadLetters()).toEqual([]);
    expect((await t.checkInvariants()).violations).toEqual([]);
  });

  it('retry re-delivers the event the stuck step missed; the dead copy redriven later is a harmless duplicate', async () => {
    const { broken, app: variant } = brokenRefundApp();
    t = await startTestCloud(variant);
    const { sagaId } = await t.startSaga(refused);
    await t.runUntilQuiet();
    broken.now = false;

    // WHEN the operator retries the wallet's pending step
    const retried = await t.operator.retry(sagaId, 'wallet');
    expect(retried).toMatchObject({ participant: 'wallet', type: 'CreditRefused' });
    await t.runUntilQuiet();
    // THEN the saga is compensated, the retry is noted on the saga record
    const record = await t.saga(sagaId);
    expect(record?.status).toBe('compensated');
    expect(record?.notes?.map((n) => n.action)).toContain('retry');
    expect(await balance(t, 'acct-1')).toBe(OPENING_BALANCE);

    // WHEN the original (dead) message is redriven as well
    await t.operator.redrive('wallet');
    await t.runUntilQuiet();
    // THEN it is a duplicate: refunded once
    expect(await balance(t, 'acct-1')).toBe(OPENING_BALANCE);
    expect((await t.checkInvariants()).violations).toEqual([]);

    // and a retry of a step that is not pending says so
    await expect(t.operator.retry(sagaId, 'wallet')).rejects.toThrow(OperatorActionError);
    await expect(t.operator.retry(sagaId, 'wallet', 'Credited')).rejects.toThrow(/does not react to Credited/);
  });

  it('compensate forces backward recovery of a saga stuck forward; the dead forward message is refused afterwards', async () => {
    // GIVEN a credit that can only fail, and no reconciler: the saga stays running, its message dead
    t = await startTestCloud(failingCreditApp, { reconciler: false });
    const { sagaId } = await t.startSaga({ transferId: 't-c', from: 'acct-3', to: 'shop-0', amountCents: 900 });
    await t.runUntilQuiet();
    expect((await t.saga(sagaId))?.status).toBe('running');
    expect(await t.operator.deadLetters('ledger')).toEqual([expect.objectContaining({ sagaId, type: 'Debited', reason: 'Error: ledger database unreachable' })]);

    // WHEN the operator compensates it
    const { eventId } = await t.operator.compensate(sagaId, 'ledger outage, ticket 42');
    await t.runUntilQuiet();
    // THEN SagaTimedOut (the operator's) voids the credit and refunds the debit
    expect((await t.timeline(sagaId)).map((e) => e.type)).toEqual(['TransferRequested', 'Debited', 'SagaTimedOut', 'CreditVoided', 'Refunded']);
    expect((await t.timeline(sagaId)).find((e) => e.type === 'SagaTimedOut')?.eventId).toBe(eventId);
    expect((await t.saga(sagaId))?.status).toBe('compensated');
    expect(await balance(t, 'acct-3')).toBe(OPENING_BALANCE);

    // WHEN the dead credit is redriven after all
    await t.operator.redrive('ledger');
    await t.runUntilQuiet();
    // THEN the forward step is refused (anti-hanging): nothing credited, the saga stays compensated
    expect((await t.items('ledger')).find((i) => String(i.pk).endsWith('shop-0'))?.balance).toBe(0);
    expect((await t.saga(sagaId))?.status).toBe('compensated');
    await expect(t.operator.compensate(sagaId, 'again')).rejects.toThrow(/already compensated/);
  });

  it('resolve records a person’s note on a flagged saga', async () => {
    const { app: variant } = brokenRefundApp();
    t = await startTestCloud(variant);
    const { sagaId } = await t.startSaga(refused);
    await t.runUntilQuiet();

    await expect(t.operator.resolve(sagaId, '  ')).rejects.toThrow(/needs a note/);
    const resolved = await t.operator.resolve(sagaId, 'refunded by hand, ticket 7');
    expect(resolved.resolvedAt).toBeDefined();
    expect((await t.saga(sagaId))?.notes).toEqual([expect.objectContaining({ action: 'resolve', note: 'refunded by hand, ticket 7' })]);
  });
});
