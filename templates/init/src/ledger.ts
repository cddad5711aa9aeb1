// src/ledger.ts — the second participant
import { createParticipantHandler, type StepImplementations } from 'saga-choreography/runtime';
import { transferSaga, type TransferSaga } from './transfer-saga.js';

export const ledgerKey = (account: string) => ({ pk: `ledger#account#${account}`, sk: 'account' });

export const ledgerSteps: StepImplementations<TransferSaga, 'ledger'> = {
  credit: {
    async forward(ctx) {
      const { transferId, to, amountCents } = ctx.payload;
      const account = await ctx.db.get(ledgerKey(to));
      if (!account || account.blocked === true) return ctx.fail('account blocked', ctx.emit('CreditRefused', { transferId, reason: `${to} does not take credits` }));
      ctx.db.update({ Key: ledgerKey(to), UpdateExpression: 'ADD balance :a', ExpressionAttributeValues: { ':a': amountCents } });
      return ctx.done(ctx.emit('Credited', { transferId }));
    },
    compensate(ctx) {
      // The deadline passed: once credited, the transfer stands (past the point of no return).
      if (ctx.forward.status === 'done') return ctx.ignore('credited before the deadline; the transfer completes');
      return ctx.done(ctx.emit('CreditVoided', { reason: `deadline ${ctx.payload.deadline} passed before the credit` }));
    },
  },
};

export const handler = createParticipantHandler(transferSaga, 'ledger', ledgerSteps);
