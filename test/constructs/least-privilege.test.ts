import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { orderSaga } from '../../functions/order/definition.js';
import {
  ATTENTION_SHARD,
  FAILURES_SHARD,
  STARTS_SHARD,
  UNPUBLISHED_SHARD,
  allProducers,
  failureKey,
  openShards,
  outboxKey,
  participantNames,
  pendingShards,
  rejectionKey,
  reservationShards,
  sagaKey,
  sourceFor,
  stepKey,
} from '../../lib/core/index.js';
import { Choreography } from '../../lib/constructs/index.js';
import { actionsOf, atoms, FIXTURE_ENTRIES, idOf, synthOrderSaga, testApp, type CfnResource, type Statement } from './support.js';

const { template, choreography } = synthOrderSaga();

/** Statements of the policies attached to `role`. */
function statementsOf(t: Template, role: iam.IRole): Statement[] {
  const roleId = idOf(role);
  return (Object.values(t.findResources('AWS::IAM::Policy')) as CfnResource[])
    .filter((p) => (p.Properties.Roles as Array<{ Ref?: string }>).some((r) => r.Ref === roleId))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}
const roleOf = (fn: { role?: iam.IRole }): iam.IRole => fn.role!;
const allStatements = (t: Template): Statement[] =>
  (Object.values(t.findResources('AWS::IAM::Policy')) as CfnResource[]).flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
const tableArn = () => ({ 'Fn::GetAtt': [idOf(choreography.table), 'Arn'] });
const leadingKeys = (s: Statement): unknown => (s.Condition?.['ForAllValues:StringLike'] as Record<string, unknown> | undefined)?.['dynamodb:LeadingKeys'];
/** IAM StringLike: `*` matches any run of characters (the patterns here use no `?`). */
const escapeRegExp = (text: string): string => text.replace(/[.+?^$(){}|[\]\\]/g, '\\$&');
const like = (pattern: string, value: string): boolean => new RegExp('^' + pattern.split('*').map(escapeRegExp).join('.*') + '$').test(value);
/** Whether one of `statements` allows `action` on an item (or index partition) whose partition key is `pk`. */
const allows = (statements: Statement[], action: string, pk: string): boolean =>
  statements.some((s) => actionsOf(s).includes(action) && ((leadingKeys(s) as string[] | undefined) ?? []).some((pattern) => like(pattern, pk)));
const queueArn = (queue: Parameters<typeof idOf>[0]) => ({ 'Fn::GetAtt': [idOf(queue), 'Arn'] });

describe('least privilege', () => {
  it.each(participantNames(orderSaga))('%s may read and write only items under its own prefix, on the table only, and only condition-check saga records (the end marker)', (name) => {
    const statements = statementsOf(template, roleOf(choreography.addedParticipants.get(name)!.function));
    const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(atoms(dynamo)).toEqual(atoms([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
        Resource: tableArn(),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${name}#*`] } },
      },
      {
        Effect: 'Allow',
        Action: 'dynamodb:ConditionCheckItem',
        Resource: tableArn(),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['saga#*'] } },
      },
    ]));
  });

  it.each(participantNames(orderSaga))('%s cannot publish events and has no data-plane access beyond its table items and its queue', (name) => {
    const p = choreography.addedParticipants.get(name)!;
    const statements = statementsOf(template, roleOf(p.function));
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter((a) => a.startsWith('events:'))).toEqual([]);
    const services = new Set(actions.map((a) => a.split(':')[0]));
    expect([...services].sort()).toEqual(['dynamodb', 'logs', 'sqs', 'xray']);
    for (const s of statements.filter((st) => actionsOf(st).some((a) => a.startsWith('sqs:')))) {
      expect(s.Resource).toEqual({ 'Fn::GetAtt': [idOf(p.queue), 'Arn'] });
    }
  });

  it.each(participantNames(orderSaga))('%s may change message visibility (the retry backoff) on its own queue only, and write its failure records', (name) => {
    const p = choreography.addedParticipants.get(name)!;
    const statements = statementsOf(template, roleOf(p.function));
    // Granted by the SQS event source (grantConsumeMessages), not by a statement of our own.
    const visibility = statements.filter((s) => actionsOf(s).includes('sqs:ChangeMessageVisibility'));
    expect(visibility.map((s) => s.Resource)).toEqual([queueArn(p.queue)]);
    expect(allows(statements, 'dynamodb:PutItem', failureKey(name, 'message-1').pk)).toBe(true);
    const other = participantNames(orderSaga).find((o) => o !== name)!;
    expect(allows(statements, 'dynamodb:PutItem', failureKey(other, 'message-1').pk)).toBe(false);
  });

  it('only the relay may call events:PutEvents, on its bus, with the sources the definition gives its producers', () => {
    const publishers = allStatements(template).filter((s) => actionsOf(s).some((a) => a === 'events:PutEvents' || a === 'events:*' || a === '*'));
    expect(publishers).toEqual([
      {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: { 'Fn::GetAtt': [idOf(choreography.eventBus), 'Arn'] },
        Condition: { StringEquals: { 'events:source': allProducers(orderSaga).map((p) => sourceFor(orderSaga, p)) } },
      },
    ]);
    expect(statementsOf(template, roleOf(choreography.relay.function))).toContainEqual(publishers[0]);
  });

  it('no DynamoDB, SQS or EventBridge action is allowed on Resource "*" (or a wildcard ARN), except ListStreams, which has no resource-level permission', () => {
    for (const s of allStatements(template)) {
      const dataPlane = actionsOf(s).filter((a) => /^(dynamodb|sqs|events):/.test(a) && a !== 'dynamodb:ListStreams');
      if (dataPlane.length === 0) continue;
      const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
      for (const r of resources) {
        expect(r, `${dataPlane.join(',')} on ${JSON.stringify(r)}`).not.toBe('*');
        expect(JSON.stringify(r), `${dataPlane.join(',')} on ${JSON.stringify(r)}`).not.toMatch(/\/\*"|:\*"/);
      }
    }
  });

  it('every DynamoDB item permission is fenced by LeadingKeys; stream reads name the stream', () => {
    const streamArn = { 'Fn::GetAtt': [idOf(choreography.table), 'StreamArn'] };
    for (const s of allStatements(template)) {
      const dynamo = actionsOf(s).filter((a) => a.startsWith('dynamodb:'));
      if (dynamo.length === 0) continue;
      if (dynamo.every((a) => ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'].includes(a))) {
        expect(s.Resource).toEqual(streamArn);
      } else if (dynamo.includes('dynamodb:ListStreams')) {
        expect(s, 'ListStreams alone, on "*" (the only resource it supports)').toEqual({ Effect: 'Allow', Action: 'dynamodb:ListStreams', Resource: '*' });
      } else {
        expect(leadingKeys(s), JSON.stringify(s)).toBeDefined();
      }
    }
  });

  it('the tracker writes only saga records; the reconciler only outbox rows, saga records, failure records and its own items', () => {
    const tracker = statementsOf(template, roleOf(choreography.tracker.function)).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(tracker.map(leadingKeys)).toEqual([['saga#*']]);
    const reconciler = statementsOf(template, roleOf(choreography.reconciler.function)).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    const writes = reconciler.filter((s) => actionsOf(s).includes('dynamodb:PutItem'));
    expect(writes.map(leadingKeys)).toEqual([['*#outbox#*', 'saga#*', '*#failed', 'relay#unpublished', 'reconciler#*']]);
    expect(reconciler).toContainEqual({
      Effect: 'Allow',
      Action: 'dynamodb:Query',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [idOf(choreography.table), 'Arn'] }, '/index/open-sagas']] },
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['open#*'] } },
    });
    expect(statementsOf(template, roleOf(choreography.reconciler.function)).flatMap(actionsOf)).not.toContain('events:PutEvents');
  });

  it('the reconciler may query every open-sagas partition it reads, read its step records, and read only the depth of participant DLQs', () => {
    const statements = statementsOf(template, roleOf(choreography.reconciler.function));
    for (const shard of [...openShards(), FAILURES_SHARD, ATTENTION_SHARD, STARTS_SHARD, UNPUBLISHED_SHARD, ...reservationShards(), ...pendingShards()]) {
      expect(allows(statements, 'dynamodb:Query', shard), shard).toBe(true);
    }
    expect(allows(statements, 'dynamodb:Query', stepKey('inventory', 's-1', '').pk)).toBe(true);
    expect(allows(statements, 'dynamodb:UpdateItem', failureKey('inventory', 'm-1').pk)).toBe(true);
    expect(allows(statements, 'dynamodb:PutItem', stepKey('inventory', 's-1', '').pk)).toBe(false);
    expect(allows(statements, 'dynamodb:GetItem', 'inventory#stock#sku-1')).toBe(false);
    const sqsStatements = atoms(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:'))));
    for (const st of sqsStatements) {
      // Its own async-invocation DLQ takes failed runs; every other queue it may only measure.
      if (st.Action === 'sqs:SendMessage') expect(st.Resource).toEqual(queueArn(choreography.reconciler.deadLetterQueue));
      else expect(st.Action).toEqual('sqs:GetQueueAttributes');
    }
    for (const p of participantNames(orderSaga)) {
      expect(sqsStatements).toContainEqual(expect.objectContaining({ Action: 'sqs:GetQueueAttributes', Resource: queueArn(choreography.addedParticipants.get(p)!.deadLetterQueue) }));
    }
  });

  it('nothing may Scan the table unless reconciliation checks are enabled (grantCheckReads, read-only)', () => {
    expect(allStatements(template).flatMap(actionsOf)).not.toContain('dynamodb:Scan');
    const stack = new Stack(testApp(), 'Checks');
    const c = new Choreography(stack, 'Order', { definition: orderSaga, ...FIXTURE_ENTRIES });
    c.reconciler.grantCheckReads();
    const scan = statementsOf(Template.fromStack(stack), roleOf(c.reconciler.function)).filter((s) => actionsOf(s).includes('dynamodb:Scan'));
    expect(atoms(scan)).toEqual(atoms([{ Effect: 'Allow', Action: ['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:GetItem'], Resource: { 'Fn::GetAtt': [idOf(c.table), 'Arn'] } }]));
  });

  it('roles carry no AWS managed policies', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role')) as CfnResource[]) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('grantStart lets a principal write initiator items only', () => {
    const stack = new Stack(testApp(), 'Starter');
    const c = new Choreography(stack, 'Order', { definition: orderSaga, ...FIXTURE_ENTRIES });
    const api = new iam.Role(stack, 'Api', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    c.grantStart(api);
    const statements = statementsOf(Template.fromStack(stack), api);
    expect(statements).toHaveLength(1);
    expect(leadingKeys(statements[0]!)).toEqual(['initiator#*']);
  });
});

describe('grantOperator: what the saga CLI needs, and no more', () => {
  // Granted after one participant is added and before the others: both are covered.
  const app = testApp();
  const stack = new Stack(app, 'Ops');
  const c = new Choreography(stack, 'Order', { definition: orderSaga, ...FIXTURE_ENTRIES });
  const [first, ...rest] = participantNames(orderSaga);
  c.addParticipant(first!, { entry: FIXTURE_ENTRIES.relayEntry });
  const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
  c.grantOperator(operator);
  for (const p of rest) c.addParticipant(p, { entry: FIXTURE_ENTRIES.relayEntry });
  const t = Template.fromStack(stack);
  const statements = statementsOf(t, operator);
  const table = { 'Fn::GetAtt': [idOf(c.table), 'Arn'] };

  it('reads saga, step, outbox, failure and rejection records, and writes only saga records and the reconciler outbox', () => {
    expect(atoms(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:'))))).toEqual(atoms([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'],
        Resource: table,
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['saga#*', '*#saga#*', '*#outbox#*', '*#failed', '*#rejected'] } },
      },
      {
        Effect: 'Allow',
        Action: 'dynamodb:PutItem',
        Resource: table,
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['saga#*', 'reconciler#outbox#*'] } },
      },
    ]));
  });

  it('allows every table call the operator actions make, and refuses business items and other writes', () => {
    const calls: Array<[string, string]> = [
      ['dynamodb:GetItem', sagaKey('s-1').pk], // inspect, and every action's saga read
      ['dynamodb:Query', stepKey('payment', 's-1', '').pk], // inspect: step records
      ['dynamodb:BatchGetItem', failureKey('inventory', 'm-1').pk], // dlq list: why it failed
      ['dynamodb:BatchGetItem', rejectionKey('inventory', 'm-1').pk],
      ['dynamodb:GetItem', outboxKey('order', 's-1', 'e-1').pk], // retry: the event's outbox row
      ['dynamodb:PutItem', sagaKey('s-1').pk], // notes, resolve, compensate (in TransactWriteItems)
      ['dynamodb:PutItem', outboxKey('reconciler', 's-1', 'e-1').pk], // compensate: SagaTimedOut
    ];
    for (const [action, pk] of calls) expect(allows(statements, action, pk), `${action} ${pk}`).toBe(true);
    const refused: Array<[string, string]> = [
      ['dynamodb:GetItem', 'inventory#stock#sku-1'],
      ['dynamodb:PutItem', outboxKey('inventory', 's-1', 'e-1').pk],
      ['dynamodb:PutItem', stepKey('payment', 's-1', '').pk],
      ['dynamodb:UpdateItem', sagaKey('s-1').pk],
      ['dynamodb:DeleteItem', sagaKey('s-1').pk],
    ];
    for (const [action, pk] of refused) expect(allows(statements, action, pk), `${action} ${pk}`).toBe(false);
    expect(statements.flatMap(actionsOf)).not.toContain('dynamodb:Scan');
  });

  it.each(participantNames(orderSaga))('%s: dlq list and redrive on its DLQ, retry on its queue, by ARN', (name) => {
    const p = c.addedParticipants.get(name)!;
    const granted = atoms(statements).filter((st) => st.Action.startsWith('sqs:'));
    const onDlq = granted.filter((st) => JSON.stringify(st.Resource) === JSON.stringify(queueArn(p.deadLetterQueue))).map((st) => st.Action);
    const onQueue = granted.filter((st) => JSON.stringify(st.Resource) === JSON.stringify(queueArn(p.queue))).map((st) => st.Action);
    expect(onDlq.sort()).toEqual(['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:StartMessageMoveTask', 'sqs:DeleteMessage'].sort());
    expect(onQueue.sort()).toEqual(['sqs:SendMessage', 'sqs:GetQueueAttributes'].sort());
  });

  it('has no other services, no wildcard resources on data-plane actions, and cannot publish or send to framework queues', () => {
    const actions = statements.flatMap(actionsOf);
    expect([...new Set(actions.map((a) => a.split(':')[0]))].sort()).toEqual(['dynamodb', 'sqs']);
    for (const s of statements) {
      const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
      for (const r of resources) expect(JSON.stringify(r)).not.toMatch(/^"\*"$|\/\*"|:\*"/);
    }
    const sqsResources = JSON.stringify(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:'))).map((s) => s.Resource));
    for (const q of [c.tracker.queue, c.tracker.deadLetterQueue, c.relay.failureQueue, c.reconciler.deadLetterQueue]) expect(sqsResources).not.toContain(`"${idOf(q)}"`);
    const queuesGranted = new Set(atoms(statements).filter((st) => st.Action.startsWith('sqs:')).map((st) => JSON.stringify(st.Resource)));
    expect(queuesGranted.size).toBe(2 * participantNames(orderSaga).length);
  });

  it('the URL maps name every participant queue, for SAGA_DLQ_URLS and SAGA_QUEUE_URLS', () => {
    const dlqs = JSON.stringify(stack.resolve(c.dlqUrlsJson()));
    const queues = JSON.stringify(stack.resolve(c.queueUrlsJson()));
    for (const name of participantNames(orderSaga)) {
      const p = c.addedParticipants.get(name)!;
      expect(dlqs).toContain(`\\"${name}\\":\\"`);
      expect(dlqs).toContain(`{"Ref":"${idOf(p.deadLetterQueue)}"}`);
      expect(queues).toContain(`{"Ref":"${idOf(p.queue)}"}`);
    }
  });
});
