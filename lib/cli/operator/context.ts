import { ENV } from '../../core/env.js';
import { createDocumentClient, createSqsClient, randomIds, systemClock, parseUrlMap, sqsQueueAdmin } from '../../runtime/shared/index.js';
import type { OperatorContext } from '../../runtime/operator/index.js';
import { loadDefinitions } from '../definition-loader.js';
import { UsageError } from '../io.js';

/** The ports every operator action runs on (lib/runtime/operator/context.ts). */
export type { OperatorContext } from '../../runtime/operator/index.js';

/** Flags every operator command accepts. */
export interface ConnectionFlags {
  readonly table?: string;
  readonly definition?: string;
  /** An app module (`--app`): its definition is used, as with `--definition`. */
  readonly app?: string;
  readonly saga?: string;
  readonly dlqUrls?: string;
  readonly queueUrls?: string;
}

export const CONNECTION_OPTIONS = {
  table: { type: 'string' },
  definition: { type: 'string' },
  app: { type: 'string' },
  saga: { type: 'string' },
  'dlq-urls': { type: 'string' },
  'queue-urls': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export const CONNECTION_USAGE = `[--definition <module.ts> | --app <module>] [--saga <name>] [--table <name> (${ENV.TABLE_NAME})] [--dlq-urls <json> (${ENV.DLQ_URLS})] [--queue-urls <json> (${ENV.QUEUE_URLS})] [--json]`;

export type ContextFactory = (flags: ConnectionFlags) => Promise<OperatorContext>;

/**
 * Operator ports on AWS: DynamoDB and SQS clients honouring `AWS_ENDPOINT_URL`; table and queue
 * URLs from the flags or from the variables the constructs write (`SAGA_TABLE_NAME`,
 * `SAGA_DLQ_URLS`, `SAGA_QUEUE_URLS`); the definition from `--definition` (default: the
 * reference order saga).
 */
export async function awsOperatorContext(flags: ConnectionFlags, env: Readonly<Record<string, string | undefined>> = process.env): Promise<OperatorContext> {
  if (flags.app !== undefined && flags.definition !== undefined) throw new UsageError('give --definition or --app, not both.');
  const defs = await loadDefinitions(flags.app ?? flags.definition, flags.saga);
  if (defs.length > 1) throw new UsageError(`The module exports ${defs.length} sagas (${defs.map((d) => d.name).join(', ')}); pick one with --saga.`);
  const tableName = flags.table ?? env[ENV.TABLE_NAME];
  if (!tableName) throw new UsageError(`No table: pass --table or set ${ENV.TABLE_NAME} (the stack output of the Choreography construct).`);
  return {
    def: defs[0]!,
    client: createDocumentClient(),
    tableName,
    queues: sqsQueueAdmin(createSqsClient(), {
      deadLetterQueueUrls: parseUrlMap(flags.dlqUrls ?? env[ENV.DLQ_URLS], flags.dlqUrls ? '--dlq-urls' : ENV.DLQ_URLS),
      queueUrls: parseUrlMap(flags.queueUrls ?? env[ENV.QUEUE_URLS], flags.queueUrls ? '--queue-urls' : ENV.QUEUE_URLS),
    }),
    clock: systemClock,
    ids: randomIds,
  };
}

/** Reads the connection flags out of `parseArgs` values. */
export function connectionFlags(values: Record<string, unknown>): ConnectionFlags {
  const pick = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const flags: Record<string, string> = {};
  for (const [key, flag] of [['table', 'table'], ['definition', 'definition'], ['app', 'app'], ['saga', 'saga'], ['dlqUrls', 'dlq-urls'], ['queueUrls', 'queue-urls']] as const) {
    const v = pick(flag);
    if (v !== undefined) flags[key] = v;
  }
  return flags;
}
