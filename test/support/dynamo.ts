import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localDynamoClients, type LocalDynamoClients } from '../../lib/local/dynamo-clients.js';
import { DynamoDbEngine } from '../../lib/local/dynamodb/index.js';
import { createSagaTable } from '../../lib/local/tables.js';

/**
 * One in-process engine per test file (vitest runs each file in its own process) — or the
 * endpoint in AWS_ENDPOINT_URL when a run targets another DynamoDB (moto, LocalStack). Each call
 * gives new SDK clients on it, so a test may add its own middleware (call counters) to them.
 */
const engine = process.env.AWS_ENDPOINT_URL ? undefined : new DynamoDbEngine();
const fresh = (): LocalDynamoClients => localDynamoClients(engine ? { engine } : {});

let counter = 0;

export function dynamoClient(): DynamoDBClient {
  return fresh().raw;
}

export function documentClient(): DynamoDBDocumentClient {
  return fresh().document;
}

export function streamsClient(): DynamoDBStreamsClient {
  return fresh().streams;
}

/** A fresh, uniquely named saga table (with stream and open-sagas index). */
export async function freshTable(prefix = 't'): Promise<{ tableName: string; streamArn: string; raw: DynamoDBClient; client: DynamoDBDocumentClient }> {
  const tableName = `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  const clients = fresh();
  const { streamArn } = await createSagaTable(clients.raw, tableName);
  return { tableName, streamArn, raw: clients.raw, client: clients.document };
}
