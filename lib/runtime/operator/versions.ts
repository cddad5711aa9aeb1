import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ATTENTION_SHARD, KEY, OPEN_SHARDS } from '../../core/keys.js';
import { deployedVersions, keptVersions } from '../../core/versions.js';
import type { OperatorContext } from './context.js';

/** Where one deployed definition version stands during a rolling upgrade. */
export interface VersionStatus {
  readonly version: number;
  /** `newest` starts new sagas; `kept` runs its own participants until drained; `migrated` is served by the newest version's participants. */
  readonly role: 'newest' | 'kept' | 'migrated';
  /** Sagas of this version not ended yet. */
  readonly openSagas: number;
  /** Sagas of this version flagged failed-needs-attention (a person must resolve them). */
  readonly flaggedSagas: number;
  /** Messages in the DLQs of this version's own participants (kept versions and the newest). */
  readonly deadLetters: number;
  /** The participants (as the queue admin names them) that run this version. */
  readonly participants: readonly string[];
  /** A previous version is drained once it has no open or flagged saga and nothing in its DLQs: its participants can be removed. */
  readonly drained: boolean;
}

/**
 * The pages of one shard of the open-sagas index (`open#N`, `open#attention` …), with whatever
 * projection or `Select` the caller adds: the one paged query the version counts and the local
 * cloud's open-saga count share.
 */
export async function* openIndexPages(client: DynamoDBDocumentClient, tableName: string, shard: string, extra: { readonly names?: Record<string, string>; readonly projection?: string; readonly count?: boolean } = {}) {
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: KEY.openIndex,
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': KEY.openPartition, ...(extra.names ?? {}) },
        ExpressionAttributeValues: { ':s': shard },
        ...(extra.projection ? { ProjectionExpression: extra.projection } : {}),
        ...(extra.count ? { Select: 'COUNT' as const } : {}),
        ExclusiveStartKey: startKey,
      }),
    );
    yield out;
    startKey = out.LastEvaluatedKey;
  } while (startKey);
}

/** The regular open shards (`open#0` … ), not the attention or ended ones. */
export const OPEN_SHARD_NAMES: readonly string[] = Array.from({ length: OPEN_SHARDS }, (_, i) => `open#${i}`);

/** Sagas in the open index (the `open#N` shards) and the attention shard, counted by the version they run on. */
export async function sagasByVersion(client: DynamoDBDocumentClient, tableName: string): Promise<{ open: Record<number, number>; flagged: Record<number, number> }> {
  const open: Record<number, number> = {};
  const flagged: Record<number, number> = {};
  for (const shard of [...OPEN_SHARD_NAMES, ATTENTION_SHARD]) {
    const counts = shard === ATTENTION_SHARD ? flagged : open;
    for await (const page of openIndexPages(client, tableName, shard, { names: { '#v': 'definitionVersion' }, projection: '#v' })) {
      for (const item of page.Items ?? []) {
        const v = Number(item.definitionVersion);
        counts[v] = (counts[v] ?? 0) + 1;
      }
    }
  }
  return { open, flagged };
}

/**
 * Every version the deployed definition serves, with its open and flagged sagas and its DLQ
 * depth: what `saga versions` prints, to tell when a previous version has drained and its
 * participants can be removed (and dropped from `previousVersions`).
 *
 * @example
 * ```ts
 * for (const v of await versionStatus(ctx)) if (v.role === 'kept' && v.drained) console.log(`v${v.version} drained`);
 * ```
 */
export async function versionStatus(ctx: OperatorContext): Promise<VersionStatus[]> {
  const { open, flagged } = await sagasByVersion(ctx.client, ctx.tableName);
  const kept = new Set(keptVersions(ctx.def).map((d) => d.version));
  const consumers = ctx.queues.participants();
  const out: VersionStatus[] = [];
  for (const def of deployedVersions(ctx.def)) {
    const role = def === ctx.def ? 'newest' : kept.has(def.version) ? 'kept' : 'migrated';
    // The newest version's participants go by their names; a kept version's by `<name>-v<version>`.
    const own = role === 'migrated' ? [] : consumers.filter((c) => (role === 'newest' ? !/-v\d+$/.test(c) : c.endsWith(`-v${def.version}`)));
    let deadLetters = 0;
    for (const c of own) deadLetters += await ctx.queues.deadLetterCount(c).catch(() => 0);
    const openSagas = open[def.version] ?? 0;
    const flaggedSagas = flagged[def.version] ?? 0;
    out.push({ version: def.version, role, openSagas, flaggedSagas, deadLetters, participants: own, drained: openSagas === 0 && flaggedSagas === 0 && deadLetters === 0 });
  }
  return out;
}
