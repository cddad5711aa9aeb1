import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localDynamoClients, type LocalDynamoClients } from '../../lib/local/dynamo-clients.js';
import { DynamoDbEngine } from '../../lib/local/dynamodb/index.js';
import { createSagaTable } from '../../lib/local/tables.js';

/**
 * One in-process engine per test file (vitest runs each file in its own process), or the
 * endpoint in AWS_ENDPOINT_URL when a run targets another DynamoDB (moto, LocalStack).
 */
let shared: LocalDynamoClients | undefined;
function clients(): LocalDynamoClients {
  shared ??= localDynamoClients(process.env.AWS_ENDPOINT_URL ? {} : { engine: new DynamoDbEngine() });
  return shared;
}

let counter = 0;

export function dynamoClient(): DynamoDBClient {
  return clients().raw;
}

export function documentClient(): DynamoDBDocumentClient {
  return clients().document;
}

export function streamsClient(): DynamoDBStreamsClient {
  return clients().streams;
}

/** A fresh, uniquely named saga table (with stream and open-sagas index). */
export async function freshTable(prefix = 't'): Promise<{ tableName: string; streamArn: string; raw: DynamoDBClient; client: DynamoDBDocumentClient }> {
  const tableName = `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  const { streamArn } = await createSagaTable(dynamoClient(), tableName);
  return { tableName, streamArn, raw: dynamoClient(), client: documentClient() };
}
