import {
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { differentialTableInput, generateOperations, normalise, type GeneratedOperation } from '../../support/seeded.js';
import { startTarget, targetSkipReason, uniqueName, type TargetClients } from './conformance/targets.js';

/**
 * Differential test: seeded random operation sequences (puts, conditional updates with SET / ADD /
 * REMOVE / DELETE, deletes, gets, queries on the table and its sparse GSI, scans, transactions of
 * 2–4 actions) run on the in-process engine and on moto; every response must match after
 * normalising (no $metadata / ConsumedCapacity, sets sorted, error messages dropped only where
 * moto's wording is a known divergence — error names are always compared).
 *
 * DIFF_SEEDS (default 20) seeds × DIFF_OPS (default 200) operations; DIFF_SEED=<n> replays one seed.
 * The generator lives in test/support/seeded.ts (`generateOperations(seed, count, table)`).
 */

const OPS = Number(process.env.DIFF_OPS ?? 200);
const SEEDS = process.env.DIFF_SEED ? [Number(process.env.DIFF_SEED)] : Array.from({ length: Number(process.env.DIFF_SEEDS ?? 20) }, (_, i) => i + 1);

/**
 * Error messages not compared: moto's wording differs from DynamoDB's (DIVERGENCES.md) while the
 * error name agrees. Keyed by error name; a message is dropped when both sides match a pattern.
 */
const KNOWN_MESSAGE_DIVERGENCES: Readonly<Record<string, readonly RegExp[]>> = {
  ValidationException: [/^An operand in the update expression has an incorrect data type$/, /^Invalid UpdateExpression: Incorrect operand type for operator or function/],
};

const COMMANDS = {
  PutItem: PutItemCommand,
  UpdateItem: UpdateItemCommand,
  DeleteItem: DeleteItemCommand,
  GetItem: GetItemCommand,
  Query: QueryCommand,
  Scan: ScanCommand,
  TransactWriteItems: TransactWriteItemsCommand,
} as const;

type Outcome = { ok: true; output: unknown } | { ok: false; error: unknown };

async function run(client: DynamoDBClient, op: GeneratedOperation, TableName: string): Promise<Outcome> {
  const input = JSON.parse(JSON.stringify(op.input).replaceAll('"__TABLE__"', JSON.stringify(TableName)));
  const Command = COMMANDS[op.operation] as unknown as new (input: unknown) => Parameters<DynamoDBClient['send']>[0];
  try {
    return { ok: true, output: await client.send(new Command(input)) };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Order-insensitive reads (scans, GSI queries whose ties DynamoDB leaves unordered) compare sorted. */
function unordered(op: GeneratedOperation, value: unknown): unknown {
  const sortable = op.operation === 'Scan' || (op.operation === 'Query' && op.input.IndexName !== undefined);
  const items = (value as { Items?: unknown[] }).Items;
  if (!sortable || !items) return value;
  return { ...(value as object), Items: [...items].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) };
}

function dropMessage(engineMessage: string, motoMessage: string, name: string): boolean {
  const patterns = KNOWN_MESSAGE_DIVERGENCES[name] ?? [];
  return patterns.some((p) => p.test(engineMessage)) && patterns.some((p) => p.test(motoMessage));
}

/**
 * moto's documented divergences that the generator cannot avoid, undone on moto's side before
 * comparing (each listed in conformance/DIVERGENCES.md and pinned by a conformance case).
 */
function adjustMoto(op: GeneratedOperation, outcome: Outcome): Outcome {
  if (!outcome.ok) return outcome;
  const output = outcome.output as { Attributes?: Record<string, unknown> };
  // UPDATED_OLD / UPDATED_NEW of an UpdateItem that creates the item: moto adds the key attributes.
  const rv = op.input.ReturnValues;
  if (op.operation === 'UpdateItem' && (rv === 'UPDATED_NEW' || rv === 'UPDATED_OLD') && output.Attributes) {
    const { pk: _pk, sk: _sk, ...rest } = output.Attributes;
    return { ok: true, output: { ...output, Attributes: Object.keys(rest).length ? rest : undefined } };
  }
  return outcome;
}

/**
 * A Query whose Limit is reached on the last matching item: DynamoDB returns a LastEvaluatedKey
 * (API_Query, Limit: "it stops the operation and returns … a key in LastEvaluatedKey"), moto does
 * not. Accepted only when the engine's next page is really empty.
 */
async function emptyNextPage(client: DynamoDBClient, op: GeneratedOperation, TableName: string, engine: Outcome, moto: Outcome): Promise<boolean> {
  if (op.operation !== 'Query' || op.input.Limit === undefined || !engine.ok || !moto.ok) return false;
  const lek = (engine.output as { LastEvaluatedKey?: unknown }).LastEvaluatedKey;
  if (!lek || (moto.output as { LastEvaluatedKey?: unknown }).LastEvaluatedKey) return false;
  const next = await run(client, { ...op, input: { ...op.input, ExclusiveStartKey: lek } }, TableName);
  return next.ok && ((next.output as { Items?: unknown[]; Count?: number }).Count ?? 0) === 0 && !(next.output as { LastEvaluatedKey?: unknown }).LastEvaluatedKey;
}

/**
 * UPDATED_OLD / UPDATED_NEW: DynamoDB returns every attribute the update expression writes
 * (API_UpdateItem, ReturnValues: "only the updated attributes"); moto leaves out those whose value
 * did not change (`SET g = :same`, `ADD n :zero`, `if_not_exists` on a present attribute). An
 * attribute only the engine returns is accepted when moto's item has it unchanged across the call.
 */
function dropUnchanged(op: GeneratedOperation, engine: Outcome, moto: Outcome, before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined): void {
  const rv = op.input.ReturnValues;
  if (op.operation !== 'UpdateItem' || (rv !== 'UPDATED_OLD' && rv !== 'UPDATED_NEW') || !engine.ok || !moto.ok) return;
  const mine = (engine.output as { Attributes?: Record<string, unknown> }).Attributes;
  const theirs = (moto.output as { Attributes?: Record<string, unknown> }).Attributes ?? {};
  if (!mine) return;
  for (const name of Object.keys(mine)) {
    if (name in theirs) continue;
    const same = JSON.stringify(normalise({ ok: true, output: { v: before?.[name] } })) === JSON.stringify(normalise({ ok: true, output: { v: after?.[name] } }));
    if (same) delete mine[name];
  }
  if (!Object.keys(mine).length) delete (engine.output as { Attributes?: unknown }).Attributes;
}

async function motoItem(client: DynamoDBClient, op: GeneratedOperation, TableName: string): Promise<Record<string, unknown> | undefined> {
  if (op.operation !== 'UpdateItem' || (op.input.ReturnValues !== 'UPDATED_OLD' && op.input.ReturnValues !== 'UPDATED_NEW')) return undefined;
  return (await client.send(new GetItemCommand({ TableName, Key: op.input.Key as never, ConsistentRead: true }))).Item;
}

function messageOf(outcome: Outcome): string {
  return outcome.ok ? '' : String((outcome.error as { message?: string }).message ?? '');
}

const skip = targetSkipReason('engine') || targetSkipReason('moto');

describe('differential: engine vs moto', () => {
  if (skip) {
    it.skip(`differential test skipped: ${skip}`, () => {});
    return;
  }
  let engine: TargetClients;
  let moto: TargetClients;
  beforeAll(async () => {
    engine = await startTarget('engine');
    moto = await startTarget('moto');
  });
  afterAll(async () => {
    await engine?.stop();
    await moto?.stop();
  });

  it.each(SEEDS)(`seed %i: ${OPS} operations give the same responses`, async (seed) => {
    const TableName = uniqueName(`diff-${seed}`);
    await engine.client.send(new CreateTableCommand(differentialTableInput(TableName)));
    await moto.client.send(new CreateTableCommand(differentialTableInput(TableName)));
    try {
      const ops = generateOperations(seed, OPS, '__TABLE__');
      const final: GeneratedOperation = { operation: 'Scan', input: { TableName: '__TABLE__', ConsistentRead: true } };
      for (const [index, op] of [...ops, final].entries()) {
        const fromEngine = await run(engine.client, op, TableName);
        const before = await motoItem(moto.client, op, TableName);
        const fromMoto = adjustMoto(op, await run(moto.client, op, TableName));
        dropUnchanged(op, fromEngine, fromMoto, before, await motoItem(moto.client, op, TableName));
        if (await emptyNextPage(engine.client, op, TableName, fromEngine, fromMoto)) delete (fromEngine as { output: { LastEvaluatedKey?: unknown } }).output.LastEvaluatedKey;
        const sameName = !fromEngine.ok && !fromMoto.ok && (fromEngine.error as Error).name === (fromMoto.error as Error).name;
        const drop = sameName && dropMessage(messageOf(fromEngine), messageOf(fromMoto), (fromEngine.error as Error).name) ? () => true : () => false;
        const a = unordered(op, normalise(fromEngine, { dropMessage: drop }));
        const b = unordered(op, normalise(fromMoto, { dropMessage: drop }));
        const where = index === ops.length ? 'the final scan of the table' : `operation ${index}`;
        expect(
          a,
          [
            `seed ${seed}, ${where} differs (replay: DIFF_SEED=${seed} DIFF_OPS=${OPS} npx vitest run test/local/dynamodb/differential.test.ts)`,
            `operation: ${op.operation} ${JSON.stringify(op.input)}`,
            `engine: ${JSON.stringify(a)}`,
            `moto:   ${JSON.stringify(b)}`,
          ].join('\n'),
        ).toEqual(b);
      }
    } finally {
      await engine.client.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
      await moto.client.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
    }
  });
});
