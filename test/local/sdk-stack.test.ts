import { addUserAgentMiddleware } from '@aws-lambda-powertools/commons';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { LocalEventBus } from '../../lib/local/bus.js';
import { VirtualClock } from '../../lib/local/clock.js';
import { localDynamoClients } from '../../lib/local/dynamo-clients.js';

/**
 * Clients answered in process lose the SDK middleware that ran after the answer (never reached):
 * what other code adds to their stacks must work as on a full client.
 */
describe('in-process clients without the middleware after their answer', () => {
  it('serve calls with middleware placed relative to the removed ones (Powertools) and count them at initialize', async () => {
    // GIVEN in-process DynamoDB clients with Powertools' user-agent step (placed after
    // getUserAgentMiddleware) and a counter at initialize, as the fault injector and the bench add
    const dynamo = localDynamoClients();
    addUserAgentMiddleware(dynamo.raw, 'idempotency');
    const seen: string[] = [];
    dynamo.raw.middlewareStack.add((next, context) => (args) => (seen.push(context.commandName ?? '?'), next(args)), { step: 'initialize' });
    await dynamo.raw.send(
      new CreateTableCommand({ TableName: 'stack-test', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }),
    );
    // WHEN a document client on them writes and reads
    await dynamo.document.send(new PutCommand({ TableName: 'stack-test', Item: { pk: 'a', n: 1 } }));
    const got = await dynamo.document.send(new GetCommand({ TableName: 'stack-test', Key: { pk: 'a' } }));
    // THEN both succeed, unmarshalled, and the counter saw every call
    expect(got.Item).toEqual({ pk: 'a', n: 1 });
    expect(seen).toEqual(['CreateTableCommand', 'PutItemCommand', 'GetItemCommand']);
    dynamo.destroy();
  });

  it('publish to the local bus with middleware placed relative to the removed ones', async () => {
    // GIVEN an EventBridge client attached to the local bus, with Powertools' user-agent step
    const bus = new LocalEventBus('stack-bus', new VirtualClock(), () => 'id-1');
    const client = new EventBridgeClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    bus.attachTo(client);
    addUserAgentMiddleware(client, 'tracer');
    // WHEN it puts an event
    const out = await client.send(new PutEventsCommand({ Entries: [{ EventBusName: 'stack-bus', Source: 's', DetailType: 'T', Detail: '{"a":1}' }] }));
    // THEN the bus accepted it
    expect(out.FailedEntryCount).toBe(0);
    expect(bus.published).toBe(1);
    client.destroy();
  });
});
