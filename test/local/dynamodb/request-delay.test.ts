import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbEngine } from '../../../lib/local/dynamodb/engine.js';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../../lib/local/dynamodb/http.js';
import { attachDynamoDbEngine } from '../../../lib/local/dynamodb/sdk.js';

/**
 * `requestDelayMs`: every request waits a fixed time before the engine runs it, whichever
 * transport carries it. Time is a fake clock the injected sleep moves, so nothing here is timed.
 */

/** A sleep that holds each wait until the test releases it, and a virtual clock the releases move. */
function controlledSleep() {
  const pending: { ms: number; release: () => void }[] = [];
  const clock = { now: 0 };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      pending.push({
        ms,
        release: () => {
          clock.now += ms;
          resolve();
        },
      });
    });
  return { pending, clock, sleep };
}

/** A sleep that returns at once and adds its wait to a virtual clock. */
function instantSleep() {
  const waits: number[] = [];
  const clock = { now: 0 };
  return { waits, clock, sleep: async (ms: number) => void (waits.push(ms), (clock.now += ms)) };
}

const config = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 };
const clients: DynamoDBClient[] = [];
const servers: LocalDynamoDb[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

function inProcess(engine: DynamoDbEngine): DynamoDBClient {
  const client = new DynamoDBClient(config);
  attachDynamoDbEngine(client, engine);
  clients.push(client);
  return client;
}

async function overHttp(engine: DynamoDbEngine): Promise<DynamoDBClient> {
  const local = await startLocalDynamoDb({ engine });
  servers.push(local);
  const client = new DynamoDBClient({ ...config, endpoint: local.endpoint });
  clients.push(client);
  return client;
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe.each([
  ['in-process', async (e: DynamoDbEngine) => inProcess(e)],
  ['over HTTP', overHttp],
] as const)('local DynamoDB engine: requestDelayMs %s', (_transport, connect) => {
  it('makes N sequential requests wait N × the delay, each before it runs', async () => {
    // GIVEN an engine with a 4 ms delay whose waits move a virtual clock
    const fake = instantSleep();
    const engine = new DynamoDbEngine({ requestDelayMs: 4, sleep: fake.sleep });
    const client = await connect(engine);
    // WHEN 5 requests are sent one after the other
    for (let i = 0; i < 5; i++) await client.send(new ListTablesCommand({}));
    // THEN each waited 4 ms: 20 ms of virtual time for 5 requests
    expect(fake.waits).toEqual([4, 4, 4, 4, 4]);
    expect(fake.clock.now).toBe(20);
    expect(engine.operationsExecuted).toBe(5);
  });

  it('does not run a request before its wait is over, and lets concurrent requests wait side by side', async () => {
    // GIVEN an engine whose waits end only when the test says so
    const held = controlledSleep();
    const engine = new DynamoDbEngine({ requestDelayMs: 4, sleep: held.sleep });
    const client = await connect(engine);
    // WHEN two requests are sent at once
    const a = client.send(new ListTablesCommand({}));
    const b = client.send(new ListTablesCommand({}));
    while (held.pending.length < 2) await flush();
    // THEN both are waiting and neither has run
    expect(held.pending.map((p) => p.ms)).toEqual([4, 4]);
    expect(engine.operationsExecuted).toBe(0);
    // WHEN the waits end THEN both run
    for (const p of held.pending) p.release();
    await Promise.all([a, b]);
    expect(engine.operationsExecuted).toBe(2);
  });

  it('waits for nothing by default', async () => {
    const fake = instantSleep();
    const engine = new DynamoDbEngine({ sleep: fake.sleep });
    const client = await connect(engine);
    await client.send(new ListTablesCommand({}));
    expect(fake.waits).toEqual([]);
    expect(engine.requestDelayMs).toBe(0);
  });
});

describe('local DynamoDB engine: requestDelayMs', () => {
  it('fails if the delay is negative or not a number', () => {
    expect(() => new DynamoDbEngine({ requestDelayMs: -1 })).toThrow(/requestDelayMs must be a finite number of milliseconds ≥ 0, got -1/);
    expect(() => new DynamoDbEngine({ requestDelayMs: Number.NaN })).toThrow(RangeError);
  });
});
