import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { OUTBOX_STREAM_FILTER } from '../../lib/core/keys.js';
import { StreamPoller, type StreamPollerOptions } from '../../lib/local/stream-poller.js';
import { freshTable, streamsClient } from '../support/dynamo.js';
import { loadFixture } from '../support/events.js';

/**
 * StreamPoller over DynamoDB Local's real stream, against the Lambda DynamoDB event source mapping:
 * filter criteria, batch size, ReportBatchItemFailures, bisect on error, bounded retries, on-failure.
 */

type Table = Awaited<ReturnType<typeof freshTable>>;
let table: Table;
const streams = streamsClient();
const tables: Table[] = [];
afterAll(() => {
  streams.destroy();
  for (const t of tables) t.raw.destroy();
});

beforeEach(async () => {
  table = await freshTable('poller');
  tables.push(table);
});

function poller(options: Partial<StreamPollerOptions> = {}) {
  const gaveUp: { labels: string[]; reason: string }[] = [];
  const p = new StreamPoller({
    streamsClient: streams,
    streamArn: table.streamArn,
    onFailure: (records, reason) => gaveUp.push({ labels: records.map(label), reason }),
    ...options,
  });
  return { p, gaveUp };
}

const label = (r: DynamoDBRecord): string => r.dynamodb?.Keys?.pk?.S ?? '?';

async function put(pk: string, extra: Record<string, unknown> = {}): Promise<void> {
  await table.client.send(new PutCommand({ TableName: table.tableName, Item: { pk, sk: 'x', ...extra } }));
}

/** Writes items r0 … r(n-1) in order. */
async function putMany(n: number): Promise<string[]> {
  const labels = Array.from({ length: n }, (_, i) => `r${i}`);
  for (const l of labels) await put(l);
  return labels;
}

/** A handler that records each batch it gets and answers with `respond`. */
function recorder(respond: (batch: DynamoDBRecord[], call: number) => DynamoDBBatchResponse | 'throw') {
  const batches: string[][] = [];
  const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    batches.push(event.Records.map(label));
    const answer = respond(event.Records, batches.length);
    if (answer === 'throw') throw new Error('handler crashed');
    return answer;
  };
  return { batches, handler };
}

const failed = (...records: (DynamoDBRecord | undefined)[]): DynamoDBBatchResponse => ({ batchItemFailures: records.map((r) => ({ itemIdentifier: r?.dynamodb?.SequenceNumber ?? '' })) });
const ok: DynamoDBBatchResponse = { batchItemFailures: [] };

async function drain(p: StreamPoller, handler: (e: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>, max = 50): Promise<void> {
  for (let i = 0; i < max && (await p.deliver(handler)); i++) {
    /* keep delivering */
  }
}

describe('StreamPoller: reading the stream', () => {
  it('hands the handler records of the Lambda stream shape (as the real event fixture)', async () => {
    // GIVEN one INSERT on the table
    await put('inventory#outbox#s-1', { kind: 'outbox', detail: '{}' });
    const { p } = poller();
    const { batches, handler } = recorder(() => ok);
    let seen: DynamoDBRecord | undefined;
    // WHEN
    expect(await p.fetch()).toBe(1);
    await p.deliver(async (e) => ((seen = e.Records[0]), handler(e)));
    // THEN
    expect(batches).toEqual([['inventory#outbox#s-1']]);
    const real = (loadFixture('stream-outbox-batch.json') as DynamoDBStreamEvent).Records[0]!;
    const definedKeys = (o: object) => Object.entries(o).filter(([, v]) => v !== undefined).map(([k]) => k).sort();
    expect(definedKeys(seen!)).toEqual(definedKeys(real));
    expect(definedKeys(seen!.dynamodb!)).toEqual(definedKeys(real.dynamodb!));
    expect(seen).toMatchObject({ eventName: 'INSERT', eventSource: 'aws:dynamodb', eventSourceARN: table.streamArn, dynamodb: { NewImage: { kind: { S: 'outbox' } }, StreamViewType: 'NEW_IMAGE' } });
  });

  it('applies the filter criteria: only outbox INSERTs reach the relay', async () => {
    // GIVEN an outbox INSERT, a business INSERT, a MODIFY and a REMOVE of the outbox row
    await put('inventory#outbox#s-1', { kind: 'outbox' });
    await put('inventory#stock#sku-1', { available: 1 });
    await table.client.send(new UpdateCommand({ TableName: table.tableName, Key: { pk: 'inventory#outbox#s-1', sk: 'x' }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': 1 } }));
    await table.client.send(new DeleteCommand({ TableName: table.tableName, Key: { pk: 'inventory#outbox#s-1', sk: 'x' } }));
    const { p } = poller({ filter: OUTBOX_STREAM_FILTER });
    // WHEN
    const fetched = await p.fetch();
    // THEN four records were read, one passed the filter
    expect(fetched).toBe(4);
    expect(p.pending).toBe(1);
  });

  it('reads only new records on each fetch', async () => {
    const { p } = poller();
    await putMany(2);
    expect(await p.fetch()).toBe(2);
    expect(await p.fetch()).toBe(0);
    await put('r9');
    expect(await p.fetch()).toBe(1);
    expect(p.pending).toBe(3);
  });

  it('with shortPageIsTip, ends a fetch at a short page instead of asking for an empty one, and reads on after a full page', async () => {
    // GIVEN a streams client that counts its GetRecords, and a stream with 1,001 records
    const counted = streamsClient();
    let getRecords = 0;
    counted.middlewareStack.add((next, context) => (args) => ((getRecords += context.commandName === 'GetRecordsCommand' ? 1 : 0), next(args)), { step: 'initialize' });
    const { p } = poller({ streamsClient: counted, shortPageIsTip: true });
    await p.fetch(); // positions the iterator (an empty stream: one GetRecords)
    await putMany(1_001);
    // WHEN it fetches, then fetches again after one more write
    getRecords = 0;
    const first = await p.fetch();
    const afterFull = getRecords;
    await put('r-last');
    getRecords = 0;
    const second = await p.fetch();
    // THEN a full page of 1,000 was followed by the short page of 1, and nothing asked past it
    expect([first, afterFull]).toEqual([1_001, 2]);
    expect([second, getRecords]).toEqual([1, 1]);
    counted.destroy();
  });

  it('delivers in batches of at most batchSize, in stream order', async () => {
    await putMany(5);
    const { p } = poller({ batchSize: 2 });
    await p.fetch();
    const { batches, handler } = recorder(() => ok);
    await drain(p, handler);
    expect(batches).toEqual([['r0', 'r1'], ['r2', 'r3'], ['r4']]);
    expect(await p.deliver(handler)).toBe(false);
  });
});

describe('StreamPoller: failures', () => {
  it('resumes from the first record reported in batchItemFailures (later records are delivered again)', async () => {
    // GIVEN a handler that reports r2 and r4 failed once
    await putMany(5);
    const { p } = poller();
    await p.fetch();
    const { batches, handler } = recorder((batch, call) => (call === 1 ? failed(batch[4], batch[2]) : ok));
    // WHEN
    await drain(p, handler);
    // THEN the retry starts at r2, the lowest failed sequence number
    expect(batches).toEqual([
      ['r0', 'r1', 'r2', 'r3', 'r4'],
      ['r2', 'r3', 'r4'],
    ]);
  });

  it('gives up on a record after retryAttempts retries, sends it to onFailure and moves on', async () => {
    // GIVEN r1 always fails
    await putMany(3);
    const { p, gaveUp } = poller({ retryAttempts: 2 });
    await p.fetch();
    const { batches, handler } = recorder((batch) => {
      const bad = batch.find((r) => label(r) === 'r1');
      return bad ? failed(bad) : ok;
    });
    // WHEN
    await drain(p, handler);
    // THEN 1 try + 2 retries, then the on-failure destination, then r2 alone
    expect(batches).toEqual([['r0', 'r1', 'r2'], ['r1', 'r2'], ['r1', 'r2'], ['r2']]);
    expect(gaveUp).toEqual([{ labels: ['r1'], reason: expect.stringContaining('gave up after 2 retries') as unknown }]);
    expect(p.pending).toBe(0);
  });

  it('counts retries per record: a record that failed once is not given up for an earlier record’s failures', async () => {
    // GIVEN r0 fails once, then r1 fails once, with only one retry allowed
    await putMany(3);
    const { p, gaveUp } = poller({ retryAttempts: 1 });
    await p.fetch();
    const { batches, handler } = recorder((batch, call) => (call === 1 ? failed(batch[0]) : call === 2 ? failed(batch[1]) : ok));
    // WHEN
    await drain(p, handler);
    // THEN both records got their retry and nothing went to the on-failure destination
    expect(batches).toEqual([
      ['r0', 'r1', 'r2'],
      ['r0', 'r1', 'r2'],
      ['r1', 'r2'],
    ]);
    expect(gaveUp).toEqual([]);
  });

  it('bisects a batch whose handler throws until the bad record is alone, then retries it and gives up', async () => {
    // GIVEN a handler that crashes on any batch containing r2
    await putMany(4);
    const { p, gaveUp } = poller({ retryAttempts: 1 });
    await p.fetch();
    const { batches, handler } = recorder((batch) => (batch.some((r) => label(r) === 'r2') ? 'throw' : ok));
    // WHEN
    await drain(p, handler);
    // THEN halves are tried, the good ones pass, r2 fails alone twice and goes to onFailure, r3 follows
    expect(batches).toEqual([['r0', 'r1', 'r2', 'r3'], ['r0', 'r1'], ['r2', 'r3'], ['r2'], ['r2'], ['r3']]);
    expect(gaveUp).toEqual([{ labels: ['r2'], reason: expect.stringContaining('handler error: handler crashed') as unknown }]);
  });
});
