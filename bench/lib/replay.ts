import { randomUUID } from 'node:crypto';
import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { CallRecord } from './count-calls.js';

const COMMANDS = {
  TransactWriteItems: TransactWriteItemsCommand,
  PutItem: PutItemCommand,
  UpdateItem: UpdateItemCommand,
  DeleteItem: DeleteItemCommand,
  GetItem: GetItemCommand,
  Query: QueryCommand,
  BatchWriteItem: BatchWriteItemCommand,
} as const;

export type ReplayableCommand = keyof typeof COMMANDS;
export const isReplayable = (command: string): command is ReplayableCommand => command in COMMANDS;

/**
 * Replaces every occurrence of each `from` string in a wire-form input (table names, saga ids, …)
 * and gives transactions a fresh ClientRequestToken (a reused token would make DynamoDB answer
 * from its idempotency cache instead of doing the work).
 */
export function rewriteInput(input: Record<string, unknown>, replacements: ReadonlyMap<string, string>): Record<string, unknown> {
  let json = JSON.stringify(input);
  for (const [from, to] of replacements) json = json.split(from).join(to);
  const out = JSON.parse(json) as Record<string, unknown>;
  if (out.ClientRequestToken) out.ClientRequestToken = randomUUID();
  return out;
}

/**
 * A raw DynamoDB call built from a recorded one: the low-level client, the wire-form input, no
 * document-client marshalling and no framework — what "the same calls, issued directly" means.
 */
/** A command object ready for `client.send` (kept opaque: its type depends on the recorded call). */
export type RawCommand = { readonly constructor: { readonly name: string } };

export function rawCommand(record: Pick<CallRecord, 'command' | 'input'>, replacements: ReadonlyMap<string, string> = new Map()): RawCommand {
  if (!isReplayable(record.command)) throw new Error(`Cannot replay ${record.command}: not a DynamoDB data-plane command this harness knows.`);
  if (!record.input) throw new Error(`Cannot replay ${record.command}: its input was not recorded (attach the counter with recordInputs).`);
  const Command = COMMANDS[record.command] as unknown as new (input: Record<string, unknown>) => RawCommand;
  return new Command(rewriteInput(record.input, replacements));
}

/** Sends a prepared raw command; returns false instead of throwing on a refused call. */
export async function sendRaw(client: DynamoDBClient, command: RawCommand): Promise<{ ok: boolean; errorName?: string }> {
  try {
    await client.send(command as never);
    return { ok: true };
  } catch (error) {
    return { ok: false, errorName: (error as Error).name };
  }
}
