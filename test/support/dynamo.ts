import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { createDocumentClient } from '../../lib/runtime/aws-clients.js';
import { createSagaTable } from '../../lib/local/tables.js';

let counter = 0;

/** Client config for the run's shared DynamoDB Local (started in global-setup). */
export function dynamoConfig() {
  return { endpoint: inject('dynamoEndpoint'), region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

/** A fresh, uniquely named saga table (with stream and open-sagas index) on DynamoDB Local. */
export async function freshTable(prefix = 't'): Promise<{ tableName: string; streamArn: string; raw: DynamoDBClient; client: ReturnType<typeof createDocumentClient> }> {
  const raw = new DynamoDBClient(dynamoConfig());
  const tableName = `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  const { streamArn } = await createSagaTable(raw, tableName);
  return { tableName, streamArn, raw, client: createDocumentClient(dynamoConfig()) };
}
