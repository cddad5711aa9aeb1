import { Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildReferenceApp, REFERENCE_ENTRIES, type ReferenceEntry } from '../../bin/app.js';
import { orderSaga } from '../../functions/order/definition.js';
import { participantNames, sourcePrefixFor } from '../../lib/core/index.js';
import { ACKNOWLEDGEMENTS, Choreography, SagaFunction, XRAY_ACTIONS } from '../../lib/constructs/index.js';
import { actionsOf, FIXTURE_ENTRIES, FIXTURE_ENTRY, idOf, synthOrderSaga, testApp, type CfnResource, type Statement } from './support.js';

const stubEntries = Object.fromEntries(Object.keys(REFERENCE_ENTRIES).map((k) => [k, FIXTURE_ENTRY])) as Record<ReferenceEntry, string>;

/** The reference stack with the merchant notifier, so every kind of framework function is in it. */
function referenceApp() {
  const app = testApp();
  app.node.setContext('merchantWebhookUrl', 'https://merchant.example/hooks/orders');
  return buildReferenceApp(app, { entries: stubEntries });
}

/** Every framework function of a construct tree, by its path. */
const sagaFunctions = (scope: IConstruct): SagaFunction[] => scope.node.findAll().filter((c): c is SagaFunction => c instanceof SagaFunction);

const errors = (scope: IConstruct): string[] =>
  [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack
      .validateScope(scope)
      .violations.filter((v) => v.severity === 'error')
      .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`)),
  );

/** Paths of the framework functions, relative to the stack (the same in every fresh reference app). */
const functionPaths = sagaFunctions(referenceApp().stack).map((f) => f.node.path);

describe('IAM that cannot be widened silently', () => {
  it('covers every kind of framework function: relay, tracker, reconciler, notifier, outcome API and each participant', () => {
    const names = functionPaths.map((p) => p.split('/').slice(-2).join('/'));
    for (const expected of ['Relay/Relay', 'Tracker/Tracker', 'Reconciler/Reconciler', 'MerchantNotifier/Notifier', 'OutcomeApi/Function', ...participantNames(orderSaga).map((p) => `Participant-${p}/Handler`)]) {
      expect(names).toContain(expected);
    }
  });

  it.each(functionPaths)('a wildcard statement (s3:GetObject, dynamodb:Scan on "*") added to the role of %s fails synth with a cdk-nag error', (path) => {
    const { app } = referenceApp();
    const fn = sagaFunctions(app).find((f) => f.node.path === path)!;
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 'dynamodb:Scan'], resources: ['*'] }));
    expect(errors(app)).toEqual([`AwsSolutions-IAM5[Resource::*] @ ${fn.role.node.path}/DefaultPolicy/Resource`]);
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5/);
  });

  it('puts the X-Ray statement alone in its own policy, acknowledged there and nowhere else on the role', () => {
    const { app, stack } = referenceApp();
    const template = Template.fromStack(stack);
    const policies = template.findResources('AWS::IAM::Policy') as Record<string, CfnResource>;
    for (const fn of sagaFunctions(app)) {
      const tracing = policies[idOf(fn.tracingPolicy!)]!;
      const statements = (tracing.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
      expect(statements.map((st) => ({ ...st, Action: actionsOf(st).sort() }))).toEqual([{ Effect: 'Allow', Action: [...XRAY_ACTIONS].sort(), Resource: '*' }]);
      expect(tracing.Properties.Roles).toEqual([{ Ref: idOf(fn.role) }]);
      const acknowledgedOn = [fn.role, fn.function, fn, fn.role.node.tryFindChild('DefaultPolicy')].filter(
        (c): c is IConstruct => c !== undefined && c.node.metadata.some((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && 'Annotation::AwsSolutions-IAM5[Resource::*]' in (m.data as object)),
      );
      expect(acknowledgedOn, fn.node.path).toEqual([]);
      // Lambda checks X-Ray permissions when a traced function is created.
      expect((template.findResources('AWS::Lambda::Function')[idOf(fn.function)] as { DependsOn: string[] }).DependsOn).toContain(idOf(fn.tracingPolicy!));
    }
  });

  it('grants dynamodb:ListStreams on "*" alone in its own acknowledged policy, which the stream mapping depends on', () => {
    const { template, choreography } = synthOrderSaga();
    const policy = template.findResources('AWS::IAM::Policy')[idOf(choreography.relay.streamListingPolicy)] as CfnResource;
    expect(policy.Properties.PolicyDocument).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:ListStreams', Resource: '*' }] });
    const reason = choreography.relay.streamListingPolicy.node.metadata.find((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)?.data as Record<string, string>;
    expect(Object.values(reason)).toEqual([ACKNOWLEDGEMENTS.listStreamsWildcard.reason]);
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).find((m) => JSON.stringify(m).includes('StreamArn')) as { DependsOn: string[] };
    expect(mapping.DependsOn).toContain(idOf(choreography.relay.streamListingPolicy));
  });

  it('gives the bus a policy denying PutEvents with the saga\'s sources to every principal but the relay\'s role', () => {
    const stack = new Stack(testApp(), 'Bus');
    const choreography = new Choreography(stack, 'Order', { definition: orderSaga, ...FIXTURE_ENTRIES });
    // grantStart lets a principal write initiator# outbox rows; it never needs PutEvents, so the policy names no one else.
    const starter = new iam.Role(stack, 'Starter', { assumedBy: new iam.AccountRootPrincipal() });
    choreography.grantStart(starter);
    const template = Template.fromStack(stack);
    const policies = Object.values(template.findResources('AWS::Events::EventBusPolicy')) as CfnResource[];
    expect(policies).toHaveLength(1);
    expect(policies[0]!.Properties).toEqual({
      EventBusName: { Ref: idOf(choreography.eventBus) },
      StatementId: 'cdk-OnlyTheRelayPublishesSagaEvents',
      Statement: {
        Sid: 'cdk-OnlyTheRelayPublishesSagaEvents',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'events:PutEvents',
        Resource: { 'Fn::GetAtt': [idOf(choreography.eventBus), 'Arn'] },
        Condition: {
          StringLike: { 'events:source': [`${sourcePrefixFor(orderSaga)}*`] },
          ArnNotEquals: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': [idOf(choreography.relay.role), 'Arn'] }] },
        },
      },
    });
    expect(actionsOfRole(template, idOf(starter))).toContain('dynamodb:PutItem');
    expect(actionsOfRole(template, idOf(starter))).not.toContain('events:PutEvents');
  });

  it('says at synth that an imported bus keeps its own policy, and how to add the statement', () => {
    const stack = new Stack(testApp(), 'Imported');
    const bus = events.EventBus.fromEventBusArn(stack, 'Shared', 'arn:aws:events:eu-west-1:111122223333:event-bus/orders');
    const c = new Choreography(stack, 'Order', { definition: orderSaga, eventBus: bus, ...FIXTURE_ENTRIES });
    Template.fromStack(stack).resourceCountIs('AWS::Events::EventBusPolicy', 0);
    Annotations.fromStack(stack).hasInfo(`/${c.node.path}`, Match.stringLikeRegexp('sagaSourcesStatement'));
  });

  it('gives every acknowledgement a reason that says why it is safe', () => {
    for (const [name, ack] of Object.entries(ACKNOWLEDGEMENTS)) {
      expect(ack.reason.length, name).toBeGreaterThan(100);
    }
    expect(new Set(Object.values(ACKNOWLEDGEMENTS).map((a) => a.reason)).size).toBe(Object.keys(ACKNOWLEDGEMENTS).length);
  });
});

function actionsOfRole(template: Template, roleId: string): string[] {
  return (Object.values(template.findResources('AWS::IAM::Policy')) as CfnResource[])
    .filter((p) => (p.Properties.Roles as Array<{ Ref?: string }>).some((r) => r.Ref === roleId))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement.flatMap(actionsOf));
}
