import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { defineSaga, subscriptionPattern, type AnySagaDefinition } from '../../lib/core/index.js';
import { Choreography, SagaConstructError } from '../../lib/constructs/index.js';
import { transferSaga } from '../fixtures/apps/transfer/saga.js';
import { transferSagaV2 } from '../fixtures/apps/transfer/saga-v2.js';
import { FIXTURE_ENTRIES, FIXTURE_ENTRY, idOf, testApp, type CfnResource } from './support.js';

function choreographyOf(definition: AnySagaDefinition) {
  const stack = new Stack(testApp(), 'Test');
  return { stack, choreography: new Choreography(stack, 'Transfer', { definition, ...FIXTURE_ENTRIES }) };
}

describe('a rolling upgrade in the constructs: v1 participants beside v2, routed by version', () => {
  it('keeps v1 participants at their ids with v1 rules, adds v2 participants with v2 rules, lists both for the reconciler', () => {
    const { stack, choreography } = choreographyOf(transferSagaV2);
    const v1 = ['wallet', 'ledger'].map((p) => choreography.addParticipant(p, { entry: FIXTURE_ENTRY, version: 1 }));
    const v2 = ['risk', 'wallet', 'ledger'].map((p) => choreography.addParticipant(p, { entry: FIXTURE_ENTRY }));
    expect(v1.map((p) => [p.node.id, p.version, p.deployedName])).toEqual([['Participant-wallet', 1, 'wallet-v1'], ['Participant-ledger', 1, 'ledger-v1']]);
    expect(v2.map((p) => [p.node.id, p.deployedName])).toEqual([['Participant-risk-v2', 'risk'], ['Participant-wallet-v2', 'wallet'], ['Participant-ledger-v2', 'ledger']]);
    const template = Template.fromStack(stack);
    const rulesTo = (queue: string) =>
      (Object.values(template.findResources('AWS::Events::Rule')) as CfnResource[]).filter((r) => JSON.stringify(r.Properties.Targets).includes(`"${queue}"`)).map((r) => r.Properties.EventPattern);
    // v1's wallet still debits on TransferRequested, for v1 sagas only; v2's debits on Screened, for v2 sagas only.
    expect(rulesTo(idOf(v1[0]!.queue))).toEqual([subscriptionPattern(transferSaga, 'TransferRequested', 'wallet'), subscriptionPattern(transferSaga, 'CreditRefused', 'wallet'), subscriptionPattern(transferSaga, 'CreditVoided', 'wallet')].map((p) => expect.objectContaining({ ...p, detail: { definition: ['transfer'], definitionVersion: [1] } })));
    expect(rulesTo(idOf(v2[1]!.queue))).toContainEqual(expect.objectContaining({ 'detail-type': ['Screened'], detail: { definition: ['transfer'], definitionVersion: [2] } }));
    expect(JSON.stringify(rulesTo(idOf(v2[1]!.queue)))).not.toContain('TransferRequested');
    // The reconciler and the operator CLI see each version's queues by its deployed name.
    expect([...choreography.addedParticipants.keys()].sort()).toEqual(['ledger', 'ledger-v1', 'risk', 'wallet', 'wallet-v1']);
    expect(JSON.stringify(stack.resolve(choreography.dlqUrlsJson()))).toContain('wallet-v1');
  });

  it('refuses a version the definition does not name, and a migrated version that would also keep its participants', () => {
    const { choreography } = choreographyOf(transferSagaV2);
    expect(() => choreography.addParticipant('wallet', { entry: FIXTURE_ENTRY, version: 3 })).toThrow(/does not name v3 in previousVersions/);
    const migrating = defineSaga({ ...(transferSaga as object), kind: undefined, version: 2, previousVersions: [transferSaga], migratesFrom: [1] } as never);
    const keepAndMigrate = () => choreographyOf(migrating).choreography.addParticipant('wallet', { entry: FIXTURE_ENTRY, version: 1 });
    expect(keepAndMigrate).toThrow(SagaConstructError);
    expect(keepAndMigrate).toThrow(/takes over v1 sagas \(migratesFrom\)/);
    // Taking over in place keeps the construct (and the queue with what is in it).
    expect(choreographyOf(migrating).choreography.addParticipant('wallet', { entry: FIXTURE_ENTRY }).node.id).toBe('Participant-wallet');
  });
});
