import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { attachDynamoDbEngine, DynamoDbEngine, startLocalDynamoDb } from '../../lib/local/dynamodb/index.js';
import { createSagaTable } from '../../lib/local/tables.js';
import { startMoto } from '../../test/support/moto.js';
import type { BenchContext } from '../lib/context.js';
import { figure, type ScenarioResult } from '../lib/report.js';
import { round } from '../lib/stats.js';

const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };

/**
 * One unit of the SDK workload the framework's steps resemble: a transaction of three conditional
 * puts (barrier, business item, outbox row), a consistent read of one of them, and a query of the
 * partition — five calls. The same units, the same clients, against each target.
 */
async function unit(doc: DynamoDBDocumentClient, tableName: string, i: number): Promise<void> {
  const pk = `bench#saga#${i}`;
  await doc.send(
    new TransactWriteCommand({
      TransactItems: [
        { Put: { TableName: tableName, Item: { pk, sk: 'step#a', state: 'done', n: i }, ConditionExpression: 'attribute_not_exists(pk)' } },
        { Put: { TableName: tableName, Item: { pk, sk: 'item', qty: 3 }, ConditionExpression: 'attribute_not_exists(pk) OR qty >= :z', ExpressionAttributeValues: { ':z': 0 } } },
        { Put: { TableName: tableName, Item: { pk, sk: `event#${i}`, kind: 'outbox', detail: { orderId: `o-${i}`, lines: [1, 2, 3] } } } },
      ],
    }),
  );
  await doc.send(new GetCommand({ TableName: tableName, Key: { pk, sk: 'item' }, ConsistentRead: true }));
  await doc.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)', ExpressionAttributeValues: { ':p': pk, ':s': 'e' } }));
  await doc.send(new PutCommand({ TableName: tableName, Item: { pk, sk: 'step#a', state: 'done', n: i + 1 }, ConditionExpression: 'n = :n', ExpressionAttributeValues: { ':n': i } }));
  await doc.send(new GetCommand({ TableName: tableName, Key: { pk, sk: 'step#a' } }));
}

/** Units per second for `budgetMs` of wall time after a short warm-up. */
async function throughput(client: DynamoDBClient, budgetMs: number): Promise<{ unitsPerSecond: number; units: number }> {
  const tableName = `bench-engine-${Date.now().toString(36)}`;
  await createSagaTable(client, tableName);
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  let i = 0;
  for (const end = performance.now() + Math.min(1000, budgetMs / 5); performance.now() < end; ) await unit(doc, tableName, i++);
  const start = performance.now();
  let units = 0;
  while (performance.now() - start < budgetMs) {
    await unit(doc, tableName, i++);
    units++;
  }
  return { unitsPerSecond: units / ((performance.now() - start) / 1000), units };
}

/**
 * Scenario 8: the DynamoDB engine against moto's server on the same SDK workload — in-process (the
 * SDK fast path) and over HTTP on loopback — as ratios measured in this run.
 */
export async function engineThroughput(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now();
  const budgetMs = ctx.quick ? 3_000 : 10_000;
  const region = 'us-east-1';

  ctx.progress('  engine in-process …');
  const inProcessClient = new DynamoDBClient({ region, credentials });
  attachDynamoDbEngine(inProcessClient, new DynamoDbEngine());
  const inProcess = await throughput(inProcessClient, budgetMs);

  ctx.progress('  engine over HTTP …');
  const served = await startLocalDynamoDb();
  const httpClient = new DynamoDBClient({ region, credentials, endpoint: served.endpoint });
  const overHttp = await throughput(httpClient, budgetMs);
  httpClient.destroy();
  await served.stop();

  ctx.progress('  moto server …');
  const moto = await startMoto();
  let motoRate: Awaited<ReturnType<typeof throughput>>;
  try {
    const motoClient = new DynamoDBClient({ region, credentials, endpoint: moto.endpoint });
    motoRate = await throughput(motoClient, budgetMs);
    motoClient.destroy();
  } finally {
    await moto.stop();
  }
  const vsMoto = (x: number) => round(x / motoRate.unitsPerSecond, 1);
  return {
    id: '8',
    title: 'DynamoDB engine vs moto (same SDK workload)',
    seconds: (performance.now() - t0) / 1000,
    figures: [
      figure('s8.inProcessVsMoto', 'engine in-process ÷ moto, throughput', vsMoto(inProcess.unitsPerSecond), { unit: '×', target: { op: '>=', value: 50 } }),
      figure('s8.httpVsMoto', 'engine over HTTP ÷ moto, throughput', vsMoto(overHttp.unitsPerSecond), { unit: '×', target: { op: '>=', value: 10 } }),
      figure('s8.inProcessUnits', 'engine in-process, units/s', round(inProcess.unitsPerSecond, 0)),
      figure('s8.httpUnits', 'engine over HTTP, units/s', round(overHttp.unitsPerSecond, 0)),
      figure('s8.motoUnits', 'moto server, units/s', round(motoRate.unitsPerSecond, 1)),
    ],
    notes: [
      `A unit is five SDK calls through a DynamoDBDocumentClient: a TransactWriteItems of three conditional puts, a consistent GetItem, a Query with begins_with, a conditional PutItem, a GetItem — on a table made like the saga table (stream, sparse GSI). Each target ran for ${budgetMs / 1000} s of wall time after a warm-up, one call at a time, in this process; moto's server and the HTTP engine are on loopback.`,
      'In-process, the SDK client, its middleware and its output types are the real ones; the fast path answers before serialisation and signing. Over HTTP the request is serialised, signed, sent, parsed and checksummed like any DynamoDB call.',
    ],
    details: { inProcess, overHttp, moto: motoRate },
  };
}
