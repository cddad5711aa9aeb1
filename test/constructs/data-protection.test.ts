import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { orderSaga } from '../../functions/order/definition.js';
import { participantNames } from '../../lib/core/index.js';
import { Choreography, SagaNotifier } from '../../lib/constructs/index.js';
import { actionsOf, FIXTURE_ENTRIES, FIXTURE_ENTRY, idOf, synthOrderSaga, testApp, type CfnResource, type Statement } from './support.js';

type Resources = Record<string, CfnResource & { DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

/** Dead-letter queues: every queue that is no queue's redrive target is a work queue; DLQs are the targets plus the relay's and reconciler's. */
function deadLetterQueueIds(template: Template): string[] {
  return Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) => /DeadLetterQueue|FailureQueue/.test(id));
}

/** The order saga with a notifier too, so its DLQs and log group are covered. */
function synthWithNotifier(props: Parameters<typeof synthOrderSaga>[0] = {}) {
  const stack = new Stack(testApp(), 'Protected');
  const choreography = new Choreography(stack, 'Order', { definition: orderSaga, ...FIXTURE_ENTRIES, ...props });
  for (const p of participantNames(orderSaga)) choreography.addParticipant(p, { entry: FIXTURE_ENTRY });
  new SagaNotifier(stack, 'Notifier', { choreography, endpoints: [{ id: 'merchant', url: 'https://merchant.example/hooks', signingSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'Signing', 'merchant-signing') }], entry: FIXTURE_ENTRY });
  return { stack, choreography, template: Template.fromStack(stack) };
}

describe('safe defaults for data', () => {
  it('turns on deletion protection of the table by default', () => {
    synthOrderSaga().template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
  });

  it('turns deletion protection off with deletionProtection: false', () => {
    const table = Object.values(synthOrderSaga({ deletionProtection: false }).template.findResources('AWS::DynamoDB::Table'))[0] as CfnResource;
    expect(table.Properties.DeletionProtectionEnabled).toBe(false);
  });

  it('retains every DLQ and log group (participants and notifier included) by default', () => {
    const { template } = synthWithNotifier();
    const dlqs = deadLetterQueueIds(template);
    expect(dlqs).toHaveLength(3 + participantNames(orderSaga).length + 2); // relay, reconciler, tracker, participants, notifier inbox + sweep
    const queues = template.findResources('AWS::SQS::Queue') as Resources;
    for (const id of dlqs) expect([queues[id]!.DeletionPolicy, queues[id]!.UpdateReplacePolicy], id).toEqual(['Retain', 'Retain']);
    const logGroups = Object.entries(template.findResources('AWS::Logs::LogGroup') as Resources);
    expect(logGroups).toHaveLength(3 + participantNames(orderSaga).length + 1);
    for (const [id, group] of logGroups) expect(group.DeletionPolicy, id).toBe('Retain');
  });

  it('deletes DLQs and log groups with the stack when removalPolicy is DESTROY', () => {
    const { template } = synthWithNotifier({ removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false });
    const queues = template.findResources('AWS::SQS::Queue') as Resources;
    for (const id of deadLetterQueueIds(template)) expect(queues[id]!.DeletionPolicy, id).toBe('Delete');
    for (const [id, group] of Object.entries(template.findResources('AWS::Logs::LogGroup') as Resources)) expect(group.DeletionPolicy, id).toBe('Delete');
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });

  describe('with a customer-managed key (encryptionKey)', () => {
    const app = testApp();
    const stack = new Stack(app, 'Keyed');
    const key = new kms.Key(stack, 'SagaKey', { enableKeyRotation: true });
    const choreography = new Choreography(stack, 'Order', { definition: orderSaga, encryptionKey: key, ...FIXTURE_ENTRIES });
    for (const p of participantNames(orderSaga)) choreography.addParticipant(p, { entry: FIXTURE_ENTRY });
    const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    choreography.grantOperator(operator);
    const template = Template.fromStack(stack);
    const keyArn = { 'Fn::GetAtt': [idOf(key), 'Arn'] };
    const statementsOf = (role: iam.IRole): Statement[] =>
      (Object.values(template.findResources('AWS::IAM::Policy')) as CfnResource[])
        .filter((p) => (p.Properties.Roles as Array<{ Ref?: string }>).some((r) => r.Ref === idOf(role)))
        .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const keyActions = (role: iam.IRole): string[] =>
      statementsOf(role)
        .filter((s) => JSON.stringify(s.Resource) === JSON.stringify(keyArn))
        .flatMap(actionsOf)
        .sort();

    it('encrypts the table with it', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', { SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn } });
    });

    it('encrypts every queue with it', () => {
      const queues = Object.entries(template.findResources('AWS::SQS::Queue') as Resources);
      expect(queues).toHaveLength(4 + 2 * participantNames(orderSaga).length);
      for (const [id, q] of queues) expect(q.Properties.KmsMasterKeyId, id).toEqual(keyArn);
    });

    it('encrypts the bus with it', () => {
      template.hasResourceProperties('AWS::Events::EventBus', { KmsKeyIdentifier: keyArn });
    });

    it('encrypts every log group with it and lets CloudWatch Logs of the region use it for log groups only', () => {
      for (const [id, g] of Object.entries(template.findResources('AWS::Logs::LogGroup') as Resources)) expect(g.Properties.KmsKeyId, id).toEqual(keyArn);
      const policy = (template.findResources('AWS::KMS::Key')[idOf(key)] as CfnResource).Properties.KeyPolicy as { Statement: Array<Record<string, unknown>> };
      const logs = policy.Statement.find((s) => s.Sid === 'SagaLogGroupsUseTheKey')!;
      expect(JSON.stringify(logs.Principal)).toContain('logs.');
      expect(JSON.stringify(logs.Condition)).toContain('kms:EncryptionContext:aws:logs:arn');
    });

    it('grants each function only the key actions its data access needs', () => {
      const read = ['kms:Decrypt', 'kms:DescribeKey'];
      const write = [...read, 'kms:Encrypt', 'kms:GenerateDataKey'].sort();
      for (const p of participantNames(orderSaga)) expect(keyActions(choreography.addedParticipants.get(p)!.function.role!), p).toEqual(expect.arrayContaining(write));
      expect(keyActions(choreography.tracker.function.role!)).toEqual(expect.arrayContaining(write));
      expect(keyActions(choreography.relay.role)).toEqual(expect.arrayContaining(read));
      expect(keyActions(choreography.reconciler.function.role!)).toEqual(expect.arrayContaining(write));
      expect(keyActions(operator)).toEqual(expect.arrayContaining(write));
    });

    it('passes cdk-nag (AwsSolutions, Serverless) with no finding: every key grant names its actions', () => {
      const found = [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
        pack.validateScope(stack).violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`)),
      );
      expect(found).toEqual([]);
    });
  });
});
