/**
 * End to end on LocalStack: deploy the reference stack with cdklocal, start an order saga, wait for
 * its saga record to reach a terminal state, and check the business items.
 *
 *   LOCALSTACK_AUTH_TOKEN=… localstack start -d      # needs Docker and (since 2025) an auth token
 *   npm run e2e:localstack
 *
 * Without a reachable LocalStack it prints why it skipped and exits 0, so it can sit in any pipeline.
 * Endpoint: LOCALSTACK_ENDPOINT, else AWS_ENDPOINT_URL, else http://localhost:4566.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { orderSaga } from '../../functions/order/definition.js';
import { stockKey } from '../../functions/order/inventory.js';
import { orderKey } from '../../functions/order/order.js';
import { readSagaRecord, isTerminalStatus } from '../../lib/runtime/shared/saga-record.js';
import { startSaga } from '../../lib/runtime/initiator/start.js';

const endpoint = process.env.LOCALSTACK_ENDPOINT ?? process.env.AWS_ENDPOINT_URL ?? 'http://localhost:4566';
const OUTPUTS = 'cdk.out/localstack-outputs.json';

async function reachable(): Promise<string | undefined> {
  try {
    const res = await fetch(`${endpoint}/_localstack/health`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return `LocalStack health check at ${endpoint} answered HTTP ${res.status}`;
    return undefined;
  } catch (error) {
    return `no LocalStack at ${endpoint} (${(error as Error).message})`;
  }
}

function run(cmd: string, args: string[]): void {
  process.stderr.write(`$ ${cmd} ${args.join(' ')}\n`);
  const env = { ...process.env, AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test', AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test', AWS_REGION: process.env.AWS_REGION ?? 'us-east-1', AWS_DEFAULT_REGION: process.env.AWS_REGION ?? 'us-east-1' };
  const out = spawnSync(cmd, args, { stdio: 'inherit', env });
  if (out.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${out.status}`);
}

async function main(): Promise<number> {
  const why = await reachable();
  if (why) {
    console.log(`SKIPPED: ${why}. Start LocalStack (Docker + LOCALSTACK_AUTH_TOKEN) to run this test; the embedded local cloud (npm start / npm test) needs neither.`);
    return 0;
  }
  run('npx', ['cdklocal', 'bootstrap']);
  run('npx', ['cdklocal', 'deploy', 'SagaReference', '--require-approval', 'never', '--outputs-file', OUTPUTS]);
  const outputs = JSON.parse(readFileSync(OUTPUTS, 'utf8')) as { SagaReference?: { TableName?: string } };
  const tableName = outputs.SagaReference?.TableName;
  if (!tableName) throw new Error(`${OUTPUTS} has no SagaReference.TableName output`);

  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }));
  await client.send(new PutCommand({ TableName: tableName, Item: { ...stockKey('sku-e2e'), sku: 'sku-e2e', available: 5, reserved: 0 } }));
  const orderId = `e2e-${Date.now()}`;
  const { sagaId } = await startSaga(orderSaga, { orderId, customerId: 'c-e2e', sku: 'sku-e2e', quantity: 2, amountCents: 1_500 }, { client, tableName });
  console.log(`started saga ${sagaId} (order ${orderId}); waiting for a terminal state …`);
  const deadline = Date.now() + 180_000;
  for (;;) {
    const record = await readSagaRecord(client, tableName, sagaId);
    if (record && isTerminalStatus(record.status)) {
      const order = await client.send(new GetCommand({ TableName: tableName, Key: orderKey(orderId), ConsistentRead: true }));
      const stock = await client.send(new GetCommand({ TableName: tableName, Key: stockKey('sku-e2e'), ConsistentRead: true }));
      console.log(`saga ${sagaId}: ${record.status} via ${record.timeline.map((t) => t.type).join(' → ')}`);
      const ok = record.status === 'completed' && order.Item?.status === 'completed' && stock.Item?.available === 3 && stock.Item?.reserved === 2;
      console.log(ok ? 'PASS: order completed, stock 5 → 3 available, 2 sold' : `FAIL: order ${JSON.stringify(order.Item)}, stock ${JSON.stringify(stock.Item)}`);
      return ok ? 0 : 1;
    }
    if (Date.now() > deadline) {
      console.log(`FAIL: saga ${sagaId} not terminal after 3 minutes: ${JSON.stringify(record ?? 'no saga record')}`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

process.exitCode = await main();
