import { RemovalPolicy, Stack, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { orderSaga } from '../../functions/order/definition.js';
import { defineSaga, participantNames, sourcePrefixFor, type AnySagaDefinition } from '../../lib/core/index.js';
import { Choreography, SagaConstructError } from '../../lib/constructs/index.js';
import { FIXTURE_ENTRIES, idOf, logicalId, synthOrderSaga, testApp, type CfnResource } from './support.js';

describe('Choreography: table', () => {
  it('creates one table with pk/sk string keys, a NEW_IMAGE stream, TTL, PITR and the open-sagas index', () => {
    const { template } = synthOrderSaga();
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'openShard', AttributeType: 'S' },
        { AttributeName: 'nextCheckAt', AttributeType: 'S' },
      ]),
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'open-sagas',
          KeySchema: [
            { AttributeName: 'openShard', KeyType: 'HASH' },
            { AttributeName: 'nextCheckAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it('retains the table by default and honours removalPolicy', () => {
    synthOrderSaga().template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    synthOrderSaga({ removalPolicy: RemovalPolicy.DESTROY }).template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });

  it('uses an existing table and bus instead of creating them', () => {
    const app = testApp();
    const stack = new Stack(app, 'Existing');
    const table = new dynamodb.Table(stack, 'Mine', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    });
    table.addGlobalSecondaryIndex({
      indexName: 'open-sagas',
      partitionKey: { name: 'openShard', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'nextCheckAt', type: dynamodb.AttributeType.STRING },
    });
    const bus = events.EventBus.fromEventBusName(stack, 'Bus', 'company-bus');
    new Choreography(stack, 'Order', { definition: orderSaga, table, eventBus: bus, ...FIXTURE_ENTRIES });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::Events::EventBus', 0);
    template.hasResourceProperties('AWS::Events::Rule', { EventBusName: 'company-bus' });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::DynamoDB::Table', 'Mine'), 'StreamArn'] },
    });
  });
});

describe('Choreography: outbox relay', () => {
  it('reads the stream filtered to outbox INSERTs with bounded retries, bisect, batch item failures and an on-failure queue', () => {
    const { template, choreography: c } = synthOrderSaga();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [idOf(c.table), 'StreamArn'] },
      FunctionName: { Ref: idOf(c.relay.function) },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 86400,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [idOf(c.relay.failureQueue), 'Arn'] } } },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { NewImage: { kind: { S: ['outbox'] } } } }) }] },
    });
  });

  it('honours the relay tuning props', () => {
    const { template } = synthOrderSaga({ relayBatchSize: 25, relayRetryAttempts: 2, relayMaxRecordAge: Duration.hours(2), relayParallelizationFactor: 3 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 25,
      MaximumRetryAttempts: 2,
      MaximumRecordAgeInSeconds: 7200,
      ParallelizationFactor: 3,
    });
  });

  it('gives the relay its table, bus and definition through ENV names only', () => {
    const { template, choreography: c } = synthOrderSaga();
    const fn = template.findResources('AWS::Lambda::Function')[idOf(c.relay.function)] as CfnResource;
    const vars = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(vars).sort()).toEqual(['NODE_OPTIONS', 'SAGA_DEFINITION_NAME', 'SAGA_EVENT_BUS_NAME', 'SAGA_TABLE_NAME']);
    expect(vars.SAGA_DEFINITION_NAME).toBe('order');
    expect(vars.SAGA_TABLE_NAME).toEqual({ Ref: idOf(c.table) });
    expect(vars.SAGA_EVENT_BUS_NAME).toEqual({ Ref: idOf(c.eventBus) });
  });
});

describe('Choreography: tracker and reconciler', () => {
  it('routes every saga event (source prefix) to the tracker queue, consumed with batch item failures', () => {
    const { template, choreography: c } = synthOrderSaga();
    const queue = idOf(c.tracker.queue);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: [{ prefix: sourcePrefixFor(orderSaga) }] },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [queue, 'Arn'] }, DeadLetterConfig: Match.anyValue() })],
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
      FunctionName: { Ref: idOf(c.tracker.function) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('schedules the reconciler every minute with a DLQ and gives it every participant DLQ URL', () => {
    const { template, choreography: c } = synthOrderSaga();
    const fnId = idOf(c.reconciler.function);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] }, DeadLetterConfig: Match.anyValue() })],
    });
    const fn = template.findResources('AWS::Lambda::Function')[fnId] as CfnResource;
    const vars = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    // Every variable reconcilerDepsFromEnv reads (SAGA_LOG_LEVEL is optional, info by default, as for the other functions).
    expect(Object.keys(vars).sort()).toEqual([
      'NODE_OPTIONS',
      'SAGA_DEFINITION_NAME',
      'SAGA_DLQ_URLS',
      'SAGA_RECONCILE_QUIET_SECONDS',
      'SAGA_RECONCILE_STALLED_CHECKS',
      'SAGA_TABLE_NAME',
    ]);
    expect(vars).toMatchObject({ SAGA_RECONCILE_QUIET_SECONDS: '60', SAGA_RECONCILE_STALLED_CHECKS: '3' });
    const dlqUrls = JSON.stringify(vars.SAGA_DLQ_URLS);
    for (const p of participantNames(orderSaga)) {
      expect(dlqUrls).toContain(`\\"${p}\\":\\"`);
      expect(dlqUrls).toContain(idOf(c.addedParticipants.get(p)!.deadLetterQueue));
    }
  });

  it('honours the reconciler tuning props', () => {
    const { template, choreography: c } = synthOrderSaga({ reconcileEvery: Duration.minutes(10), reconcileQuietPeriod: Duration.minutes(2), reconcileStalledChecks: 5 });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(10 minutes)' });
    const fn = template.findResources('AWS::Lambda::Function')[idOf(c.reconciler.function)] as CfnResource;
    expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      SAGA_RECONCILE_QUIET_SECONDS: '120',
      SAGA_RECONCILE_STALLED_CHECKS: '5',
    });
    // Its alarms look at periods long enough to hold one run.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'SagasFlagged', Period: 600 });
  });

  it('alarms when a saga is flagged (SagasFlagged ≥ 1) sent to the alarm topic', () => {
    const app = testApp();
    const stack = new Stack(app, 'Recovery');
    const topic = new sns.Topic(stack, 'Topic');
    const c = new Choreography(stack, 'Order', { definition: orderSaga, alarmTopic: topic, ...FIXTURE_ENTRIES });
    for (const p of participantNames(orderSaga)) c.addParticipant(p, { entry: FIXTURE_ENTRIES.relayEntry });
    const template = Template.fromStack(stack);
    const topicRef = { Ref: logicalId(template, 'AWS::SNS::Topic', 'Topic') };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'SagaChoreography',
      MetricName: 'SagasFlagged',
      Dimensions: [{ Name: 'Saga', Value: 'order' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef],
      AlarmDescription: Match.stringLikeRegexp('saga inspect'),
    });
    expect(c.alarms).toContain(c.reconciler.flaggedAlarm);
    expect(c.alarms.length).toBe(3 + 1 + 3); // relay (errors, iterator age, failure queue), tracker DLQ, reconciler (errors, DLQ, flagged); participants alarm their own DLQ
  });

  it('uses the newest Node.js runtime on arm64 with active tracing for every function', () => {
    const { template } = synthOrderSaga();
    const fns = Object.values(template.findResources('AWS::Lambda::Function')) as CfnResource[];
    expect(fns).toHaveLength(3 + participantNames(orderSaga).length);
    for (const fn of fns) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
    }
  });
});

describe('Choreography: queues, alarms, dashboard', () => {
  it('encrypts every queue, denies non-SSL access to each, and gives every non-DLQ queue a redrive policy', () => {
    const { template } = synthOrderSaga();
    const queues = template.findResources('AWS::SQS::Queue') as Record<string, CfnResource>;
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')) as CfnResource[];
    const dlqIds = new Set(
      Object.values(queues).flatMap((q) => {
        const target = (q.Properties.RedrivePolicy as { deadLetterTargetArn?: { 'Fn::GetAtt': [string, string] } } | undefined)?.deadLetterTargetArn;
        return target ? [target['Fn::GetAtt'][0]] : [];
      }),
    );
    expect(Object.keys(queues)).toHaveLength(1 + 1 + 2 + 2 * participantNames(orderSaga).length); // relay failure queue, reconciler DLQ, tracker pair, a pair per participant
    for (const [id, q] of Object.entries(queues)) {
      expect(q.Properties.SqsManagedSseEnabled, id).toBe(true);
      const sslDeny = policies.some(
        (p) =>
          (p.Properties.Queues as Array<{ Ref: string }>).some((r) => r.Ref === id) &&
          (p.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement.some(
            (s) => s.Effect === 'Deny' && JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
          ),
      );
      expect(sslDeny, `${id} has an SSL-only policy`).toBe(true);
      const isDlq = dlqIds.has(id) || id.includes('RelayFailureQueue') || id.includes('ReconcilerDeadLetterQueue');
      if (isDlq) expect(q.Properties.MessageRetentionPeriod, id).toBe(1209600);
      else expect(q.Properties.RedrivePolicy, `${id} has a redrive policy`).toBeDefined();
    }
  });

  it('alarms on every dead-letter queue (messages visible ≥ 1) and sends alarms to the topic', () => {
    const app = testApp();
    const stack = new Stack(app, 'Alarmed');
    const topic = new sns.Topic(stack, 'Topic');
    const c = new Choreography(stack, 'Order', { definition: orderSaga, alarmTopic: topic, ...FIXTURE_ENTRIES });
    for (const p of participantNames(orderSaga)) c.addParticipant(p, { entry: FIXTURE_ENTRIES.relayEntry });
    const template = Template.fromStack(stack);
    const deadLetterQueues = Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) => /DeadLetterQueue|FailureQueue/.test(id));
    expect(deadLetterQueues).toHaveLength(3 + participantNames(orderSaga).length);
    for (const dlq of deadLetterQueues) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        AlarmActions: [{ Ref: logicalId(template, 'AWS::SNS::Topic', 'Topic') }],
      });
    }
    const relayFn = idOf(c.relay.function);
    for (const metric of ['Errors', 'IteratorAge']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Namespace: 'AWS/Lambda',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: relayFn } }],
      });
    }
  });

  it('builds a dashboard with events published, steps, compensations, DLQ depth and relay iterator age', () => {
    const { template, choreography: c } = synthOrderSaga();
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]);
    for (const needle of ['SagaChoreography', 'EventsPublished', 'StepsCommitted', 'Compensations', 'Rejections', 'IteratorAge', 'ApproximateNumberOfMessagesVisible', 'Saga=\\\\\\"order\\\\\\"']) {
      expect(body).toContain(needle);
    }
    for (const p of participantNames(orderSaga)) expect(body).toContain(idOf(c.addedParticipants.get(p)!.deadLetterQueue));
  });

  it('exposes the custom metrics with namespace SagaChoreography and dimension Saga', () => {
    const { choreography, stack } = synthOrderSaga();
    for (const [metric, name] of [
      [choreography.metricEventsPublished(), 'EventsPublished'],
      [choreography.metricStepsCommitted(), 'StepsCommitted'],
      [choreography.metricCompensations(), 'Compensations'],
      [choreography.metricRejections(), 'Rejections'],
    ] as const) {
      expect(stack.resolve(metric.toMetricConfig().metricStat)).toMatchObject({ namespace: 'SagaChoreography', metricName: name, dimensions: [{ name: 'Saga', value: 'order' }] });
    }
  });
});

const badSaga = (): AnySagaDefinition =>
  defineSaga({
    name: 'broken',
    version: 1,
    deadlineSeconds: 60,
    start: 'Started',
    events: { Started: z.object({}), Done: z.object({}), NeverEmitted: z.object({}) },
    participants: {
      a: { steps: { go: { on: 'Started', emits: ['Done'] } } },
      b: { steps: { wait: { on: 'NeverEmitted', emits: ['Done'] } } },
    },
    terminal: { success: ['Done'], failure: [] },
  });

describe('Choreography: validation', () => {
  const make = (props: Partial<ConstructorParameters<typeof Choreography>[2]>, stack = new Stack(testApp(), 'V')) =>
    new Choreography(stack, 'Order', { definition: orderSaga, ...FIXTURE_ENTRIES, ...props });

  it('fails if the definition does not verify, naming the finding', () => {
    expect(() => make({ definition: badSaga() })).toThrow(/saga definition "broken" does not verify[\s\S]*NeverEmitted/);
  });

  it('fails if the definition was not made with defineSaga', () => {
    expect(() => make({ definition: { name: 'x' } as unknown as AnySagaDefinition })).toThrow(SagaConstructError);
    expect(() => make({ definition: { name: 'x' } as unknown as AnySagaDefinition })).toThrow(/defineSaga/);
  });

  it('fails if relayRetryAttempts is unbounded (-1)', () => {
    expect(() => make({ relayRetryAttempts: -1 })).toThrow(/relayRetryAttempts must be an integer from 0 to 10000, got -1/);
  });

  it('fails if relayBatchSize is 0', () => {
    expect(() => make({ relayBatchSize: 0 })).toThrow(/relayBatchSize must be an integer from 1 to 10000, got 0/);
  });

  it('fails if relayMaxRecordAge is under a minute', () => {
    expect(() => make({ relayMaxRecordAge: Duration.seconds(10) })).toThrow(/relayMaxRecordAge must be between 1 minute and 7 days, got 10 seconds/);
  });

  it('fails if reconcileEvery is under a minute', () => {
    expect(() => make({ reconcileEvery: Duration.seconds(30) })).toThrow(/reconcileEvery must be between 1 minute and 1 day, got 30 seconds/);
  });

  it('fails if the given table has no stream', () => {
    const stack = new Stack(testApp(), 'NoStream');
    const table = new dynamodb.Table(stack, 'T', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING } });
    expect(() => make({ table }, stack)).toThrow(/has no stream ARN/);
  });

  it('fails if the given table streams only keys', () => {
    const stack = new Stack(testApp(), 'KeysOnly');
    const table = new dynamodb.Table(stack, 'T', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.KEYS_ONLY,
    });
    expect(() => make({ table }, stack)).toThrow(/stream view type "KEYS_ONLY"/);
  });

  it('fails if the given table has another key schema', () => {
    const stack = new Stack(testApp(), 'Keys');
    const table = new dynamodb.Table(stack, 'T', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING }, stream: dynamodb.StreamViewType.NEW_IMAGE });
    expect(() => make({ table }, stack)).toThrow(/partition key "pk" \(STRING\) and sort key "sk" \(STRING\)/);
  });

  it('fails if the given table lacks the open-sagas index', () => {
    const stack = new Stack(testApp(), 'NoIndex');
    const table = new dynamodb.Table(stack, 'T', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.NEW_IMAGE,
    });
    expect(() => make({ table }, stack)).toThrow(/no usable global secondary index "open-sagas"/);
  });

  it('fails if an imported table has no stream ARN', () => {
    const stack = new Stack(testApp(), 'Imported');
    const table = dynamodb.Table.fromTableArn(stack, 'T', 'arn:aws:dynamodb:eu-west-1:111122223333:table/orders');
    expect(() => make({ table }, stack)).toThrow(/Table.fromTableAttributes\(\{ tableArn, tableStreamArn \}\)/);
  });

  it('fails if an entry file does not exist', () => {
    expect(() => make({ relayEntry: 'functions/does-not-exist.ts' })).toThrow(/entry file "functions\/does-not-exist.ts" does not exist/);
  });

  it('fails if reconcileQuietPeriod is not whole seconds or out of range', () => {
    expect(() => make({ reconcileQuietPeriod: Duration.millis(500) })).toThrow(/reconcileQuietPeriod must be a whole number of seconds/);
    expect(() => make({ reconcileQuietPeriod: Duration.seconds(0) })).toThrow(/reconcileQuietPeriod must be between 1 second and 1 day, got 0 seconds/);
  });

  it('fails if reconcileStalledChecks is 0', () => {
    expect(() => make({ reconcileStalledChecks: 0 })).toThrow(/reconcileStalledChecks must be an integer from 1 to 100, got 0/);
  });
});
