// src/wallet.ts — a participant: typed step implementations and its Lambda handler
import { createParticipantHandler, type StepImplementations } from 'saga-choreography/runtime';
import { transferSaga, type TransferSaga } from './transfer-saga.js';

/** Business items live in the participant's own key space (`wallet#…`): IAM fences it there. */
export const walletKey = (account: string) => ({ pk: `wallet#account#${account}`, sk: 'account' });

export const walletSteps: StepImplementations<TransferSaga, 'wallet'> = {
  debit: {
    async forward(ctx) {
      const { transferId, from, to, amountCents } = ctx.payload;
      const account = await ctx.db.get(walletKey(from));
      if (Number(account?.balance ?? 0) < amountCents) return ctx.fail('insufficient funds', ctx.emit('DebitRefused', { transferId, reason: `${from} cannot pay ${amountCents}` }));
      // Written in the same transaction as the barrier and the emitted event; re-checked at commit.
      ctx.db.update({ Key: walletKey(from), UpdateExpression: 'SET balance = balance - :a', ConditionExpression: 'balance >= :a', ExpressionAttributeValues: { ':a': amountCents } });
      ctx.remember({ from, amountCents });
      return ctx.done(ctx.emit('Debited', { transferId, to, amountCents }));
    },
    compensate(ctx) {
      // ctx.payload is CreditRefused's or CreditVoided's; what to undo is in what the debit remembered.
      // Nothing was debited (the compensation came first, or the debit failed): a null compensation.
      if (ctx.forward.status !== 'done') return ctx.done(ctx.emit('Refunded', { amountCents: 0 }));
      const { from, amountCents } = ctx.forward.data as { from: string; amountCents: number };
      ctx.db.update({ Key: walletKey(from), UpdateExpression: 'SET balance = balance + :a', ExpressionAttributeValues: { ':a': amountCents } });
      return ctx.done(ctx.emit('Refunded', { amountCents }));
    },
  },
};

export const handler = createParticipantHandler(transferSaga, 'wallet', walletSteps);
