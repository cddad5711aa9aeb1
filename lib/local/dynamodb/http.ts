import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDbEngine } from './engine.js';
import { DynamoDbError } from './errors.js';
import { crc32, errorBody, newRequestId, parseRequestBody, stringifyResponse } from './http-wire.js';

/** What the HTTP front end needs of an engine: {@link DynamoDbEngine} or a test double. */
export interface EngineLike {
  execute(operation: string, input: Record<string, unknown>): Record<string, unknown>;
  /** Awaited before each request runs: the engine's `requestDelayMs`. @default none */
  awaitRequestDelay?(): Promise<void>;
}

export interface LocalDynamoDbOptions<E extends EngineLike = DynamoDbEngine> {
  /** TCP port; 0 or absent picks a free one. @default 0 */
  readonly port?: number;
  /** Address to listen on. @default '127.0.0.1' (loopback only: nothing is authenticated) */
  readonly host?: string;
  /** The engine to serve. @default a fresh `new DynamoDbEngine()` */
  readonly engine?: E;
  /**
   * Real milliseconds each request waits before it runs, on this server only (`saga local
   * --latency-ms`); it adds to the engine's own `requestDelayMs`, which applies to every transport.
   * @default 0
   */
  readonly latencyMs?: number;
}

export interface LocalDynamoDb<E extends EngineLike = DynamoDbEngine> {
  /** `http://host:port`, for `AWS_ENDPOINT_URL` or a client's `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  readonly engine: E;
  /** Stops listening and closes every connection, idle keep-alive ones included. */
  stop(): Promise<void>;
}

/** The two JSON 1.0 targets; Streams answers only its own four operations, as the real service does. */
const DYNAMODB_TARGET = 'DynamoDB_20120810.';
const STREAMS_TARGET = 'DynamoDBStreams_20120810.';
const STREAMS_OPERATIONS: ReadonlySet<string> = new Set(['ListStreams', 'DescribeStream', 'GetShardIterator', 'GetRecords']);

/**
 * Serves an engine over HTTP with the DynamoDB and DynamoDB Streams JSON 1.0 protocols, so any AWS
 * SDK, the AWS CLI or a program in another language reaches it through `AWS_ENDPOINT_URL`.
 * Signatures are not checked (any credentials work); every response carries `x-amzn-RequestId`
 * and `x-amz-crc32`, as DynamoDB's do. Data lives in the engine's memory.
 *
 * @example
 * ```ts
 * const local = await startLocalDynamoDb();
 * const client = new DynamoDBClient({ endpoint: local.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
 * await client.send(new ListTablesCommand({})); // { TableNames: [] }
 * await local.stop();
 * ```
 */
export async function startLocalDynamoDb<E extends EngineLike = DynamoDbEngine>(options: LocalDynamoDbOptions<E> = {}): Promise<LocalDynamoDb<E>> {
  // Loaded only when needed: a server over a caller's engine (a test double) does not load this one.
  const engine = options.engine ?? (new (await import('./engine.js')).DynamoDbEngine() as unknown as E);
  const host = options.host ?? '127.0.0.1';
  const latencyMs = options.latencyMs ?? 0;
  const server = createServer((req, res) => {
    handle(engine, latencyMs, req, res).catch((error: unknown) => {
      // Only a broken socket gets here (handle answers every error it can); never take the server down.
      console.error('local DynamoDB: failed to answer a request:', error);
      res.destroy();
    });
  });
  // SDKs keep connections alive indefinitely; Node's 5 s default closes idle sockets under them,
  // and a request racing that close fails with ECONNRESET. stop() closes them explicitly instead.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => console.error('local DynamoDB: server error:', error));
  const port = (server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    engine,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // close() waits for open connections; the SDK's idle keep-alive ones would hold it forever.
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

async function handle(engine: EngineLike, latencyMs: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = newRequestId();
  const body = await readBody(req);
  if (req.method !== 'POST') {
    // Health checks and browsers: a JSON answer that says what this is, not a crash or a hang.
    const hint = new DynamoDbError('UnknownOperationException', `This is a DynamoDB endpoint: send POST requests with X-Amz-Target: ${DYNAMODB_TARGET}<Operation> (or ${STREAMS_TARGET}<Operation>) and a JSON 1.0 body.`);
    return send(res, requestId, 400, errorBody(hint));
  }
  if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
  await engine.awaitRequestDelay?.();
  let output: Record<string, unknown>;
  try {
    // As in the live service, the body is parsed before the target is looked at.
    const input = parseRequestBody(body);
    output = engine.execute(operationOf(req.headers['x-amz-target']), input);
  } catch (error) {
    if (error instanceof DynamoDbError) return send(res, requestId, error.statusCode, errorBody(error));
    console.error(`local DynamoDB: ${String(req.headers['x-amz-target'])} failed inside the engine:`, error);
    const internal = new DynamoDbError('InternalServerError', `Internal server error: ${error instanceof Error ? error.message : String(error)}`);
    return send(res, requestId, 500, errorBody(internal));
  }
  return send(res, requestId, 200, output);
}

/** The operation named by `X-Amz-Target`, or UnknownOperationException for any other target. */
function operationOf(target: string | string[] | undefined): string {
  if (typeof target === 'string') {
    if (target.startsWith(DYNAMODB_TARGET)) {
      const operation = target.slice(DYNAMODB_TARGET.length);
      if (operation !== '' && !STREAMS_OPERATIONS.has(operation)) return operation;
    } else if (target.startsWith(STREAMS_TARGET)) {
      const operation = target.slice(STREAMS_TARGET.length);
      if (STREAMS_OPERATIONS.has(operation)) return operation;
    }
  }
  throw new DynamoDbError('UnknownOperationException', `Unknown operation: X-Amz-Target ${JSON.stringify(target ?? null)}; expected ${DYNAMODB_TARGET}<Operation> or ${STREAMS_TARGET}<Operation>.`);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, requestId: string, status: number, value: Record<string, unknown>): void {
  let bytes: Buffer;
  try {
    bytes = Buffer.from(stringifyResponse(value), 'utf8');
  } catch (error) {
    // An engine output JSON cannot carry (a cycle, a BigInt) is the engine's bug: report it, stay up.
    console.error('local DynamoDB: could not serialise a response:', error);
    status = 500;
    bytes = Buffer.from(stringifyResponse(errorBody(new DynamoDbError('InternalServerError', `Internal server error: ${(error as Error).message}`))), 'utf8');
  }
  res.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.0',
    'Content-Length': bytes.length,
    'x-amzn-RequestId': requestId,
    // DynamoDB checksums every response body; botocore and the Java SDK verify it.
    'x-amz-crc32': String(crc32(bytes)),
  });
  res.end(bytes);
}
