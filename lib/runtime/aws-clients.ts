import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ENV } from '../core/env.js';

/** Shared client options: `AWS_ENDPOINT_URL` (LocalStack, DynamoDB Local) is honoured explicitly. */
export function clientConfig(env: Readonly<Record<string, string | undefined>> = process.env): { endpoint?: string } {
  const endpoint = env[ENV.AWS_ENDPOINT_URL];
  return endpoint ? { endpoint } : {};
}

/**
 * A DynamoDB document client that keeps JS types (`removeUndefinedValues` so optional fields do
 * not fail marshalling).
 */
export function createDocumentClient(config: DynamoDBClientConfig = clientConfig()): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function createEventBridgeClient(config = clientConfig()): EventBridgeClient {
  return new EventBridgeClient(config);
}

export function createSqsClient(config = clientConfig()): SQSClient {
  return new SQSClient(config);
}
