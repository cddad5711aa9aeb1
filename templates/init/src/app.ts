// src/app.ts — the app module: what `saga run|simulate --app` and `saga-choreography/testing` run
import { defineApp } from 'saga-choreography/testing';
import { ledgerSteps, ledgerKey } from './ledger.js';
import { transferSaga } from './transfer-saga.js';
import { walletKey, walletSteps } from './wallet.js';

const WALLETS = 5;
const OPENING_BALANCE = 10_000;

export default defineApp({
  definition: transferSaga,
  participants: { wallet: walletSteps, ledger: ledgerSteps },
  // Saga number i: shop-2 refuses credits, so every third transfer is refunded.
  scenario: (i, random) => ({ transferId: `t-${i}`, from: `acct-${i % WALLETS}`, to: `shop-${i % 3}`, amountCents: 100 + Math.floor(random() * 900) }),
  async seed(data) {
    for (let a = 0; a < WALLETS; a++) await data.put('wallet', { ...walletKey(`acct-${a}`), balance: OPENING_BALANCE });
    for (const shop of ['shop-0', 'shop-1']) await data.put('ledger', { ...ledgerKey(shop), balance: 0 });
    await data.put('ledger', { ...ledgerKey('shop-2'), balance: 0, blocked: true });
  },
  invariants: {
    // Money is neither created nor lost, whatever faults the run injected.
    'money-conserved': (stored) => {
      const total = [...stored.items('wallet'), ...stored.items('ledger')].reduce((sum, a) => sum + Number(a.balance ?? 0), 0);
      return total === WALLETS * OPENING_BALANCE ? [] : [`wallets and ledger hold ${total}, not ${WALLETS * OPENING_BALANCE}`];
    },
  },
});
