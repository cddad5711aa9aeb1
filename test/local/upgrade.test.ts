import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { defineSaga } from '../../lib/core/index.js';
import { LocalCloud } from '../../lib/local/cloud.js';
import { LocalCloudError } from '../../lib/local/errors.js';
import { FAULT_KINDS, NO_FAULTS, type FaultPlan } from '../../lib/local/faults.js';
import { scheduleReconciler } from '../../lib/local/reconciler-schedule.js';
import { runAppSimulation } from '../../lib/local/simulation/run.js';
import { versionStatus } from '../../lib/runtime/operator/versions.js';
import { localQueueAdmin } from '../../lib/local/queue-admin.js';
import transfer, { OPENING_BALANCE, WALLETS } from '../fixtures/apps/transfer/app.js';
import { ledgerKey } from '../fixtures/apps/transfer/ledger.js';
import { transferSaga } from '../fixtures/apps/transfer/saga.js';
import { transferSagaV2 } from '../fixtures/apps/transfer/saga-v2.js';
import { walletKey } from '../fixtures/apps/transfer/wallet.js';

const v2 = transfer.upgrade!;

async function startV1Cloud(seed = 1) {
  const cloud = await LocalCloud.start({ definition: transferSaga, participants: transfer.participants, seed });
  for (let a = 0; a < WALLETS; a++) await cloud.client.send(putItem(cloud.tableName, { ...walletKey(`acct-${a}`), balance: OPENING_BALANCE }));
  for (const shop of ['shop-0', 'shop-1']) await cloud.client.send(putItem(cloud.tableName, { ...ledgerKey(shop), balance: 0 }));
  return cloud;
}

const everyFault = (p: number): FaultPlan => Object.fromEntries(FAULT_KINDS.map((k) => [k, p])) as unknown as FaultPlan;
const putItem = (TableName: string, Item: Record<string, unknown>) => new PutCommand({ TableName, Item });

describe('rolling upgrade on the local cloud', () => {
  it('v1 sagas in flight finish on v1 participants, new sagas start on v2, and v1 retires once drained', async () => {
    const cloud = await startV1Cloud();
    try {
      scheduleReconciler(cloud);
      const before = await cloud.startSaga({ transferId: 't-1', from: 'acct-0', to: 'shop-0', amountCents: 950 });
      // Let v1's wallet debit, so the v1 saga is mid-way when v2 arrives.
      for (let i = 0; i < 3; i++) await cloud.step();
      await cloud.deploy(v2);
      expect(cloud.versions.map((v) => v.version)).toEqual([1, 2]);
      expect(cloud.consumers.has('wallet-v1') && cloud.consumers.has('wallet') && cloud.consumers.has('risk')).toBe(true);
      await expect(cloud.retire(1)).rejects.toThrow(/v1 has not drained/);
      const after = await cloud.startSaga({ transferId: 't-2', from: 'acct-1', to: 'shop-1', amountCents: 950 });
      await cloud.runUntilQuiet();

      const v1Record = await cloud.sagaRecord(before.sagaId);
      const v2Record = await cloud.sagaRecord(after.sagaId);
      expect(v1Record).toMatchObject({ definitionVersion: 1, status: 'completed' });
      // 950 cents passes v1 (no risk screen) but not v2's screen (limit 900).
      expect(v1Record!.timeline.map((t) => t.type)).toEqual(['TransferRequested', 'Debited', 'Credited']);
      expect(v2Record).toMatchObject({ definitionVersion: 2, status: 'compensated', terminalEvent: 'ScreenRefused' });
      const status = await versionStatus({ def: cloud.definition, client: cloud.client, tableName: cloud.tableName, queues: localQueueAdmin(cloud.consumers, () => cloud.clock.now()), clock: cloud.clock, ids: () => cloud.random.uuid() });
      expect(status.map((s) => [s.version, s.role, s.drained])).toEqual([[2, 'newest', true], [1, 'kept', true]]);
      expect([...status.find((s) => s.version === 1)!.participants].sort()).toEqual(['ledger-v1', 'wallet-v1']);
      await cloud.retire(1);
      expect(cloud.versions.map((v) => v.version)).toEqual([2]);
      expect(cloud.consumers.has('wallet-v1')).toBe(false);
    } finally {
      await cloud.stop();
    }
  });

  it('refuses an upgrade that would strand the running version, a lower version, or another saga', async () => {
    const cloud = await startV1Cloud();
    try {
      const orphan = defineSaga({ ...transferSagaV2, previousVersions: [], kind: undefined } as never);
      await expect(cloud.deploy({ definition: orphan, participants: v2.participants })).rejects.toThrow(/does not name v1 in previousVersions/);
      await expect(cloud.deploy({ definition: transferSaga, participants: transfer.participants })).rejects.toThrow(LocalCloudError);
      const other = defineSaga({ ...transferSagaV2, name: 'payout', previousVersions: [], kind: undefined } as never);
      await expect(cloud.deploy({ definition: other, participants: v2.participants })).rejects.toThrow(/keeps the saga's name/);
    } finally {
      await cloud.stop();
    }
  });

  it('a version that migrates v1 takes over its queues: in-flight v1 sagas finish on the new code, still pinned to v1', async () => {
    const v1b = defineSaga({ ...transferSaga, version: 2, previousVersions: [transferSaga], migratesFrom: [1], kind: undefined } as never);
    const cloud = await startV1Cloud();
    try {
      const before = await cloud.startSaga({ transferId: 't-1', from: 'acct-0', to: 'shop-0', amountCents: 400 });
      for (let i = 0; i < 3; i++) await cloud.step();
      await cloud.deploy({ definition: v1b, participants: transfer.participants });
      expect(cloud.versions.map((v) => v.version)).toEqual([2]);
      expect([...cloud.consumers.keys()].sort()).toEqual(['ledger', 'tracker', 'wallet']);
      const after = await cloud.startSaga({ transferId: 't-2', from: 'acct-1', to: 'shop-1', amountCents: 400 });
      await cloud.runUntilQuiet();
      expect(await cloud.sagaRecord(before.sagaId)).toMatchObject({ definitionVersion: 1, status: 'completed' });
      expect(await cloud.sagaRecord(after.sagaId)).toMatchObject({ definitionVersion: 2, status: 'completed' });
    } finally {
      await cloud.stop();
    }
  });
});

describe('saga simulate with a rolling upgrade (upgradeAt)', () => {
  const run = (seed: number) => runAppSimulation(transfer, { sagas: 90, seed, faults: everyFault(0.05), upgradeAt: 40 });

  it('upgrades under every fault with no violation and money conserved, the same bytes for a seed', async () => {
    const first = await run(5);
    expect(first.violations).toEqual([]);
    expect(first.summary.open).toBe(0);
    expect(first.invariantsChecked).toContain('version-pinned');
    expect(first.upgrade).toMatchObject({ at: 40, from: 1, to: 2, startedOn: { 1: 40, 2: 50 }, retired: true });
    expect(first.figures.totalMoneyCents).toBe(WALLETS * OPENING_BALANCE);
    expect(JSON.stringify(await run(5))).toBe(JSON.stringify(first));
  }, 120_000);

  it('refuses upgradeAt for an app without an upgrade, or outside the run', async () => {
    const { upgrade: _u, ...plain } = transfer;
    await expect(runAppSimulation(plain, { sagas: 10, seed: 1, faults: NO_FAULTS, upgradeAt: 3 })).rejects.toThrow(/has no upgrade/);
    await expect(runAppSimulation(transfer, { sagas: 10, seed: 1, faults: NO_FAULTS, upgradeAt: 10 })).rejects.toThrow(/saga number from 0 to 9/);
  });
});

