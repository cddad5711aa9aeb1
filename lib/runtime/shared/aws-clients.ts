import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ENV } from '../../core/env.js';

// Only the clients a participant uses live here: an external import is kept in every bundle that
// reaches this module, and loading an SDK client costs cold-start time. The relay's EventBridge
// client is in eventbridge-client.ts.

/** Shared client options: `AWS_ENDPOINT_URL` (LocalStack, DynamoDB Local) is honoured explicitly. */
export function clientConfig(env: Readonly<Record<string, string | undefined>> = process.env): { endpoint?: string } {
  const endpoint = env[ENV.AWS_ENDPOINT_URL];
  return endpoint ? { endpoint } : {};
}

/**
 * A DynamoDB document client (over a new client, or over the one given) that keeps JS types (`removeUndefinedValues` so optional fields do
 * not fail marshalling).
 */
export function createDocumentClient(config: DynamoDBClientConfig | DynamoDBClient = clientConfig()): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(config instanceof DynamoDBClient ? config : new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function createSqsClient(config = clientConfig()): SQSClient {
  return new SQSClient(config);
}
