import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { orderSaga } from '../../functions/order/definition.js';
import { subscriptionPattern, subscriptionsOf } from '../../lib/core/index.js';
import { Choreography, SagaConstructError, SagaParticipant } from '../../lib/constructs/index.js';
import { FIXTURE_ENTRIES, FIXTURE_ENTRY, idOf, testApp, type CfnResource } from './support.js';

/**
 * How a template reads a value of another stack: with cdk.json's `@aws-cdk/core:defaultCrossStackReferences: "weak"`
 * (a recommended flag) `Fn::GetStackOutput`, without it an export and `Fn::ImportValue`.
 */
const CROSS_STACK_REFERENCE = /Fn::GetStackOutput|Fn::ImportValue/;

describe('composition across stacks', () => {
  it('deploys the shared parts in one stack and participants in another through Choreography.fromAttributes', () => {
    // GIVEN a shared stack with the choreography and one participant
    const app = testApp();
    const shared = new Stack(app, 'SagaShared');
    const choreography = new Choreography(shared, 'Order', { definition: orderSaga, ...FIXTURE_ENTRIES });
    choreography.addParticipant('inventory', { entry: FIXTURE_ENTRY });

    // WHEN another team's stack imports it with the existing bus and table and adds its participants
    const team = new Stack(app, 'PaymentsTeam');
    const imported = Choreography.fromAttributes(team, 'Order', {
      definition: orderSaga,
      eventBus: choreography.eventBus,
      table: choreography.table,
    });
    const payment = imported.addParticipant('payment', { entry: FIXTURE_ENTRY });
    // The team's operators: the CLI's table permissions on the shared table, queue actions on the team's participants.
    const operator = new iam.Role(team, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    imported.grantOperator(operator);
    const order = imported.addParticipant('order', { entry: FIXTURE_ENTRY });

    // THEN the participant stack holds only participant resources, wired to the shared bus and table
    const t = Template.fromStack(team);
    t.resourceCountIs('AWS::DynamoDB::Table', 0);
    t.resourceCountIs('AWS::Events::EventBus', 0);
    t.resourceCountIs('AWS::Lambda::Function', 2);
    const importsOf = (value: unknown) => CROSS_STACK_REFERENCE.test(JSON.stringify(value));
    for (const p of [payment, order]) {
      for (const event of subscriptionsOf(orderSaga, p.participant)) {
        t.hasResourceProperties('AWS::Events::Rule', {
          EventPattern: subscriptionPattern(orderSaga, event),
          EventBusName: Match.objectLike({ 'Fn::GetStackOutput': Match.anyValue() }),
          Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [idOf(p.queue), 'Arn'] } })],
        });
      }
      const fn = t.findResources('AWS::Lambda::Function')[idOf(p.function)] as CfnResource;
      expect(importsOf((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.SAGA_TABLE_NAME)).toBe(true);
    }
    const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('"payment#*"');
    expect(policies).toContain('"order#*"');
    expect(policies).not.toContain('events:PutEvents');

    const operatorPolicy = JSON.stringify(Object.values(t.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p).includes(idOf(operator))));
    expect(operatorPolicy).toMatch(CROSS_STACK_REFERENCE); // the shared table's ARN
    expect(operatorPolicy).toContain('"reconciler#outbox#*"');
    for (const p of [payment, order]) {
      expect(operatorPolicy).toContain(`"${idOf(p.deadLetterQueue)}"`);
      expect(operatorPolicy).toContain(`"${idOf(p.queue)}"`);
    }
    expect(JSON.stringify(team.resolve(imported.queueUrlsJson()))).toContain(idOf(order.queue));

    // AND the app synthesizes (no dependency cycle between the stacks)
    expect(team.dependencies).toContain(shared);
    expect(shared.dependencies).not.toContain(team);
    expect(() => app.synth()).not.toThrow();
  });

  it('imports a choreography from another app by ARNs', () => {
    const app = testApp();
    const stack = new Stack(app, 'OtherApp', { env: { account: '111122223333', region: 'eu-west-1' } });
    const imported = Choreography.fromAttributes(stack, 'Order', {
      definition: orderSaga,
      eventBusArn: 'arn:aws:events:eu-west-1:111122223333:event-bus/orders',
      tableArn: 'arn:aws:dynamodb:eu-west-1:111122223333:table/orders',
    });
    imported.addParticipant('payment', { entry: FIXTURE_ENTRY });
    imported.grantStart(imported.addedParticipants.get('payment')!.function);
    const t = Template.fromStack(stack);
    for (const event of subscriptionsOf(orderSaga, 'payment')) {
      t.hasResourceProperties('AWS::Events::Rule', { EventBusName: 'orders', EventPattern: subscriptionPattern(orderSaga, event) });
    }
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Resource: 'arn:aws:dynamodb:eu-west-1:111122223333:table/orders',
            Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['payment#*'] } },
          }),
        ]),
      },
    });
  });

  it('keeps a participant created in another stack with the Choreography object out of the reconciler DLQ map (no cross-stack cycle)', () => {
    const app = testApp();
    const shared = new Stack(app, 'Shared');
    const c = new Choreography(shared, 'Order', { definition: orderSaga, ...FIXTURE_ENTRIES });
    const payment = c.addParticipant('payment', { entry: FIXTURE_ENTRY }); // same stack: listed
    const operator = new iam.Role(shared, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    c.grantOperator(operator);
    const other = new Stack(app, 'Other');
    const p = new SagaParticipant(other, 'OrderService', { choreography: c, participant: 'order', entry: FIXTURE_ENTRY });
    expect(() => app.synth()).not.toThrow();
    expect(shared.dependencies).not.toContain(other);
    const operatorPolicy = JSON.stringify(Template.fromStack(shared).findResources('AWS::IAM::Policy'));
    expect(operatorPolicy).toContain(`"${idOf(payment.deadLetterQueue)}"`);
    expect(operatorPolicy).not.toMatch(CROSS_STACK_REFERENCE);
    const urls = JSON.stringify(shared.resolve(c.dlqUrlsJson()));
    expect(urls).toContain('payment');
    expect(urls).not.toContain('\\"order\\"');
    Annotations.fromStack(other).hasInfo(`/${p.node.path}`, Match.stringLikeRegexp('is in stack Other, not in the choreography.s stack Shared'));
    const env = JSON.stringify(Template.fromStack(shared).findResources('AWS::Lambda::Function')[idOf(c.reconciler.function)]);
    expect(env).toContain('payment');
    expect(env).not.toContain('\\"order\\"');
  });

  it('fails if fromAttributes gets the bus both ways, or the table neither way', () => {
    const stack = new Stack(testApp(), 'Bad');
    const bus = events.EventBus.fromEventBusName(stack, 'Bus', 'orders');
    expect(() =>
      Choreography.fromAttributes(stack, 'A', { definition: orderSaga, eventBus: bus, eventBusArn: bus.eventBusArn, tableArn: 'arn:aws:dynamodb:eu-west-1:1:table/t' }),
    ).toThrow(/give the event bus exactly one way, as "eventBus" or "eventBusArn"; got "eventBus" and "eventBusArn"/);
    expect(() => Choreography.fromAttributes(stack, 'B', { definition: orderSaga, eventBus: bus })).toThrow(SagaConstructError);
    expect(() => Choreography.fromAttributes(stack, 'C', { definition: orderSaga, eventBus: bus })).toThrow(/give the table exactly one way.*got neither/);
  });
});
