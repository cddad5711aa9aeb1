import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../../lib/runtime/shared/aws-clients.js';

/** What every scenario gets from the harness. */
export interface BenchContext {
  /** DynamoDB endpoint (the local engine served over HTTP by the harness, or AWS_ENDPOINT_URL). */
  readonly endpoint: string;
  /** Smaller samples, for a quick look (figures are then noisier; the JSON says so). */
  readonly quick: boolean;
  /** Progress line on stderr (stdout carries the table or the JSON). */
  progress(message: string): void;
}

/** Client configuration for the harness's DynamoDB endpoint. */
export function clientConfig(ctx: Pick<BenchContext, 'endpoint'>) {
  return { endpoint: ctx.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

export function rawClient(ctx: Pick<BenchContext, 'endpoint'>): DynamoDBClient {
  return new DynamoDBClient(clientConfig(ctx));
}

export function documentClient(ctx: Pick<BenchContext, 'endpoint'>) {
  return createDocumentClient(clientConfig(ctx));
}

let tables = 0;
/** A unique table name for this process. */
export function uniqueTableName(prefix: string): string {
  return `bench-${prefix}-${process.pid}-${Date.now().toString(36)}-${tables++}`;
}

/** Milliseconds since `start` (performance.now based). */
export const since = (start: number): number => performance.now() - start;
