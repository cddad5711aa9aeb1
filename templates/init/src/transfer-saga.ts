// src/transfer-saga.ts — the choreography: who reacts to what, what undoes what
import * as z from 'zod/mini';
import { defineSaga } from 'saga-choreography';

const transferId = z.string().check(z.minLength(1));
const cents = z.int().check(z.positive());

export const transferSaga = defineSaga({
  name: 'transfer',
  version: 1,
  deadlineSeconds: 120,
  start: 'TransferRequested',
  events: {
    TransferRequested: z.object({ transferId, from: z.string(), to: z.string(), amountCents: cents }),
    Debited: z.object({ transferId, to: z.string(), amountCents: cents }),
    DebitRefused: z.object({ transferId, reason: z.string() }),
    Credited: z.object({ transferId }),
    CreditRefused: z.object({ transferId, reason: z.string() }),
    CreditVoided: z.object({ reason: z.string() }),
    Refunded: z.object({ amountCents: z.int() }), // 0 for a null compensation
  },
  participants: {
    wallet: {
      steps: {
        debit: {
          on: 'TransferRequested',
          emits: ['Debited'],
          failsWith: ['DebitRefused'],
          compensation: { on: ['CreditRefused', 'CreditVoided'], emits: ['Refunded'] },
        },
      },
    },
    ledger: {
      steps: {
        // The pivot: once credited, the transfer completes; a deadline before it voids the credit.
        credit: { on: 'Debited', emits: ['Credited'], failsWith: ['CreditRefused'], pivot: true, compensation: { on: ['SagaTimedOut'], emits: ['CreditVoided'] } },
      },
    },
  },
  terminal: { success: ['Credited'], failure: ['DebitRefused', 'Refunded'] },
});
export type TransferSaga = typeof transferSaga;
