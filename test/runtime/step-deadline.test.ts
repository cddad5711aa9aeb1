import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSaga, TIMEOUT_EVENT } from '../../lib/core/definition.js';
import { DefinitionError } from '../../lib/core/errors.js';
import { verifyDefinition } from '../../lib/core/verify/index.js';
import { LocalCloud } from '../../lib/local/cloud.js';
import { scheduleReconciler } from '../../lib/local/reconciler-schedule.js';
import { applyEvent } from '../../lib/runtime/shared/saga-record.js';
import type { StepImplementations } from '../../lib/runtime/participant/step-types.js';
import { ledgerKey, ledgerSteps } from '../fixtures/apps/transfer/ledger.js';
import { transferSaga } from '../fixtures/apps/transfer/saga.js';
import { walletKey, walletSteps } from '../fixtures/apps/transfer/wallet.js';
import { envelope, T0 } from '../support/events.js';

/** The fixture transfer with a 20 s deadline on the credit (the saga's own is 120 s). */
const withCreditDeadline = (seconds: number) =>
  defineSaga({
    ...transferSaga,
    participants: { ...transferSaga.participants, ledger: { steps: { credit: { ...transferSaga.participants.ledger.steps.credit, deadlineSeconds: seconds } } } },
  });
const def = withCreditDeadline(20);
type Def = typeof def;

let cloud: LocalCloud<Def> | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

describe('per-step deadlines', () => {
  it('move the saga record’s deadline earlier while the step waits, and back once it has emitted', () => {
    const at = (ms: number) => new Date(T0 + ms).toISOString();
    const ev = (type: string, producer: string, payload: unknown, ms: number) => envelope(def, { type, producer, sagaId: 's-step-deadline-01', payload, occurredAt: at(ms), eventId: `e-${type}` });
    const requested = applyEvent(def, undefined, ev('TransferRequested', 'initiator', { transferId: 't', from: 'a', to: 'b', amountCents: 5 }, 0), T0)!;
    expect(requested).toMatchObject({ deadline: at(120_000) });
    const debited = applyEvent(def, requested, ev('Debited', 'wallet', { transferId: 't', to: 'b', amountCents: 5 }, 1_000), T0)!;
    expect(debited).toMatchObject({ deadline: at(21_000), deadlineOf: 'ledger.credit', stepDeadlines: { 'ledger.credit': at(21_000) }, nextCheckAt: at(21_000) });
    const credited = applyEvent(def, debited, ev('Credited', 'ledger', { transferId: 't', to: 'b', amountCents: 5 }, 2_000), T0)!;
    expect(credited.deadline).toBe(at(120_000));
    expect(credited.deadlineOf).toBeUndefined();
    expect(credited.stepDeadlines).toBeUndefined();
  });

  it('time the saga out when the step has not run by its deadline: it takes the failure path long before the saga’s deadline', async () => {
    // GIVEN a credit that keeps asking to be retried
    const slow: StepImplementations<Def, 'ledger'> = { credit: { forward: (ctx) => ctx.retryLater('the bank is slow', { delaySeconds: 10 }), compensate: ledgerSteps.credit.compensate as never } };
    cloud = await LocalCloud.start({ definition: def, participants: { wallet: walletSteps as never, ledger: slow }, seed: 11, maxReceiveCount: 50 });
    const c = cloud;
    await c.client.send(new PutCommand({ TableName: c.tableName, Item: { ...walletKey('acct-1'), balance: 1_000 } }));
    await c.client.send(new PutCommand({ TableName: c.tableName, Item: { ...ledgerKey('shop-0'), balance: 0 } }));
    const reconciler = scheduleReconciler(c, { everyMs: 10_000 });
    const t0 = c.clock.now();
    // WHEN a transfer runs
    const { sagaId } = await c.startSaga({ transferId: 't-1', from: 'acct-1', to: 'shop-0', amountCents: 300 });
    await c.runUntilQuiet({ maxVirtualMs: 10 * 60_000 });
    // THEN it timed out within a reconciler period of the step's deadline, for that reason, and the debit was refunded
    const record = await c.sagaRecord(sagaId);
    expect(record?.status).toBe('compensated');
    expect(Date.parse(record!.timeoutPublishedAt!) - t0).toBeLessThan(20_000 + 2 * 10_000);
    const timedOut = reconciler.runs.flatMap((r) => r.actions).find((a) => a.sagaId === sagaId && a.action === 'timed-out');
    expect(timedOut).toBeDefined();
    const timeoutEvent = c.bus.archive.find((e) => e['detail-type'] === TIMEOUT_EVENT);
    expect(JSON.stringify(timeoutEvent?.detail)).toContain('the deadline of step ledger.credit');
    const wallet = await c.client.send(new GetCommand({ TableName: c.tableName, Key: walletKey('acct-1'), ConsistentRead: true }));
    expect(wallet.Item?.balance).toBe(1_000);
  });

  it('are checked: a positive number, not on a must-succeed step, and a warning when not shorter than the saga’s', () => {
    expect(() => withCreditDeadline(0)).toThrow(DefinitionError);
    expect(() => withCreditDeadline(-5)).toThrow(/deadlineSeconds must be a positive number/);
    const p = z.object({});
    expect(() =>
      defineSaga({ name: 'ms', version: 1, deadlineSeconds: 60, start: 'A', events: { A: p, B: p }, participants: { x: { steps: { s: { on: 'A', emits: ['B'], mustSucceed: true, deadlineSeconds: 5 } } } }, terminal: { success: ['B'], failure: [] } }),
    ).toThrow(/mustSucceed and has a deadline/);
    expect(verifyDefinition(def).filter((f) => f.code === 'step-deadline-too-late')).toEqual([]);
    const late = verifyDefinition(withCreditDeadline(300)).filter((f) => f.code === 'step-deadline-too-late');
    expect(late).toHaveLength(1);
    expect(late[0]).toMatchObject({ severity: 'warning', participant: 'ledger', step: 'credit' });
  });
});
