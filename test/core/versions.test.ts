import { describe, expect, it } from 'vitest';
import { defineSaga, definitionForVersion, deployedVersions, keptVersions, servedVersions, subscriptionPattern, verifyDefinition, verifyUpgrade } from '../../lib/core/index.js';
import { DefinitionError } from '../../lib/core/errors.js';
import type { AnySagaDefinition } from '../../lib/core/definition.js';
import { transferSaga } from '../fixtures/apps/transfer/saga.js';
import { transferSagaV2 } from '../fixtures/apps/transfer/saga-v2.js';

/** A copy of a definition with other fields, through defineSaga (its structure checks included). */
const variant = (base: AnySagaDefinition, changes: Record<string, unknown>) => defineSaga({ ...(base as object), kind: undefined, ...changes } as never);

describe('definition versions', () => {
  it('a version serves its own sagas and those it migrates; the tracker finds a kept previous version by number', () => {
    expect(servedVersions(transferSagaV2)).toEqual([2]);
    expect(definitionForVersion(transferSagaV2, 2)).toBe(transferSagaV2);
    expect(definitionForVersion(transferSagaV2, 1)).toBe(transferSaga);
    expect(definitionForVersion(transferSagaV2, 3)).toBeUndefined();
    expect(deployedVersions(transferSagaV2).map((d) => d.version)).toEqual([2, 1]);
    expect(keptVersions(transferSagaV2)).toEqual([transferSaga]);
    const migrating = variant(transferSaga, { version: 2, previousVersions: [transferSaga], migratesFrom: [1] });
    expect(servedVersions(migrating)).toEqual([1, 2]);
    expect(definitionForVersion(migrating, 1)).toBe(migrating);
    expect(keptVersions(migrating)).toEqual([]);
  });

  it('rules route by version: each version gets the events of the sagas it serves', () => {
    expect(subscriptionPattern(transferSaga, 'Debited').detail).toEqual({ definition: ['transfer'], definitionVersion: [1] });
    expect(subscriptionPattern(transferSagaV2, 'Debited').detail).toEqual({ definition: ['transfer'], definitionVersion: [2] });
    const migrating = variant(transferSaga, { version: 2, previousVersions: [transferSaga], migratesFrom: [1] });
    expect(subscriptionPattern(migrating, 'Debited').detail).toEqual({ definition: ['transfer'], definitionVersion: [1, 2] });
  });

  it.each([
    ['another saga as a previous version', { version: 2, previousVersions: [variant(transferSaga, { name: 'payout' })] }, /must have the same name/],
    ['a previous version that is not older', { version: 1, previousVersions: [transferSaga] }, /not older/],
    ['one version twice', { version: 3, previousVersions: [transferSaga, transferSaga] }, /names v1 twice/],
    ['migratesFrom a version not listed', { version: 2, migratesFrom: [1] }, /not in previousVersions/],
    ['an older version the previous one still names', { version: 3, previousVersions: [transferSagaV2] }, /names v1 as in flight/],
  ])('defineSaga refuses %s', (_label, changes, message) => {
    expect(() => variant(transferSaga, changes)).toThrow(DefinitionError);
    expect(() => variant(transferSaga, changes)).toThrow(message);
  });
});

describe('verifyUpgrade: what a version that takes over in-flight sagas must keep', () => {
  it('keeping the old participants deployed needs nothing of the new version', () => {
    expect(verifyUpgrade(transferSaga, transferSagaV2)).toEqual([]);
    expect(verifyDefinition(transferSagaV2).filter((f) => f.code.startsWith('upgrade-'))).toEqual([]);
  });

  it('an in-place migration that moved the debit to another trigger strands v1 sagas waiting at TransferRequested', () => {
    const migrating = variant(transferSagaV2, { previousVersions: [transferSaga], migratesFrom: [1] });
    const findings = verifyDefinition(migrating).filter((f) => f.code.startsWith('upgrade-'));
    expect(findings).toContainEqual(expect.objectContaining({ code: 'upgrade-reaction-dropped', severity: 'error', participant: 'wallet', step: 'debit', event: 'TransferRequested' }));
    expect(findings.find((f) => f.code === 'upgrade-reaction-dropped')!.message).toMatch(/would stall/);
  });

  it('reports a dropped compensation, a dropped event, a changed terminal and a shorter deadline', () => {
    const v1 = transferSaga;
    const participants = v1.participants as unknown as { wallet: { steps: { debit: Record<string, unknown> } }; ledger: unknown };
    const { Refunded: _gone, ...events } = v1.events as Record<string, unknown>;
    const next = variant(v1, {
      version: 2,
      previousVersions: [v1],
      migratesFrom: [1],
      deadlineSeconds: 30,
      events: { ...events, Reversed: (v1.events as Record<string, unknown>).Refunded },
      participants: { ...participants, wallet: { steps: { debit: { ...participants.wallet.steps.debit, compensation: { on: ['CreditRefused'], emits: ['Reversed'] } } } } },
      terminal: { success: ['Credited'], failure: ['DebitRefused', 'Reversed', 'CreditVoided'] },
    });
    const codes = verifyUpgrade(v1, next).map((f) => `${f.code}${f.event ? `:${f.event}` : ''}`);
    expect(codes).toEqual(expect.arrayContaining(['upgrade-reaction-dropped:CreditVoided', 'upgrade-event-dropped:Refunded', 'upgrade-terminal-changed:CreditVoided', 'upgrade-deadline-shorter']));
    expect(verifyUpgrade(v1, next).find((f) => f.code === 'upgrade-reaction-dropped')!.message).toMatch(/could never be compensated/);
  });
});
