import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

/**
 * The targets the DynamoDB conformance suite runs its cases against, unchanged:
 * - `engine`: our in-process engine, attached to the SDK clients (no socket);
 * - `engine-http`: the same engine served over HTTP on loopback (`startLocalDynamoDb`);
 * - `moto`: moto's server (independent Python emulator), started once per run by
 *   `test/support/moto-global-setup.ts` (or `MOTO_ENDPOINT` for a running one);
 * - `endpoint`: whatever `DYNAMODB_CONFORMANCE_ENDPOINT` names (AWS, LocalStack, DynamoDB Local).
 *
 * `DYNAMODB_CONFORMANCE_TARGETS=moto,engine` limits a run to some targets.
 * Where a target departs from DynamoDB's documented behaviour, the case says so with
 * {@link Target.diverges} and DIVERGENCES.md lists it; a target that cannot run is reported as a
 * skipped case with the reason, never dropped silently.
 */
export type TargetName = 'engine' | 'engine-http' | 'moto' | 'endpoint';

/**
 * The in-process engine targets are switched on. Flip to false only while `lib/local/dynamodb`
 * does not load; the suite then reports them as skipped with this reason.
 */
const ENGINE_TARGETS_ENABLED = true;
const ENGINE_DISABLED_REASON = 'lib/local/dynamodb (DynamoDbEngine, attachDynamoDbEngine, startLocalDynamoDb) is not ready yet; flip ENGINE_TARGETS_ENABLED in targets.ts';

export interface TargetClients {
  readonly client: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly doc: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

interface TargetDefinition {
  readonly name: TargetName;
  /** Why the target cannot run here ('' when it can). */
  readonly skipReason: string;
  /** True for a remote service that needs waits (ACTIVE tables) and has real latency. */
  readonly remote: boolean;
  start(): Promise<TargetClients>;
}

const region = (): string => process.env.AWS_REGION ?? 'us-east-1';
const LOCAL_CREDENTIALS = { accessKeyId: 'x', secretAccessKey: 'x' };

function clientsFor(endpoint: string | undefined, credentials: { accessKeyId: string; secretAccessKey: string } | undefined): Omit<TargetClients, 'stop'> {
  const config = { region: region(), ...(credentials ? { credentials } : {}), ...(endpoint ? { endpoint } : {}) };
  const client = new DynamoDBClient(config);
  const streams = new DynamoDBStreamsClient(config);
  const doc = DynamoDBDocumentClient.from(client);
  return { client, streams, doc };
}

function destroyer(clients: Omit<TargetClients, 'stop'>, after: () => Promise<void> = async () => {}): TargetClients {
  return {
    ...clients,
    stop: async () => {
      clients.doc.destroy();
      clients.client.destroy();
      clients.streams.destroy();
      await after();
    },
  };
}

function safeInject(key: 'motoEndpoint' | 'motoSkipReason'): string | undefined {
  try {
    return inject(key);
  } catch {
    return undefined;
  }
}

function motoSkipReason(): string {
  if (process.env.MOTO_ENDPOINT) return '';
  const endpoint = safeInject('motoEndpoint');
  if (endpoint) return '';
  const reason = safeInject('motoSkipReason');
  if (reason) return reason;
  return 'no moto endpoint: run under a vitest config whose globalSetup includes test/support/moto-global-setup.ts, or set MOTO_ENDPOINT=http://127.0.0.1:<port> of a running `moto_server`';
}

type EngineModule = {
  DynamoDbEngine: new () => unknown;
  attachDynamoDbEngine: (client: DynamoDBClient | DynamoDBStreamsClient, engine: never) => void;
  startLocalDynamoDb?: () => Promise<{ endpoint: string; stop(): Promise<void> }>;
};

async function engineModule(): Promise<EngineModule> {
  return (await import('../../../../lib/local/dynamodb/index.js')) as unknown as EngineModule;
}

const DEFINITIONS: readonly TargetDefinition[] = [
  {
    name: 'engine',
    skipReason: ENGINE_TARGETS_ENABLED ? '' : ENGINE_DISABLED_REASON,
    remote: false,
    start: async () => {
      const { DynamoDbEngine, attachDynamoDbEngine } = await engineModule();
      const engine = new DynamoDbEngine() as never;
      const clients = clientsFor(undefined, LOCAL_CREDENTIALS);
      attachDynamoDbEngine(clients.client, engine);
      attachDynamoDbEngine(clients.streams, engine);
      return destroyer(clients);
    },
  },
  {
    name: 'engine-http',
    skipReason: ENGINE_TARGETS_ENABLED ? '' : ENGINE_DISABLED_REASON,
    remote: false,
    start: async () => {
      const { startLocalDynamoDb } = await engineModule();
      if (!startLocalDynamoDb) throw new Error('lib/local/dynamodb/index.ts does not export startLocalDynamoDb');
      const server = await startLocalDynamoDb();
      return destroyer(clientsFor(server.endpoint, LOCAL_CREDENTIALS), () => server.stop());
    },
  },
  {
    name: 'moto',
    get skipReason() {
      return motoSkipReason();
    },
    remote: false,
    start: async () => {
      const endpoint = process.env.MOTO_ENDPOINT || safeInject('motoEndpoint');
      if (!endpoint) throw new Error(motoSkipReason());
      return destroyer(clientsFor(endpoint, LOCAL_CREDENTIALS));
    },
  },
  {
    name: 'endpoint',
    skipReason: process.env.DYNAMODB_CONFORMANCE_ENDPOINT ? '' : 'DYNAMODB_CONFORMANCE_ENDPOINT is not set',
    remote: true,
    start: async () => {
      const endpoint = process.env.DYNAMODB_CONFORMANCE_ENDPOINT!;
      const credentials = process.env.AWS_ACCESS_KEY_ID ? undefined : LOCAL_CREDENTIALS;
      return destroyer(clientsFor(endpoint, credentials));
    },
  },
];

/** Targets selected by DYNAMODB_CONFORMANCE_TARGETS (default: all). */
export function selectedTargets(): readonly TargetDefinition[] {
  const only = process.env.DYNAMODB_CONFORMANCE_TARGETS?.split(',').map((s) => s.trim()).filter(Boolean);
  return only?.length ? DEFINITIONS.filter((d) => only.includes(d.name)) : DEFINITIONS;
}

let counter = 0;
/** A table name unique across files, processes and runs (3–255 chars of [a-zA-Z0-9_.-]). */
export function uniqueName(prefix: string): string {
  return `conf-${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

/** One running target as the cases see it. Fields are set before the first case runs. */
export interface Target {
  readonly name: TargetName;
  readonly client: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly doc: DynamoDBDocumentClient;
  /**
   * True when this target is `target`, which departs from DynamoDB's documented behaviour as
   * `reason` says (listed in DIVERGENCES.md): the case then asserts that target's actual behaviour.
   */
  diverges(target: TargetName, reason: string): boolean;
  /** Creates a table (PAY_PER_REQUEST unless given), waits until ACTIVE, deletes it after the file. */
  createTable(input: Omit<CreateTableCommandInput, 'TableName'>, prefix?: string): Promise<string>;
  /** A table keyed `pk` (S) + `sk` (S), optionally with a stream of the given view type. */
  compositeTable(options?: { stream?: 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES'; prefix?: string }): Promise<string>;
  /** A table keyed `pk` (S) only. */
  hashTable(options?: { stream?: 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES'; prefix?: string }): Promise<string>;
  /** Deletes a table created here now (and stops tracking it). */
  dropTable(name: string): Promise<void>;
}

export const divergencesSeen = new Map<string, string>();

/**
 * Registers `body`'s cases once per enabled target, inside `describe('<title> [<target>]')`.
 * A target that cannot run gets one skipped case whose name gives the reason.
 */
export function forEachTarget(title: string, body: (t: Target) => void): void {
  for (const definition of selectedTargets()) {
    const reason = definition.skipReason;
    if (reason) {
      describe(`${title} [${definition.name}]`, () => {
        it.skip(`${definition.name} target skipped: ${reason}`, () => {});
      });
      continue;
    }
    describe(`${title} [${definition.name}]`, () => {
      let clients: TargetClients | undefined;
      const tables = new Set<string>();
      const need = (): TargetClients => {
        if (!clients) throw new Error(`${definition.name} target failed to start`);
        return clients;
      };
      const createTable = async (input: Omit<CreateTableCommandInput, 'TableName'>, prefix = 't'): Promise<string> => {
        const TableName = uniqueName(prefix);
        const withBilling = input.BillingMode || input.ProvisionedThroughput ? input : { ...input, BillingMode: 'PAY_PER_REQUEST' as const };
        await need().client.send(new CreateTableCommand({ ...withBilling, TableName }));
        tables.add(TableName);
        if (definition.remote) await waitActive(need().client, TableName);
        return TableName;
      };
      const streamSpec = (stream: string | undefined) => (stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream as 'KEYS_ONLY' } } : {});
      const target: Target = {
        name: definition.name,
        get client() {
          return need().client;
        },
        get streams() {
          return need().streams;
        },
        get doc() {
          return need().doc;
        },
        diverges(name, why) {
          if (definition.name !== name) return false;
          divergencesSeen.set(`${name}: ${why}`, why);
          return true;
        },
        createTable,
        compositeTable: (options = {}) =>
          createTable(
            {
              AttributeDefinitions: [
                { AttributeName: 'pk', AttributeType: 'S' },
                { AttributeName: 'sk', AttributeType: 'S' },
              ],
              KeySchema: [
                { AttributeName: 'pk', KeyType: 'HASH' },
                { AttributeName: 'sk', KeyType: 'RANGE' },
              ],
              ...streamSpec(options.stream),
            },
            options.prefix,
          ),
        hashTable: (options = {}) =>
          createTable({ AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], ...streamSpec(options.stream) }, options.prefix),
        dropTable: async (name) => {
          tables.delete(name);
          await need().client.send(new DeleteTableCommand({ TableName: name }));
        },
      };
      beforeAll(async () => {
        clients = await definition.start();
      });
      afterAll(async () => {
        if (!clients) return;
        for (const name of tables) await clients.client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
        await clients.stop();
      });
      body(target);
    });
  }
}

async function waitActive(client: DynamoDBClient, TableName: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  throw new Error(`table ${TableName} did not become ACTIVE`);
}

/** An SDK service exception as the cases inspect it. */
export interface ServiceError extends Error {
  readonly $metadata?: { httpStatusCode?: number };
  readonly CancellationReasons?: { Code?: string; Message?: string; Item?: Record<string, unknown> }[];
  readonly Item?: Record<string, unknown>;
}

/**
 * Awaits `promise`, expecting it to reject with the SDK exception `name` and (when given) the
 * message — a string must match exactly, a RegExp is for wording the docs leave open.
 */
export async function expectError(promise: Promise<unknown>, name: string, message?: string | RegExp): Promise<ServiceError> {
  let error: unknown;
  try {
    const result = await promise;
    expect.fail(`expected ${name}${message ? ` (${String(message)})` : ''}, got success: ${JSON.stringify(result, replacer)}`);
  } catch (e) {
    error = e;
  }
  const err = error as ServiceError;
  if (err?.name === 'AssertionError') throw err;
  const summary = `expected ${name}${message ? ` ${String(message)}` : ''}, got ${err?.name}: ${err?.message}`;
  expect(err?.name, summary).toBe(name);
  if (typeof message === 'string') expect(err.message, summary).toBe(message);
  if (message instanceof RegExp) expect(err.message, summary).toMatch(message);
  return err;
}

function replacer(key: string, value: unknown): unknown {
  if (key === '$metadata') return undefined;
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (value instanceof Set) return [...value];
  return value;
}

/** Drops `$metadata` (and ConsumedCapacity) from an SDK output, for whole-output comparisons. */
export function body<T extends object>(output: T): Omit<T, '$metadata' | 'ConsumedCapacity'> {
  const { $metadata: _m, ConsumedCapacity: _c, ...rest } = output as T & { $metadata?: unknown; ConsumedCapacity?: unknown };
  return rest as Omit<T, '$metadata' | 'ConsumedCapacity'>;
}

/**
 * A request DynamoDB rejects (documented) but `target` accepts: on `target` the case asserts that
 * it succeeds (a named divergence; `onAccepted` cleans up), elsewhere the documented error.
 */
export async function expectErrorUnlessDivergent<T>(
  t: Target,
  target: TargetName,
  reason: string,
  promise: Promise<T>,
  name: string,
  message?: string | RegExp,
  onAccepted?: (result: T) => Promise<unknown> | unknown,
): Promise<void> {
  if (t.diverges(target, reason)) {
    const result = await promise;
    await onAccepted?.(result);
    return;
  }
  await expectError(promise, name, message);
}

/** What a divergent target does instead of the documented error. */
export type ActualBehaviour =
  /** The server fails (HTTP 500, often an HTML page the SDK cannot parse). */
  | 'crash'
  /** The request succeeds. */
  | 'success'
  /** Another error name and/or message. */
  | { readonly name: string; readonly message?: string | RegExp };

/**
 * Expects DynamoDB's documented error `name` / `message`, except on the targets listed in
 * `known`, which are asserted to do what they actually do (a named divergence, DIVERGENCES.md).
 */
export async function expectDocumentedError(
  t: Target,
  promise: Promise<unknown>,
  name: string,
  message: string | RegExp | undefined,
  known: Partial<Record<TargetName, { readonly reason: string; readonly actual: ActualBehaviour }>> = {},
): Promise<ServiceError | undefined> {
  for (const [target, divergence] of Object.entries(known) as [TargetName, { reason: string; actual: ActualBehaviour }][]) {
    if (!t.diverges(target, divergence.reason)) continue;
    const actual = divergence.actual;
    if (actual === 'success') {
      await promise;
      return undefined;
    }
    if (actual === 'crash') {
      const err = (await promise.then(
        () => expect.fail(`expected ${target} to crash (documented: ${name})`),
        (e: unknown) => e,
      )) as ServiceError & { $response?: { statusCode?: number } };
      const status = err.$metadata?.httpStatusCode ?? err.$response?.statusCode;
      expect(err.name === 'SyntaxError' || (status ?? 0) >= 500, `expected a server failure, got ${err.name}: ${err.message}`).toBe(true);
      return err;
    }
    return expectError(promise, actual.name, actual.message);
  }
  return expectError(promise, name, message);
}

/** Why a target cannot run here ('' when it can) — for tests that pick targets by name. */
export function targetSkipReason(name: TargetName): string {
  return DEFINITIONS.find((d) => d.name === name)!.skipReason;
}

/** Fresh clients on one target, outside {@link forEachTarget} (the differential test). */
export function startTarget(name: TargetName): Promise<TargetClients> {
  return DEFINITIONS.find((d) => d.name === name)!.start();
}
