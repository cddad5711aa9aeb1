import "vitest";
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, type DynamoEndpoint } from '../../lib/local/dynamodb-local.js';

/** One DynamoDB Local for the whole test run; each test file creates its own uniquely named table. */
let dynamo: DynamoEndpoint | undefined;

export async function setup(project: TestProject): Promise<void> {
  dynamo = await startDynamoDbLocal();
  project.provide('dynamoEndpoint', dynamo.endpoint);
}

export async function teardown(): Promise<void> {
  await dynamo?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
