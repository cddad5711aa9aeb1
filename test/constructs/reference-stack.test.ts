import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks, type NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildReferenceApp, REFERENCE_ENTRIES, type ReferenceEntry } from '../../bin/app.js';
import { ACKNOWLEDGEMENTS } from '../../lib/constructs/acknowledgements.js';
import { orderSaga } from '../../functions/order/definition.js';
import { participantNames } from '../../lib/core/index.js';
import { idOf } from './support.js';
import { FIXTURE_ENTRY, testApp } from './support.js';

/** Stand-in entries: cdk-nag's verdict does not depend on handler code, and the test does not wait for functions/. */
const stubEntries = Object.fromEntries(Object.keys(REFERENCE_ENTRIES).map((k) => [k, FIXTURE_ENTRY])) as Record<ReferenceEntry, string>;

const packs = (): NagPack[] => [new AwsSolutionsChecks(), new ServerlessChecks()];

/** Every unacknowledged cdk-nag finding under `scope`, as "severity rule @ path". */
function findings(scope: IConstruct): string[] {
  return packs().flatMap((pack) =>
    pack.validateScope(scope).violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} @ ${r.constructPath}`)),
  );
}

/** Every acknowledgement recorded in the construct tree, with where it was made. */
function acknowledgements(scope: IConstruct): Array<{ id: string; reason: string; path: string }> {
  return scope.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ id: id.replace(/^annotation::/i, ''), reason, path: c.node.path }))),
  );
}

describe('reference stack (bin/app.ts)', () => {
  const { app, stack } = buildReferenceApp(testApp(), { entries: stubEntries });

  it('passes AwsSolutions and Serverless checks with zero unacknowledged findings', () => {
    expect(findings(app)).toEqual([]);
  });

  it('synthesizes with the cdk-nag plugins registered and no warnings or errors annotated', () => {
    expect(() => app.synth()).not.toThrow();
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    Annotations.fromStack(stack).hasNoError('*', Match.anyValue());
  });

  it('acknowledges only the documented rules, each on a specific resource with a specific reason', () => {
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(0);
    const documented = new Map<string, string>(Object.values(ACKNOWLEDGEMENTS).map((a) => [a.id, a.reason]));
    for (const ack of acks) {
      expect(documented.get(ack.id), `${ack.id} at ${ack.path}`).toBe(ack.reason);
      expect(ack.path, 'never stack- or app-wide').not.toMatch(/^SagaReference$|^$/);
      expect(ack.reason.length).toBeGreaterThan(60);
    }
  });

  it('outputs what the saga CLI needs: table name and JSON maps participant → DLQ URL and → queue URL', () => {
    const outputs = Template.fromStack(stack).findOutputs('*') as Record<string, { Value: unknown; Description?: string }>;
    expect(Object.keys(outputs).sort()).toEqual(expect.arrayContaining(['DlqUrls', 'EventBusName', 'QueueUrls', 'TableName']));
    expect(outputs.DlqUrls!.Description).toContain('SAGA_DLQ_URLS');
    expect(outputs.QueueUrls!.Description).toContain('SAGA_QUEUE_URLS');
    // Fn::Join of '{"inventory":"', {Ref: <queue>}, '","order":"', … — the Ref of a queue is its URL.
    const joined = (value: unknown) => ((value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]).map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
    const dlqs = joined(outputs.DlqUrls!.Value);
    const queues = joined(outputs.QueueUrls!.Value);
    for (const p of participantNames(orderSaga)) {
      const participant = stack.choreography.addedParticipants.get(p)!;
      expect(dlqs).toContain(`"${p}":"{"Ref":"${idOf(participant.deadLetterQueue)}"}"`);
      expect(queues).toContain(`"${p}":"{"Ref":"${idOf(participant.queue)}"}"`);
    }
  });

  it('is env-agnostic (synth needs no account, region or credentials)', () => {
    expect(stack.environment).toBe('aws://unknown-account/unknown-region');
  });

  it('the checks do fire: an unencrypted, non-SSL queue without a DLQ is reported (control)', () => {
    const control = new App();
    const s = new Stack(control, 'Control');
    new sqs.Queue(s, 'Plain', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    const found = findings(control);
    expect(found).toEqual(expect.arrayContaining([expect.stringContaining('AwsSolutions-SQS4'), expect.stringContaining('Serverless-SQSRedrivePolicy')]));
  });
});
