import { DynamoDbError, validation } from './errors.js';
import type { Table } from './table.js';

/** What every operation sees: the tables, the clock, the account's identity, the limits. */
export interface EngineState {
  readonly tables: Map<string, Table>;
  readonly now: () => number;
  readonly region: string;
  readonly accountId: string;
  /** Stream records kept per table before the oldest are trimmed. */
  readonly streamRetention: number;
  /** TransactWriteItems idempotency: token → request fingerprint and when it was first seen. */
  readonly transactionTokens: Map<string, { readonly fingerprint: string; readonly at: number }>;
  nextId(): string;
}

/** The table a request names, or DynamoDB's ResourceNotFoundException. */
export function tableOf(state: EngineState, name: unknown): Table {
  if (typeof name !== 'string' || name.length === 0) {
    throw validation("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null");
  }
  const table = state.tables.get(tableNameFromArn(name));
  if (!table) throw new DynamoDbError('ResourceNotFoundException', 'Requested resource not found');
  return table;
}

/** Operations accept a table ARN wherever they accept a name. */
export function tableNameFromArn(name: string): string {
  const match = /^arn:aws[a-z-]*:dynamodb:[^:]*:\d*:table\/([^/]+)$/.exec(name);
  return match ? match[1]! : name;
}
