import { GetCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { KEY, ownPrefix, reservedInfixes } from '../../core/keys.js';
import { StepContractError } from './errors.js';

type Item = Record<string, unknown>;
type Names = Record<string, string>;
type Values = Record<string, unknown>;

interface Expressions {
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames?: Names;
  readonly ExpressionAttributeValues?: Values;
  /** Another table of yours; @default the saga table (then keys must start with `<participant>#`). */
  readonly TableName?: string;
}
export interface PutParams extends Expressions { readonly Item: Item }
export interface UpdateParams extends Expressions { readonly Key: Item; readonly UpdateExpression: string }
export interface DeleteParams extends Expressions { readonly Key: Item }
export interface ConditionCheckParams extends Expressions { readonly Key: Item; readonly ConditionExpression: string }

/** One staged write in lib-dynamodb `TransactWriteItems` form. */
export type StagedWrite =
  | { readonly Put: PutParams & { TableName: string } }
  | { readonly Update: UpdateParams & { TableName: string } }
  | { readonly Delete: DeleteParams & { TableName: string } }
  | { readonly ConditionCheck: ConditionCheckParams & { TableName: string } };

/**
 * The database view of one step: strongly consistent reads now, writes staged for the step's single
 * `TransactWriteItems`. Writes to the saga table must stay inside the participant's key prefix —
 * the same fence IAM `dynamodb:LeadingKeys` draws in AWS, checked here so it fails locally too.
 */
export interface StepDb {
  get(key: Item, options?: { readonly TableName?: string }): Promise<Item | undefined>;
  query(params: Omit<QueryCommandInput, 'TableName' | 'ConsistentRead'> & { readonly TableName?: string }): Promise<Item[]>;
  put(params: PutParams): void;
  update(params: UpdateParams): void;
  delete(params: DeleteParams): void;
  conditionCheck(params: ConditionCheckParams): void;
}

export class StagingStepDb implements StepDb {
  readonly writes: StagedWrite[] = [];
  private frozenReason: string | undefined;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly participant: string,
  ) {}

  /** After this, staging a write throws (null compensations must not change business data). */
  freeze(reason: string): void {
    this.frozenReason = reason;
  }

  async get(key: Item, options: { readonly TableName?: string } = {}): Promise<Item | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: options.TableName ?? this.tableName, Key: key, ConsistentRead: true }));
    return out.Item;
  }

  async query(params: Omit<QueryCommandInput, 'TableName' | 'ConsistentRead'> & { readonly TableName?: string }): Promise<Item[]> {
    const out = await this.client.send(new QueryCommand({ ...params, TableName: params.TableName ?? this.tableName, ConsistentRead: params.IndexName ? undefined : true }));
    return out.Items ?? [];
  }

  put(params: PutParams): void {
    this.stage({ Put: { ...params, TableName: this.checkTarget(params.TableName, params.Item, 'put') } });
  }
  update(params: UpdateParams): void {
    this.stage({ Update: { ...params, TableName: this.checkTarget(params.TableName, params.Key, 'update') } });
  }
  delete(params: DeleteParams): void {
    this.stage({ Delete: { ...params, TableName: this.checkTarget(params.TableName, params.Key, 'delete') } });
  }
  conditionCheck(params: ConditionCheckParams): void {
    this.stage({ ConditionCheck: { ...params, TableName: this.checkTarget(params.TableName, params.Key, 'conditionCheck') } });
  }

  private stage(write: StagedWrite): void {
    if (this.frozenReason) {
      throw new StepContractError(`Step staged a write during ${this.frozenReason}; a null compensation has no business effect. Only emit events here.`, { participant: this.participant });
    }
    this.writes.push(write);
  }

  private checkTarget(tableName: string | undefined, key: Item, op: string): string {
    const table = tableName ?? this.tableName;
    if (table !== this.tableName) return table;
    const pk = key[KEY.partition];
    const prefix = ownPrefix(this.participant);
    if (typeof pk !== 'string' || !pk.startsWith(prefix)) {
      throw new StepContractError(
        `Participant "${this.participant}" tried to ${op} item with ${KEY.partition}=${JSON.stringify(pk)} in the saga table; its items must start with "${prefix}" (IAM dynamodb:LeadingKeys enforces this in AWS). Prefix your business keys, e.g. "${prefix}stock#sku-1".`,
        { participant: this.participant, pk },
      );
    }
    const reserved = reservedInfixes(this.participant).find((infix) => pk.startsWith(infix));
    if (reserved) {
      throw new StepContractError(`Participant "${this.participant}" tried to ${op} ${JSON.stringify(pk)}: keys starting with "${reserved}" are kept by the framework (barrier, outbox, rejections).`, {
        participant: this.participant,
        pk,
      });
    }
    if (typeof key[KEY.sort] !== 'string') {
      throw new StepContractError(`Participant "${this.participant}" tried to ${op} an item without a string "${KEY.sort}" sort key.`, { participant: this.participant, pk });
    }
    return table;
  }
}
