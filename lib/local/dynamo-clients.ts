import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV } from '../core/env.js';
import { createDocumentClient } from '../runtime/shared/index.js';
import { attachDynamoDbEngine, DynamoDbEngine, type AttachOptions } from './dynamodb/index.js';
import { skipMiddlewareAfterInProcessAnswer } from './sdk-stack.js';

/** The DynamoDB clients a local cloud (or a test) works with, and where they point. */
export interface LocalDynamoClients {
  readonly raw: DynamoDBClient;
  readonly document: DynamoDBDocumentClient;
  readonly streams: DynamoDBStreamsClient;
  /** The in-process engine behind the clients; undefined when they talk to an external endpoint. */
  readonly engine: DynamoDbEngine | undefined;
  /** Where the clients send requests: `in-process`, or the endpoint URL. */
  readonly target: string;
  destroy(): void;
}

export interface LocalDynamoOptions extends AttachOptions {
  /** An engine to share (e.g. one served over HTTP too). @default a new one */
  readonly engine?: DynamoDbEngine;
  /** An external DynamoDB (LocalStack, moto, AWS). @default AWS_ENDPOINT_URL, else the in-process engine */
  readonly endpoint?: string;
  /** Clock of a new engine (TTL, stream timestamps). @default Date.now */
  readonly now?: () => number;
  /** Id source of a new engine, for byte-identical runs. */
  readonly ids?: () => string;
  /** Stream records a new engine keeps per table. @default the engine's (100 000) */
  readonly streamRetention?: number;
}

/** Region for local clients: `AWS_REGION`, else us-east-1 (moto and LocalStack refuse made-up regions). */
export function localRegion(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env[ENV.AWS_REGION] ?? 'us-east-1';
}

/**
 * SDK clients on the in-process engine (no socket, no Java), or on an external endpoint when one
 * is given or `AWS_ENDPOINT_URL` is set — the same code runs against LocalStack, moto or AWS.
 *
 * @example
 * ```ts
 * const dynamo = localDynamoClients();
 * await dynamo.document.send(new PutCommand({ TableName: 't', Item: { pk: 'a' } }));
 * ```
 */
export function localDynamoClients(options: LocalDynamoOptions = {}): LocalDynamoClients {
  const endpoint = options.engine ? undefined : (options.endpoint ?? process.env[ENV.AWS_ENDPOINT_URL]);
  const region = localRegion();
  const credentials = { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'local' };
  const config = { region, credentials, ...(endpoint ? { endpoint } : {}) };
  const raw = new DynamoDBClient(config);
  const streams = new DynamoDBStreamsClient(config);
  let engine: DynamoDbEngine | undefined;
  if (!endpoint) {
    engine = options.engine ?? new DynamoDbEngine({ region, ...(options.now ? { now: options.now } : {}), ...(options.ids ? { ids: options.ids } : {}), ...(options.streamRetention ? { streamRetention: options.streamRetention } : {}) });
    const attach: AttachOptions = { ...(options.beforeOperation ? { beforeOperation: options.beforeOperation } : {}), ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}) };
    attachDynamoDbEngine(raw, engine, attach);
    attachDynamoDbEngine(streams, engine, attach);
    skipMiddlewareAfterInProcessAnswer(raw);
    skipMiddlewareAfterInProcessAnswer(streams);
  }
  const document = createDocumentClient(raw);
  return {
    raw,
    document,
    streams,
    engine,
    target: endpoint ?? 'in-process',
    destroy: () => {
      raw.destroy();
      streams.destroy();
    },
  };
}
