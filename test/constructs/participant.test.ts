import { fileURLToPath } from 'node:url';
import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { orderSaga } from '../../functions/order/definition.js';
import { participantNames, subscriptionPattern, subscriptionsOf } from '../../lib/core/index.js';
import { Choreography, SagaConstructError, SagaParticipant, type SagaParticipantOptions } from '../../lib/constructs/index.js';
import { FIXTURE_ENTRIES, FIXTURE_ENTRY, idOf, synthOrderSaga, testApp, type CfnResource } from './support.js';

describe('SagaParticipant: rule → queue → function per subscription', () => {
  const { template, choreography } = synthOrderSaga();

  it.each(participantNames(orderSaga))('%s: one rule per subscribed event with the generated pattern, targeting its queue', (name) => {
    const p = choreography.addedParticipants.get(name)!;
    const queue = idOf(p.queue);
    const dlq = idOf(p.deadLetterQueue);
    const subscriptions = subscriptionsOf(orderSaga, name);
    expect(Object.keys(p.rules).sort()).toEqual([...subscriptions].sort());
    const rulesToQueue = Object.values(template.findResources('AWS::Events::Rule')).filter((r) =>
      JSON.stringify((r as CfnResource).Properties.Targets).includes(`"${queue}"`),
    ) as CfnResource[];
    expect(rulesToQueue).toHaveLength(subscriptions.length);
    for (const event of subscriptions) {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: { Ref: idOf(choreography.eventBus) },
        EventPattern: subscriptionPattern(orderSaga, event),
        Targets: [{ Id: Match.anyValue(), Arn: { 'Fn::GetAtt': [queue, 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } } }],
      });
    }
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
      FunctionName: { Ref: idOf(p.function) },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] }, maxReceiveCount: 5 },
      VisibilityTimeout: 180,
      SqsManagedSseEnabled: true,
    });
  });

  it('generates exactly the rules the definition implies (plus the tracker and the schedule)', () => {
    const subscriptions = participantNames(orderSaga).reduce((n, p) => n + subscriptionsOf(orderSaga, p).length, 0);
    template.resourceCountIs('AWS::Events::Rule', subscriptions + 2);
    // The pattern admits only producers allowed to emit the event: no participant can trigger another with a forged event type.
    expect(subscriptionPattern(orderSaga, 'OrderCreated')).toEqual({ source: ['saga.order.order'], 'detail-type': ['OrderCreated'], detail: { definition: ['order'], definitionVersion: [1] } });
  });

  it('writes the ENV variables and merges extra environment', () => {
    const app = testApp();
    const stack = new Stack(app, 'Env');
    const c = new Choreography(stack, 'Order', { definition: orderSaga, ...FIXTURE_ENTRIES });
    const p = c.addParticipant('payment', { entry: FIXTURE_ENTRY, environment: { PSP_URL: 'https://psp.example', SAGA_LOG_LEVEL: 'debug' } });
    const fn = Template.fromStack(stack).findResources('AWS::Lambda::Function')[idOf(p.function)] as CfnResource;
    expect((fn.Properties.Environment as { Variables: unknown }).Variables).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      PSP_URL: 'https://psp.example',
      SAGA_LOG_LEVEL: 'debug',
      SAGA_TABLE_NAME: { Ref: idOf(c.table) },
      SAGA_PARTICIPANT: 'payment',
      SAGA_DEFINITION_NAME: 'order',
      SAGA_MAX_RECEIVE_COUNT: '5',
      SAGA_RETRY_BASE_SECONDS: '2',
    });
    expect(fn.Properties).toMatchObject({ Timeout: 30, MemorySize: 256, Runtime: 'nodejs24.x', Architectures: ['arm64'] });
  });

  it('derives the visibility timeout from the function timeout (6×) and honours tuning props', () => {
    const app = testApp();
    const stack = new Stack(app, 'Tuned');
    const c = new Choreography(stack, 'Order', { definition: orderSaga, ...FIXTURE_ENTRIES });
    const p = new SagaParticipant(stack, 'Inventory', {
      choreography: c,
      participant: 'inventory',
      entry: FIXTURE_ENTRY,
      timeout: Duration.seconds(10),
      memorySize: 512,
      batchSize: 50,
      maxBatchingWindow: Duration.seconds(2),
      maxReceiveCount: 3,
      retryBaseDelay: Duration.seconds(5),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 60, RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }) });
    // The runtime writes the failure record on the queue's last allowed receive: both must agree.
    const vars = ((template.findResources('AWS::Lambda::Function')[idOf(p.function)] as CfnResource).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(vars).toMatchObject({ SAGA_MAX_RECEIVE_COUNT: '3', SAGA_RETRY_BASE_SECONDS: '5' });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionName: { Ref: idOf(p.function) }, BatchSize: 50, MaximumBatchingWindowInSeconds: 2 });
    expect(stack.resolve(p.metricDlqDepth().toMetricConfig().metricStat)).toMatchObject({
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: [{ name: 'QueueName', value: { 'Fn::GetAtt': [idOf(p.deadLetterQueue), 'QueueName'] } }],
    });
  });
});

describe('SagaParticipant: validation', () => {
  const add = (participant: string, options: Partial<SagaParticipantOptions> = {}) => {
    const stack = new Stack(testApp(), 'V');
    const c = new Choreography(stack, 'Order', { definition: orderSaga, ...FIXTURE_ENTRIES });
    return () => c.addParticipant(participant, { entry: FIXTURE_ENTRY, ...options });
  };

  it('fails if participant is not in the definition, listing the allowed names', () => {
    expect(add('shipping')).toThrow(SagaConstructError);
    const allowed = participantNames(orderSaga).map((p) => `"${p}"`).join(', ');
    expect(add('shipping')).toThrow(`participant "shipping" is not in saga "order". Allowed participants: ${allowed}. Fix the name`);
  });

  it('fails if visibility timeout < 6× function timeout', () => {
    expect(add('order', { timeout: Duration.seconds(30), visibilityTimeout: Duration.seconds(120) })).toThrow(
      /visibilityTimeout 2 minutes is less than 6× the function timeout \(30 seconds × 6 = 180 seconds\)/,
    );
  });

  it('fails if maxReceiveCount < 1', () => {
    expect(add('order', { maxReceiveCount: 0 })).toThrow(/maxReceiveCount must be an integer from 1 to 1000, got 0/);
  });

  it('fails if batchSize > 10 without a batching window', () => {
    expect(add('order', { batchSize: 50 })).toThrow(/batchSize must be an integer from 1 to 10, got 50\. More than 10 needs maxBatchingWindow/);
  });

  it('fails if timeout exceeds 15 minutes', () => {
    expect(add('order', { timeout: Duration.minutes(20) })).toThrow(/timeout must be between 1 second and 15 minutes, got 20 minutes/);
  });

  it('fails if memorySize is outside 128–10240 MB', () => {
    expect(add('order', { memorySize: 64 })).toThrow(/memorySize must be an integer from 128 to 10240, got 64/);
  });

  it('fails if environment overrides a variable the construct writes', () => {
    expect(add('order', { environment: { SAGA_PARTICIPANT: 'payment' } })).toThrow(/environment sets "SAGA_PARTICIPANT", which the construct writes itself/);
  });

  it('fails if environment sets the forward-recovery variables, naming the props that set them', () => {
    expect(add('order', { environment: { SAGA_MAX_RECEIVE_COUNT: '9', SAGA_RETRY_BASE_SECONDS: '1' } })).toThrow(
      /SAGA_MAX_RECEIVE_COUNT comes from the prop maxReceiveCount; SAGA_RETRY_BASE_SECONDS comes from the prop retryBaseDelay/,
    );
  });

  it('fails if retryBaseDelay is not whole seconds or exceeds 15 minutes', () => {
    expect(add('order', { retryBaseDelay: Duration.millis(1500) })).toThrow(/retryBaseDelay must be a whole number of seconds, got 1 second 500 millis \(1\.5 seconds\)/);
    expect(add('order', { retryBaseDelay: Duration.minutes(20) })).toThrow(/retryBaseDelay must be between 0 seconds and 15 minutes, got 20 minutes/);
  });

  it('fails if the participant is added twice', () => {
    const stack = new Stack(testApp(), 'Twice');
    const c = new Choreography(stack, 'Order', { definition: orderSaga, ...FIXTURE_ENTRIES });
    c.addParticipant('order', { entry: FIXTURE_ENTRY });
    expect(() => new SagaParticipant(stack, 'Again', { choreography: c, participant: 'order', entry: FIXTURE_ENTRY })).toThrow(
      /participant "order" was already added to this choreography/,
    );
  });

  it('fails if the entry file does not exist', () => {
    expect(add('order', { entry: 'functions/order/nope.ts' })).toThrow(/entry file "functions\/order\/nope.ts" does not exist/);
  });
});

describe('SagaParticipant: a TCC participant’s entry', () => {
  const warningsOf = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('createTccParticipantHandler'));

  it('warns at synth when the entry of a participant with a TCC step never names createTccParticipantHandler', () => {
    const stack = new Stack(testApp(), 'TccPlain');
    const c = new Choreography(stack, 'Order', { definition: orderSaga, ...FIXTURE_ENTRIES });
    c.addParticipant('points', { entry: FIXTURE_ENTRY }); // the stand-in entry names no factory
    c.addParticipant('payment', { entry: FIXTURE_ENTRY }); // no TCC step: no warning
    const warnings = warningsOf(stack);
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0]!.entry.data)).toContain('Participant \\"points\\" has TCC step(s) \\"freezePoints\\"');
  });

  it('stays quiet when the entry creates its handler with createTccParticipantHandler (the reference points entry)', () => {
    const stack = new Stack(testApp(), 'TccFactory');
    const c = new Choreography(stack, 'Order', { definition: orderSaga, ...FIXTURE_ENTRIES });
    c.addParticipant('points', { entry: fileURLToPath(new URL('../../functions/order/points.ts', import.meta.url)) });
    expect(warningsOf(stack)).toEqual([]);
  });
});
