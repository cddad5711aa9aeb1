import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sagaKey } from '../../lib/core/keys.js';
import { defineSaga, TIMEOUT_EVENT } from '../../lib/core/definition.js';
import { verifyDefinition } from '../../lib/core/verify/index.js';
import { LocalCloud } from '../../lib/local/cloud.js';
import { scheduleReconciler } from '../../lib/local/reconciler-schedule.js';
import { METRIC } from '../../lib/runtime/shared/ports.js';
import type { StepImplementations } from '../../lib/runtime/participant/step-types.js';
import { transferSaga } from '../fixtures/apps/transfer/saga.js';
import { ledgerKey } from '../fixtures/apps/transfer/ledger.js';
import { walletKey, walletSteps } from '../fixtures/apps/transfer/wallet.js';
import { envelope, eventBridgeEvent, sqsEvent, sqsRecord, testSagaId } from '../support/events.js';

/**
 * The bug report's transfer, run as it was written — the verifier rejects it (late-effect), but a
 * user can still run it, and a slow credit must not create money: the debit is refunded by the
 * timeout and the credit that comes late is refused by the end marker.
 */
const unsafeTransfer = defineSaga({
  ...transferSaga,
  name: 'unsafe-transfer',
  participants: {
    wallet: { steps: { debit: { on: 'TransferRequested', emits: ['Debited'], failsWith: ['DebitRefused'], compensation: { on: ['CreditRefused', TIMEOUT_EVENT], emits: ['Refunded'] } } } },
    ledger: { steps: { credit: { on: 'Debited', emits: ['Credited'], failsWith: ['CreditRefused'] } } },
  },
});
type Unsafe = typeof unsafeTransfer;

let cloud: LocalCloud<Unsafe> | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

describe('a forward step that commits after its saga ended', () => {
  it('is refused by the end marker: the slow credit of a timed-out transfer creates no money', async () => {
    expect(verifyDefinition(unsafeTransfer).map((f) => f.code)).toContain('late-effect');
    // GIVEN a credit that keeps asking to be retried until well past the saga's deadline
    let started = 0;
    const slowCredit: StepImplementations<Unsafe, 'ledger'> = {
      credit: {
        async forward(ctx) {
          if (ctx.now.getTime() < started + (unsafeTransfer.deadlineSeconds + 90) * 1000) return ctx.retryLater('the bank is slow today', { delaySeconds: 20 });
          ctx.db.update({ Key: ledgerKey('shop-0'), UpdateExpression: 'ADD balance :a', ExpressionAttributeValues: { ':a': ctx.payload.amountCents } });
          return ctx.done(ctx.emit('Credited', { transferId: ctx.payload.transferId, to: 'shop-0', amountCents: ctx.payload.amountCents }));
        },
      },
    };
    cloud = await LocalCloud.start({ definition: unsafeTransfer, participants: { wallet: walletSteps as never, ledger: slowCredit }, seed: 7, maxReceiveCount: 20 });
    const c = cloud;
    await c.client.send(new PutCommand({ TableName: c.tableName, Item: { ...walletKey('acct-1'), balance: 1_000 } }));
    await c.client.send(new PutCommand({ TableName: c.tableName, Item: { ...ledgerKey('shop-0'), balance: 0 } }));
    scheduleReconciler(c, { everyMs: 30_000 });
    started = c.clock.now();

    // WHEN the transfer runs until quiet (the deadline passes while the credit is being retried)
    const { sagaId } = await c.startSaga({ transferId: 't-1', from: 'acct-1', to: 'shop-0', amountCents: 400 });
    await c.runUntilQuiet({ maxVirtualMs: 30 * 60_000 });

    // THEN the debit was refunded, the late credit refused, and the books balance
    const balance = async (key: { pk: string; sk: string }) => Number((await c.client.send(new GetCommand({ TableName: c.tableName, Key: key, ConsistentRead: true }))).Item?.balance);
    expect(await balance(walletKey('acct-1'))).toBe(1_000);
    expect(await balance(ledgerKey('shop-0'))).toBe(0);
    const record = await c.sagaRecord(sagaId);
    expect(record?.status).toBe('compensated');
    expect(record?.timeline.map((t) => t.type)).not.toContain('Credited');
    expect(c.outcomes.filter((o) => 'sagaId' in o && o.sagaId === sagaId && o.kind === 'ended-refused')).toHaveLength(1);
    expect(c.metrics.total(METRIC.refusedAfterEnd)).toBe(1);
  });
});

describe('the end marker past the pivot', () => {
  it('lets a step that can only run after the pivot finish a saga that timed out meanwhile, and refuses it once the saga is compensated', async () => {
    const p = z.object({});
    const def = defineSaga({
      name: 'ship-after-charge',
      version: 1,
      deadlineSeconds: 60,
      start: 'Start',
      events: { Start: p, Charged: p, Declined: p, Shipped: p, Voided: p },
      participants: {
        card: { steps: { charge: { on: 'Start', emits: ['Charged'], failsWith: ['Declined'], pivot: true, compensation: { on: [TIMEOUT_EVENT], emits: ['Voided'] } } } },
        depot: { steps: { ship: { on: 'Charged', emits: ['Shipped'] } } },
      },
      terminal: { success: ['Shipped'], failure: ['Declined', 'Voided'] },
    });
    const ship: StepImplementations<typeof def, 'depot'> = { ship: { forward: (ctx) => ctx.done(ctx.emit('Shipped', {})) } };
    const charge: StepImplementations<typeof def, 'card'> = { charge: { forward: (ctx) => ctx.done(ctx.emit('Charged', {})), compensate: (ctx) => ctx.ignore('charged') } };
    const c = await LocalCloud.start({ definition: def, participants: { card: charge, depot: ship }, seed: 5 });
    try {
      const deliver = async (sagaId: string, record: Record<string, unknown>) => {
        await c.client.send(new PutCommand({ TableName: c.tableName, Item: { ...sagaKey(sagaId), kind: 'saga', sagaId, version: 1, timeline: [], ...record } }));
        const env = envelope(def, { type: 'Charged', producer: 'card', sagaId, payload: {} });
        await c.consumer('depot').handler(sqsEvent(sqsRecord(eventBridgeEvent(def, env))));
        return c.outcomes.at(-1);
      };
      // A saga that timed out after its pivot committed: the shipping still happens.
      expect(await deliver(testSagaId('pp-timed-out'), { status: 'running', timeoutPublishedAt: new Date(0).toISOString() })).toMatchObject({ kind: 'committed', state: 'done' });
      // A compensated one refuses it.
      expect(await deliver(testSagaId('pp-compensated'), { status: 'compensated' })).toMatchObject({ kind: 'ended-refused' });
    } finally {
      await c.stop();
    }
  });
});
