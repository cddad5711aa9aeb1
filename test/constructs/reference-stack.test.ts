import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks, type NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildReferenceApp, REFERENCE_ENTRIES, SHARED_SECRET_ROTATION_ACKNOWLEDGEMENT, type ReferenceEntry } from '../../bin/app.js';
import { ACKNOWLEDGEMENTS } from '../../lib/constructs/acknowledgements.js';
import { OUTCOME_API_DLQ_ACKNOWLEDGEMENT } from '../../lib/constructs/outcome-api.js';
import { orderSaga } from '../../functions/order/definition.js';
import { participantNames } from '../../lib/core/index.js';
import { idOf } from './support.js';
import { FIXTURE_ENTRY, TCC_FIXTURE_ENTRY, testApp } from './support.js';

/** Stand-in entries: cdk-nag's verdict does not depend on handler code, and the test does not wait for functions/. */
const stubEntries = Object.fromEntries(Object.keys(REFERENCE_ENTRIES).map((k) => [k, k === 'points' ? TCC_FIXTURE_ENTRY : FIXTURE_ENTRY])) as Record<ReferenceEntry, string>;

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
    const documented = [...Object.values(ACKNOWLEDGEMENTS), OUTCOME_API_DLQ_ACKNOWLEDGEMENT, SHARED_SECRET_ROTATION_ACKNOWLEDGEMENT].map((a) => `${a.id}|${a.reason}`);
    for (const ack of acks) {
      expect(documented, `${ack.id} at ${ack.path}`).toContain(`${ack.id}|${ack.reason}`);
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

  it('deploys the outcome query API: IAM-authenticated function URL, the merchant key from a secret created here, by ARN', () => {
    const template = Template.fromStack(stack);
    const api = stack.outcomeApi;
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', TargetFunctionArn: { 'Fn::GetAtt': [idOf(api.function), 'Arn'] } });
    const secrets = template.findResources('AWS::SecretsManager::Secret');
    expect(Object.keys(secrets)).toHaveLength(1);
    const [keyId] = Object.keys(secrets);
    const fn = template.findResources('AWS::Lambda::Function')[idOf(api.function)] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(fn.Properties.Environment.Variables.SAGA_OUTCOME_API_KEY_SECRETS).toEqual({ 'Fn::Join': ['', ['{"merchant":"', { Ref: keyId }, '"}']] });
    expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual(['NODE_OPTIONS', 'SAGA_DEFINITION_NAME', 'SAGA_OUTCOME_API_KEY_SECRETS', 'SAGA_SECRETS_MAX_AGE_SECONDS', 'SAGA_TABLE_NAME']);
    const outputs = template.findOutputs('*') as Record<string, { Value: unknown }>;
    expect(outputs.OutcomeApiUrl!.Value).toEqual({ 'Fn::GetAtt': [idOf(api.url), 'FunctionUrl'] });
    expect(outputs.MerchantApiKeySecretArn!.Value).toEqual({ Ref: keyId });
  });

  it('no function carries a secret value in its environment', () => {
    const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function') as Record<string, { Properties: { Environment?: unknown } }>;
    for (const [id, fn] of Object.entries(functions)) expect(JSON.stringify(fn.Properties.Environment ?? {}), id).not.toMatch(/resolve:secretsmanager|SecretString|Fn::GetAtt[^]*SecretString/);
  });

  it('deploys no merchant notifier without a webhook URL, and says how to get one', () => {
    expect(stack.merchantNotifier).toBeUndefined();
    Annotations.fromStack(stack).hasInfo('/SagaReference', Match.stringLikeRegexp('merchantWebhookUrl'));
  });

  it('the checks do fire: an unencrypted, non-SSL queue without a DLQ is reported (control)', () => {
    const control = new App();
    const s = new Stack(control, 'Control');
    new sqs.Queue(s, 'Plain', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    const found = findings(control);
    expect(found).toEqual(expect.arrayContaining([expect.stringContaining('AwsSolutions-SQS4'), expect.stringContaining('Serverless-SQSRedrivePolicy')]));
  });
});

describe('reference stack with the merchant notifier (-c merchantWebhookUrl=…)', () => {
  const app = testApp();
  app.node.setContext('merchantWebhookUrl', 'https://merchant.example/hooks/orders');
  app.node.setContext('merchantSigningSecretName', 'order-saga/merchant-signing');
  const { stack } = buildReferenceApp(app, { entries: stubEntries });

  it('adds the notifier for the saga\'s terminal events, posting to the URL and signing with the named secret, read at run time', () => {
    const notifier = stack.merchantNotifier!;
    expect(notifier).toBeDefined();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', { Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [idOf(notifier.queue), 'Arn'] } })] });
    const fn = template.findResources('AWS::Lambda::Function')[idOf(notifier.function)] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    const endpoints = JSON.stringify(fn.Properties.Environment.Variables);
    expect(endpoints).toContain('https://merchant.example/hooks/orders');
    // the secret's ARN (imported by name), never a dynamic reference that resolves its value into the configuration
    expect(endpoints).toContain('\\"signingSecretId\\":\\"');
    expect(endpoints).toContain(':secret:order-saga/merchant-signing');
    expect(endpoints).not.toContain('resolve:secretsmanager');
  });

  it('still passes AwsSolutions and Serverless checks with zero unacknowledged findings', () => {
    expect(findings(app)).toEqual([]);
    expect(() => app.synth()).not.toThrow();
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    Annotations.fromStack(stack).hasNoError('*', Match.anyValue());
  });

  it('rejects a webhook that is not https, naming the value', () => {
    const bad = testApp();
    bad.node.setContext('merchantWebhookUrl', 'http://merchant.example/hooks');
    expect(() => buildReferenceApp(bad, { entries: stubEntries })).toThrow(/http:\/\/merchant\.example\/hooks.*https/);
  });
});
