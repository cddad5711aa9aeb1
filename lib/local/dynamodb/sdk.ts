import * as Dynamo from '@aws-sdk/client-dynamodb';
import * as Streams from '@aws-sdk/client-dynamodb-streams';
import { unmarshall, type unmarshallOptions } from '@aws-sdk/util-dynamodb';
import type { DynamoDbEngine } from './engine.js';
import { DynamoDbError } from './errors.js';

/** Any SDK v3 client of DynamoDB or DynamoDB Streams (a DocumentClient shares its client's stack). */
type SdkClient = Dynamo.DynamoDBClient | Streams.DynamoDBStreamsClient;

export interface AttachOptions {
  /**
   * Called before each operation with its name; what it awaits runs first. The local cloud's
   * scheduler uses it to interleave concurrent invocations at their DynamoDB calls, by seed.
   */
  readonly beforeOperation?: (operation: string) => Promise<void> | void;
  /**
   * Real milliseconds to wait before each call of this client, modelling a service round trip; it
   * adds to the engine's own `requestDelayMs`, which applies to every client and transport. @default 0
   */
  readonly latencyMs?: number;
}

const FAST_PATH = 'saga.dynamoDbEngine';
const MARSHALL_ANCHOR = 'DocumentMarshall';

/**
 * Answers a real SDK client's DynamoDB (or DynamoDB Streams) calls from the in-process engine,
 * with no socket: a middleware just before serialisation hands the command's input to the engine
 * and returns its output, so signing, HTTP and parsing (≈ 1 ms of CPU per call) are skipped while
 * the client, its commands, its outputs and its exception classes stay the SDK's own.
 *
 * A `DynamoDBDocumentClient` built on the client works too: its marshalling runs first (the fast
 * path sits after lib-dynamodb's `DocumentMarshall` step), and its output is unmarshalled with the
 * document client's own `unmarshallOptions`, as lib-dynamodb's `DocumentUnmarshall` would.
 *
 * @example
 * ```ts
 * const engine = new DynamoDbEngine();
 * const client = new DynamoDBClient({ region: 'us-east-1' });
 * attachDynamoDbEngine(client, engine);
 * const doc = DynamoDBDocumentClient.from(client);
 * await doc.send(new PutCommand({ TableName: 't', Item: { pk: 'a' } }));
 * ```
 */
export function attachDynamoDbEngine(client: SdkClient, engine: DynamoDbEngine, options: AttachOptions = {}): void {
  const streams = client instanceof Streams.DynamoDBStreamsClient;
  // The two clients' stacks differ only in their input/output types; the engine speaks both.
  const stack = client.middlewareStack as unknown as {
    addRelativeTo(middleware: unknown, options: { name: string; relation: 'before' | 'after'; toMiddleware: string; override?: boolean }): void;
    remove(name: string): boolean;
  };
  stack.remove(FAST_PATH);
  // The SDK's logger middleware filters every input and output for sensitive members even when
  // nothing logs (≈ 8 % of a local run's CPU); with the default no-op logger it has nothing to do.
  const logger = (client.config as { logger?: object }).logger;
  if (!logger || logger.constructor.name === 'NoOpLogger') stack.remove('loggerMiddleware');
  // A pass-through stand-in named like lib-dynamodb's marshalling step: a document command's own
  // DocumentMarshall replaces it (override), and the fast path is anchored after it either way.
  stack.addRelativeTo((next: (args: unknown) => unknown) => (args: unknown) => next(args), { name: MARSHALL_ANCHOR, relation: 'before', toMiddleware: 'serializerMiddleware', override: true });
  stack.addRelativeTo(
    (_next: unknown, context: { commandName?: string; __aws_sdk_context?: { features?: Record<string, unknown> } }) =>
      async (args: { input: Record<string, unknown> }) => {
        const operation = (context.commandName ?? '').replace(/Command$/, '');
        if (options.beforeOperation) await options.beforeOperation(operation);
        if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
        // Guarded, so an engine without a delay adds no tick: seeded interleavings stay as they were.
        if (engine.requestDelayMs > 0) await engine.awaitRequestDelay();
        let output: Record<string, unknown>;
        try {
          output = engine.execute(operation, args.input);
        } catch (error) {
          throw error instanceof DynamoDbError ? toSdkError(error, streams) : error;
        }
        if (context.__aws_sdk_context?.features?.DDB_MAPPER) {
          const translate = (client.config as { translateConfig?: { unmarshallOptions?: unmarshallOptions } }).translateConfig;
          output = unmarshallDocumentOutput(operation, output, translate?.unmarshallOptions ?? {});
        }
        return { output: { $metadata: { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 }, ...output }, response: { statusCode: 200, headers: {} } };
      },
    { name: FAST_PATH, relation: 'after', toMiddleware: MARSHALL_ANCHOR },
  );
}

type ExceptionClass = new (options: Record<string, unknown>) => Error;

function exceptionClass(name: string, streams: boolean): ExceptionClass {
  const module = (streams ? Streams : Dynamo) as unknown as Record<string, unknown>;
  const found = module[name];
  if (typeof found === 'function' && (found as { prototype: unknown }).prototype instanceof Error) return found as ExceptionClass;
  return (streams ? Streams.DynamoDBStreamsServiceException : Dynamo.DynamoDBServiceException) as unknown as ExceptionClass;
}

/** The engine's error as the SDK would have raised it after parsing the service's answer. */
function toSdkError(error: DynamoDbError, streams: boolean): Error {
  const Ctor = exceptionClass(error.name, streams);
  const sdkError = new Ctor({
    name: error.name,
    $fault: error.isClientFault ? 'client' : 'server',
    $metadata: { httpStatusCode: error.statusCode, attempts: 1, totalRetryDelay: 0 },
    message: error.message,
    ...(error.name === 'TransactionCanceledException' ? { Message: error.message } : {}),
    ...error.extra,
  });
  // Unmodelled errors (ValidationException) get the base class; it takes its name from the options.
  if (sdkError.name !== error.name) Object.defineProperty(sdkError, 'name', { value: error.name, enumerable: true, configurable: true, writable: true });
  return sdkError;
}

/** Where lib-dynamodb unmarshalls each output (its `outputKeyNodes`): `true` = every member is an AttributeValue map. */
type KeyNodes = { readonly [member: string]: KeyNodes | true };
const OUTPUT_NODES: Readonly<Record<string, KeyNodes>> = {
  GetItem: { Item: true },
  PutItem: { Attributes: true, ItemCollectionMetrics: { ItemCollectionKey: true } },
  UpdateItem: { Attributes: true, ItemCollectionMetrics: { ItemCollectionKey: true } },
  DeleteItem: { Attributes: true, ItemCollectionMetrics: { ItemCollectionKey: true } },
  Query: { Items: { '*': true }, LastEvaluatedKey: true },
  Scan: { Items: { '*': true }, LastEvaluatedKey: true },
  BatchGetItem: { Responses: { '*': { '*': true } }, UnprocessedKeys: { '*': { Keys: { '*': true } } } },
  BatchWriteItem: { UnprocessedItems: { '*': { '*': { PutRequest: { Item: true }, DeleteRequest: { Key: true } } } } },
  TransactGetItems: { Responses: { '*': { Item: true } } },
  TransactWriteItems: { ItemCollectionMetrics: { '*': { '*': { ItemCollectionKey: true } } } },
};

function unmarshallDocumentOutput(operation: string, output: Record<string, unknown>, options: unmarshallOptions): Record<string, unknown> {
  const nodes = OUTPUT_NODES[operation];
  if (!nodes) return output;
  const opts = { ...options, convertWithoutMapWrapper: true };
  const walk = (value: unknown, node: KeyNodes | true): unknown => {
    if (value === undefined || value === null) return value;
    if (node === true) {
      const out: Record<string, unknown> = {};
      for (const [name, attr] of Object.entries(value as Record<string, unknown>)) out[name] = unmarshall(attr as never, opts);
      return out;
    }
    const keys = Object.keys(node);
    if (keys.length === 1 && keys[0] === '*') {
      const inner = node['*']!;
      if (Array.isArray(value)) return value.map((v) => walk(v, inner));
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, walk(v, inner)]));
    }
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const key of keys) if (out[key] !== undefined) out[key] = walk(out[key], node[key]!);
    return out;
  };
  return walk(output, nodes) as Record<string, unknown>;
}
