import { afterEach, describe, expect, it } from 'vitest';
import { defineApp, GENERIC_INVARIANTS, simulate, NO_FAULTS, startTestCloud, TestCloudError, type TestCloud } from '../../lib/testing/index.js';
import app, { BLOCKED_SHOP, OPENING_BALANCE, WALLETS } from '../fixtures/apps/transfer/app.js';
import { ledgerKey } from '../fixtures/apps/transfer/ledger.js';
import { walletKey } from '../fixtures/apps/transfer/wallet.js';

let t: TestCloud | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const transfer = (id: string, from: string, to: string, amountCents: number) => ({ transferId: id, from, to, amountCents });
const balanceOf = async (tc: TestCloud, participant: 'wallet' | 'ledger', pk: string) => (await tc.items(participant)).find((i) => i.pk === pk)?.balance;

describe('startTestCloud with the transfer app (a user saga, not the reference one)', () => {
  it('a transfer to an open account completes: debited, credited, money conserved', async () => {
    // GIVEN the app on a test cloud, seeded by app.seed
    t = await startTestCloud(app);
    expect(await balanceOf(t, 'wallet', walletKey('acct-1').pk)).toBe(OPENING_BALANCE);

    // WHEN a transfer starts and the cloud runs until quiet
    const { sagaId } = await t.startSaga(transfer('t-1', 'acct-1', 'shop-1', 500));
    const run = await t.runUntilQuiet();

    // THEN the saga completed forward and the money moved
    expect(run.quiet).toBe(true);
    const record = await t.saga(sagaId);
    expect(record?.status).toBe('completed');
    expect(record?.terminalEvent).toBe('Credited');
    expect((await t.timeline(sagaId)).map((e) => `${e.producer}:${e.type}`)).toEqual(['initiator:TransferRequested', 'wallet:Debited', 'ledger:Credited']);
    expect(await balanceOf(t, 'wallet', walletKey('acct-1').pk)).toBe(OPENING_BALANCE - 500);
    expect(await balanceOf(t, 'ledger', ledgerKey('shop-1').pk)).toBe(500);
    // items() lists business items only, never the framework's own records
    expect((await t.items('wallet')).every((i) => String(i.pk).startsWith('wallet#account#'))).toBe(true);
  });

  it('a transfer to a blocked account is refused and the debit refunded', async () => {
    t = await startTestCloud(app);
    const { sagaId } = await t.startSaga(transfer('t-2', 'acct-2', BLOCKED_SHOP, 700));
    await t.runUntilQuiet();

    const record = await t.saga(sagaId);
    expect(record?.status).toBe('compensated');
    expect((await t.timeline(sagaId)).map((e) => e.type)).toEqual(['TransferRequested', 'Debited', 'CreditRefused', 'Refunded']);
    expect(await balanceOf(t, 'wallet', walletKey('acct-2').pk)).toBe(OPENING_BALANCE);
    expect(await balanceOf(t, 'ledger', ledgerKey(BLOCKED_SHOP).pk)).toBe(0);
  });

  it('checkInvariants runs the generic invariants and the app’s own, by name, and they hold', async () => {
    t = await startTestCloud(app, { seed: 5 });
    for (let i = 0; i < 9; i++) await t.startScenario(i);
    await t.runUntilQuiet();

    const result = await t.checkInvariants();
    expect(result.violations).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.checked).toEqual([...GENERIC_INVARIANTS, 'money-conserved', 'no-negative-balance']);
    expect(result.figures).toMatchObject({ totalMoneyCents: WALLETS * OPENING_BALANCE });
    const statuses = await Promise.all(t.started.map(async (s) => (await t!.saga(s.sagaId))?.status));
    expect(statuses.filter((s) => s === 'compensated')).toHaveLength(3); // every third goes to the blocked shop
    expect(statuses.filter((s) => s === 'completed')).toHaveLength(6);
  });

  it('a deliberately broken invariant is reported under its name', async () => {
    // GIVEN the app with an extra invariant that is wrong on purpose (it expects no money to move)
    const broken = defineApp({
      ...app,
      invariants: {
        ...app.invariants,
        'nothing-credited': (stored) => stored.items('ledger').filter((a) => Number(a.balance) > 0).map((a) => `${String(a.pk)} holds ${String(a.balance)}`),
        'throws': () => {
          throw new Error('bug in the check');
        },
      },
    });
    t = await startTestCloud(broken);
    await t.startSaga(transfer('t-3', 'acct-3', 'shop-0', 250));
    await t.runUntilQuiet();

    const result = await t.checkInvariants();
    expect(result.ok).toBe(false);
    expect(result.checked).toContain('nothing-credited');
    expect(result.violations).toEqual([
      { invariant: 'nothing-credited', message: 'ledger#account#shop-0 holds 250' },
      { invariant: 'throws', message: 'the check threw: bug in the check' },
    ]);
  });

  it('an app invariant fails on data that breaks it (money appearing out of nowhere)', async () => {
    t = await startTestCloud(app);
    await t.data.put('ledger', { ...ledgerKey('shop-9'), balance: 1 });
    expect((await t.checkInvariants()).violations).toEqual([{ invariant: 'money-conserved', message: `wallets and ledger hold ${WALLETS * OPENING_BALANCE + 1} cents, not ${WALLETS * OPENING_BALANCE}` }]);
  });

  it('a saga left open breaks saga-ends; a saga started behind the helpers’ back is reported', async () => {
    t = await startTestCloud(app, { reconciler: false });
    const { sagaId } = await t.startSaga(transfer('t-4', 'acct-4', 'shop-1', 100));
    await t.cloud.startSaga(transfer('t-5', 'acct-4', 'shop-1', 100)); // not through t.startSaga
    await t.runUntilQuiet({ maxSteps: 1 });
    const early = await t.checkInvariants();
    expect(early.violations.some((v) => v.invariant === 'saga-ends' && v.sagaId === sagaId)).toBe(true);
    await t.runUntilQuiet();
    const late = await t.checkInvariants();
    expect(late.violations.map((v) => v.invariant)).toEqual(['no-unexpected-saga']);
  });

  it('startScenario draws from the seeded scenario stream: the same seed gives the same payloads', async () => {
    const payloads = async (seed: number) => {
      const tc = await startTestCloud(app, { seed });
      try {
        return [await tc.startScenario(0), await tc.startScenario(1)].map((s) => s.payload);
      } finally {
        await tc.stop();
      }
    };
    const a = await payloads(11);
    expect(await payloads(11)).toEqual(a);
    expect(a[0]).toMatchObject({ transferId: 't-0', from: 'acct-0', to: 'shop-0' });
    expect(await payloads(12)).not.toEqual(a);
  });

  it('a seed replays a run exactly: the same saga ids, event ids and timelines, faults included', async () => {
    const run = async (seed: number) => {
      const tc = await startTestCloud(app, { seed, faults: { duplicate: 0.3, reorder: 1, crashAfterCommit: 0.1 } });
      try {
        for (let i = 0; i < 6; i++) await tc.startScenario(i);
        await tc.runUntilQuiet();
        return await Promise.all(tc.started.map(async (s) => ({ sagaId: s.sagaId, timeline: (await tc.timeline(s.sagaId)).map((e) => `${e.type}@${e.at}#${e.eventId}`) })));
      } finally {
        await tc.stop();
      }
    };
    const first = await run(9);
    expect(await run(9)).toEqual(first);
    expect(first.every((s) => s.timeline.length >= 3)).toBe(true);
    expect((await run(10)).map((s) => s.sagaId)).not.toEqual(first.map((s) => s.sagaId));
  });

  it('seedData: false starts with an empty table; data.put writes business items, fenced to the participant', async () => {
    t = await startTestCloud(app, { seedData: false });
    expect(await t.items('wallet')).toEqual([]);
    await t.data.put('wallet', { ...walletKey('solo'), balance: 300 });
    await t.data.put('ledger', { ...ledgerKey('shop-9'), balance: 0 });
    await expect(t.data.put('wallet', { ...ledgerKey('x'), balance: 1 })).rejects.toThrow(/needs a string pk starting with "wallet#"/);
    await expect(t.data.put('bank' as 'wallet', { pk: 'bank#x', sk: 'x' })).rejects.toThrow(/has no participant "bank"/);

    const { sagaId } = await t.startSaga(transfer('t-6', 'solo', 'shop-9', 300));
    await t.runUntilQuiet();
    expect((await t.saga(sagaId))?.status).toBe('completed');
    expect(await balanceOf(t, 'wallet', walletKey('solo').pk)).toBe(0);
  });

  it('faults: duplicates and crashes after commit change nothing the invariants can see', async () => {
    t = await startTestCloud(app, { seed: 2, faults: { duplicate: 0.3, crashAfterCommit: 0.1, reorder: 1 } });
    for (let i = 0; i < 12; i++) await t.startScenario(i);
    await t.runUntilQuiet();
    t.heal();
    await t.runUntilQuiet();
    expect(t.faults?.counts.duplicate).toBeGreaterThan(0);
    const result = await t.checkInvariants();
    expect(result.violations).toEqual([]);
  });

  it('works with `await using` and with a module namespace (default export)', async () => {
    let cloud: TestCloud | undefined;
    {
      await using tc = await startTestCloud({ default: app });
      cloud = tc;
      const { sagaId } = await tc.startScenario(1);
      await tc.runUntilQuiet();
      expect((await tc.saga(sagaId))?.status).toBe('completed');
    }
    await expect(cloud.runUntilQuiet()).rejects.toThrow(/this test cloud was stopped/);
  });
});

describe('clear errors for bad input', () => {
  it('an app module that is not one says what it lacks', async () => {
    await expect(startTestCloud({ definition: app.definition } as never)).rejects.toThrow(
      /startTestCloud\(app\) is not a saga app module: it does not export `participants`.*`scenario\(i, random\)`/,
    );
    await expect(startTestCloud({ ...app, participants: { wallet: app.participants.wallet } } as never)).rejects.toThrow(/no step implementations for ledger/);
    await expect(startTestCloud(app, { sagas: -1 })).rejects.toThrow(/sagas must be a non-negative integer/);
    await expect(startTestCloud(app, { faults: { duplicate: 2 } })).rejects.toThrow(/"duplicate" must be a number in \[0, 1\]/);
  });

  it('an unknown participant or saga id is named, with what is known', async () => {
    t = await startTestCloud(app);
    await expect(t.items('bank' as 'wallet')).rejects.toThrow(TestCloudError);
    await expect(t.items('bank' as 'wallet')).rejects.toThrow('items: saga "transfer" has no participant "bank"; its participants are wallet, ledger.');
    await expect(t.saga('s-nope12345')).rejects.toThrow('saga: no saga "s-nope12345" was started on this test cloud (none was started yet).');
    const { sagaId } = await t.startScenario(0);
    await expect(t.timeline('s-nope12345')).rejects.toThrow(`(the latest started: ${sagaId})`);
    await expect(t.operator.redrive('bank')).rejects.toThrow(/operator.redrive: saga "transfer" has no participant "bank"/);
    await expect(t.operator.deadLetters('bank')).rejects.toThrow(/has no participant "bank"/);
    await expect(t.operator.inspect('s-nope12345')).rejects.toThrow(/operator.inspect: no saga "s-nope12345"/);
    await expect(t.startSaga({ transferId: '', from: 'acct-1', to: 'shop-1', amountCents: -5 })).rejects.toThrow(/TransferRequested/);
  });
});

describe('simulate (re-exported from the app simulation)', () => {
  it('runs the transfer app under faults and keeps every invariant', async () => {
    const report = await simulate(app, { sagas: 30, seed: 4, faults: { ...NO_FAULTS, duplicate: 0.1, crashBeforeCommit: 0.05, poison: 0.05 } });
    expect(report.violations).toEqual([]);
    expect(report.summary).toMatchObject({ total: 30, open: 0, completed: 20, compensated: 10 });
    expect(report.invariantsChecked).toContain('money-conserved');
  });
});
