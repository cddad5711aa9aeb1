import { Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { orderSaga } from '../../functions/order/definition.js';
import { terminalEventsPattern } from '../../lib/core/index.js';
import { ACKNOWLEDGEMENTS } from '../../lib/constructs/acknowledgements.js';
import { Choreography } from '../../lib/constructs/index.js';
import { OUTCOME_API_DLQ_ACKNOWLEDGEMENT, SagaNotifier, type SagaNotifierProps } from '../../lib/constructs/notifier.js';
import { actionsOf, FIXTURE_ENTRIES, FIXTURE_ENTRY, idOf, testApp, type CfnResource, type Statement } from './support.js';

type Secrets = { readonly stack: Stack; readonly signingSecret: secretsmanager.ISecret; readonly apiKey: secretsmanager.ISecret };

function synth(override: Partial<SagaNotifierProps> | ((s: Secrets) => Partial<SagaNotifierProps>) = {}) {
  const app = testApp();
  const stack = new Stack(app, 'Notify');
  const choreography = new Choreography(stack, 'Order', { definition: orderSaga, ...FIXTURE_ENTRIES });
  for (const p of Object.keys(orderSaga.participants)) choreography.addParticipant(p, { entry: FIXTURE_ENTRY });
  const signingSecret = new secretsmanager.Secret(stack, 'Signing', { generateSecretString: { passwordLength: 48, excludePunctuation: true } });
  const apiKey = new secretsmanager.Secret(stack, 'ApiKey', { generateSecretString: { passwordLength: 48, excludePunctuation: true } });
  for (const secret of [signingSecret, apiKey]) Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: 'test secrets' });
  const props = typeof override === 'function' ? override({ stack, signingSecret, apiKey }) : override;
  const notifier = new SagaNotifier(stack, 'Merchant', {
    choreography,
    endpoints: [{ id: 'merchant', url: 'https://merchant.example/hooks/orders', signingSecret }],
    outcomeApi: { keys: { merchant: apiKey } },
    entry: FIXTURE_ENTRY,
    outcomeApiEntry: FIXTURE_ENTRY,
    ...props,
  });
  let template: Template | undefined;
  // Lazy: a test may add to the stack before the (single) synthesis.
  return {
    app,
    stack,
    choreography,
    notifier,
    signingSecret,
    apiKey,
    get template(): Template {
      template ??= Template.fromStack(stack);
      return template;
    },
  };
}

function statementsOf(t: Template, role: iam.IRole): Statement[] {
  const roleId = idOf(role);
  return (Object.values(t.findResources('AWS::IAM::Policy')) as CfnResource[])
    .filter((p) => (p.Properties.Roles as Array<{ Ref?: string }>).some((r) => r.Ref === roleId))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}
const leadingKeys = (s: Statement): unknown => (s.Condition?.['ForAllValues:StringLike'] as Record<string, unknown> | undefined)?.['dynamodb:LeadingKeys'];

describe('SagaNotifier', () => {
  const { app, notifier, choreography, template, signingSecret, apiKey } = synth();

  it('routes the saga\'s terminal events to its queue (with the DLQ as the target DLQ) and consumes them with partial batch failures', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: idOf(choreography.eventBus) },
      EventPattern: terminalEventsPattern(orderSaga),
      Targets: [{ Id: Match.anyValue(), Arn: { 'Fn::GetAtt': [idOf(notifier.queue), 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [idOf(notifier.deadLetterQueue), 'Arn'] } } }],
    });
    expect(terminalEventsPattern(orderSaga)).toEqual({ source: [{ prefix: 'saga.order.' }], 'detail-type': ['OrderCompleted', 'StockUnavailable', 'StockReleased'], detail: { definition: ['order'] } });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [idOf(notifier.queue), 'Arn'] },
      FunctionName: { Ref: idOf(notifier.function) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [idOf(notifier.deadLetterQueue), 'Arn'] }, maxReceiveCount: 5 }, VisibilityTimeout: 720 });
  });

  it('sweeps due retries on a schedule, with a DLQ for failed scheduled runs', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [{ Id: Match.anyValue(), Arn: { 'Fn::GetAtt': [idOf(notifier.function), 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [idOf(notifier.sweepDeadLetterQueue), 'Arn'] } } }],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: Match.absent(),
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [idOf(notifier.sweepDeadLetterQueue), 'Arn'] } },
      Environment: {
        Variables: Match.objectLike({
          SAGA_DEFINITION_NAME: 'order',
          // the signing secret's ARN, never its value
          SAGA_NOTIFY_ENDPOINTS: { 'Fn::Join': ['', ['[{"id":"merchant","url":"https://merchant.example/hooks/orders","signingSecretId":"', { Ref: idOf(signingSecret) }, '"}]']] },
          SAGA_SECRETS_MAX_AGE_SECONDS: '300',
          SAGA_NOTIFY_MAX_ATTEMPTS: '8',
          SAGA_NOTIFY_FIRST_RETRY_SECONDS: '30',
          SAGA_NOTIFY_MAX_RETRY_SECONDS: '3600',
          SAGA_NOTIFY_TIMEOUT_MS: '5000',
        }),
      },
    });
  });

  it('lets the notifier write only its own items and query only the retry partitions of the index; it cannot publish', () => {
    const statements = statementsOf(template, notifier.function.role!);
    const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.map((s) => [actionsOf(s).length > 1 ? 'items' : actionsOf(s)[0], leadingKeys(s)])).toEqual([
      ['items', ['notifier#*']],
      ['dynamodb:GetItem', ['initiator#saga#*']],
      ['dynamodb:Query', ['open#notify#*']],
    ]);
    expect(dynamo[2]?.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [idOf(choreography.table), 'Arn'] }, '/index/open-sagas']] });
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('events:'))).toEqual([]);
  });

  it('serves the outcome API on a function URL with IAM auth, reading only saga records and notifications', () => {
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', TargetFunctionArn: { 'Fn::GetAtt': [idOf(notifier.outcomeApiFunction!), 'Arn'] } });
    const statements = statementsOf(template, notifier.outcomeApiFunction!.role!).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    const table = { 'Fn::GetAtt': [idOf(choreography.table), 'Arn'] };
    expect(statements).toEqual([
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: table, Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['saga#*', 'notifier#*'] } } },
      { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: table, Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['initiator#saga#*'] } } },
      { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: table, Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['notifier#nonce#*'] } } },
    ]);
    // the keys' ARNs, never their values
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ SAGA_OUTCOME_API_KEY_SECRETS: { 'Fn::Join': ['', ['{"merchant":"', { Ref: idOf(apiKey) }, '"}']] } }) } });
  });

  it('grantQueryOutcome lets a principal invoke the function URL', () => {
    const s = synth();
    const receiver = new iam.Role(s.stack, 'Receiver', { assumedBy: new iam.AccountRootPrincipal() });
    s.notifier.grantQueryOutcome(receiver);
    const statements = statementsOf(Template.fromStack(s.stack), receiver);
    // CDK grants both actions: function URLs with IAM auth now also need lambda:InvokeFunction.
    expect(statements.flatMap(actionsOf).sort()).toEqual(['lambda:InvokeFunction', 'lambda:InvokeFunctionUrl']);
  });

  it('alarms on given-up notifications and on both DLQs', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'NotificationsGivenUp', Namespace: 'SagaChoreography', Dimensions: [{ Name: 'Saga', Value: 'order' }], Threshold: 1 });
    expect(notifier.alarms).toHaveLength(3);
  });

  it('passes cdk-nag (AwsSolutions, Serverless) with no unacknowledged finding, acknowledging only documented rules', () => {
    const findings = [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
      pack.validateScope(app).violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} @ ${r.constructPath}`)),
    );
    expect(findings).toEqual([]);
    const documented = [...Object.values(ACKNOWLEDGEMENTS), OUTCOME_API_DLQ_ACKNOWLEDGEMENT].map((a) => `${a.id}|${a.reason}`);
    const acks = notifier.node
      .findAll()
      .flatMap((c: IConstruct) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).flatMap((m) => Object.entries(m.data as Record<string, string>)));
    expect(acks.length).toBeGreaterThan(0);
    for (const [id, reason] of acks) expect(documented, id).toContain(`${id.replace(/^annotation::/i, '')}|${reason}`);
  });

  it('the query API can be left without IAM auth (request signatures only), or left out', () => {
    const open = synth(({ apiKey }) => ({ outcomeApi: { keys: { merchant: apiKey }, authType: lambda.FunctionUrlAuthType.NONE } }));
    open.template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    const none = synth({ outcomeApi: undefined });
    none.template.resourceCountIs('AWS::Lambda::Url', 0);
    expect(() => none.notifier.grantQueryOutcome(new iam.Role(none.stack, 'R', { assumedBy: new iam.AccountRootPrincipal() }))).toThrow(/needs the outcome API/);
  });

  it('fails if the endpoints or the retry settings are wrong, saying what is allowed', () => {
    const url = 'https://merchant.example/hooks';
    expect(() => synth({ endpoints: [] })).toThrow(/endpoints is empty/);
    const signing = false;
    expect(() => synth({ endpoints: [{ id: 'merchant', url: 'http://merchant.example', signing }] })).toThrow(/must be an https:\/\/ URL/);
    expect(() => synth({ endpoints: [{ id: 'Merchant!', url, signing }] })).toThrow(/endpoint id "Merchant!" is invalid/);
    expect(() => synth({ endpoints: [{ id: 'm', url, signing }, { id: 'm', url, signing }] })).toThrow(/used twice/);
    expect(() => synth({ endpoints: [{ id: 'm', url, events: ['OrderCreated'], signing }] })).toThrow(/not terminal events of saga "order"/);
    expect(() => synth({ maxAttempts: 0 })).toThrow(/maxAttempts must be an integer from 1 to 100, got 0/);
    expect(() => synth({ outcomeApi: { keys: {} } })).toThrow(/nobody could query/);
    expect(() => synth(({ apiKey }) => ({ outcomeApi: { keys: { Merchant_1: apiKey } } }))).toThrow(/key id "Merchant_1" is invalid; use a receiver id/);
  });

  it('lets each function read only its own secrets', () => {
    const reads = (role: iam.IRole) => statementsOf(template, role).filter((st) => actionsOf(st).includes('secretsmanager:GetSecretValue')).map((st) => st.Resource);
    expect(reads(notifier.function.role!)).toEqual([{ Ref: idOf(signingSecret) }]);
    expect(reads(notifier.outcomeApiFunction!.role!)).toEqual([{ Ref: idOf(apiKey) }]);
    // no secret value anywhere in a function's configuration
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function')) as CfnResource[]) expect(JSON.stringify(fn.Properties.Environment ?? {})).not.toMatch(/resolve:secretsmanager|SecretString/);
  });

  it('requires a signing secret unless signing is turned off explicitly, which is warned about at synth', () => {
    const url = 'https://merchant.example/hooks';
    expect(() => synth({ endpoints: [{ id: 'merchant', url }] })).toThrow(/endpoint "merchant" has no signingSecret.*signing: false/);
    expect(() => synth(({ signingSecret }) => ({ endpoints: [{ id: 'merchant', url, signingSecret, signing: false }] }))).toThrow(/choose one/);
    const unsigned = synth({ endpoints: [{ id: 'merchant', url, signing: false }] });
    unsigned.template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ SAGA_NOTIFY_ENDPOINTS: JSON.stringify([{ id: 'merchant', url, unsigned: true }]) }) } });
    Annotations.fromStack(unsigned.stack).hasWarning('/Notify/Merchant', Match.stringLikeRegexp('endpoint "merchant" receives unsigned requests'));
  });
});
