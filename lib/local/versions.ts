import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AnySagaDefinition } from '../core/definition.js';
import { definitionForVersion } from '../core/versions.js';
import { OPEN_SHARD_NAMES, openIndexPages, sagasByVersion } from '../runtime/operator/index.js';
import { LocalCloudError } from './errors.js';

/**
 * Refuses an upgrade the local cloud cannot run safely: another saga's name, a version that is not
 * newer, or a running version the new definition does not name (its in-flight sagas would have no
 * tracker definition and, without their participants, nobody to finish them).
 */
export function checkUpgrade(current: AnySagaDefinition, runningVersions: readonly number[], next: AnySagaDefinition): void {
  if (next.name !== current.name) {
    throw new LocalCloudError(`Cannot deploy saga "${next.name}" into the local cloud of saga "${current.name}": an upgrade keeps the saga's name (another name is another saga).`, { definition: next.name });
  }
  if (next.version <= current.version) {
    throw new LocalCloudError(`Cannot deploy "${next.name}" v${next.version}: v${current.version} is deployed; an upgrade needs a higher version.`, { version: next.version });
  }
  for (const running of runningVersions) {
    if (!definitionForVersion(next, running)) {
      throw new LocalCloudError(
        `"${next.name}" v${next.version} does not name v${running} in previousVersions, but v${running} is deployed and may have sagas in flight; they would be stranded. ` +
          `Add the v${running} definition to previousVersions (and, to take its sagas over, migratesFrom: [${running}]), or retire v${running} first once it has drained.`,
        { version: next.version, running },
      );
    }
  }
}

/** Number of sagas in the open-sagas index (not terminal): counted by the index, no item read. */
export async function countOpenSagas(client: DynamoDBDocumentClient, tableName: string): Promise<number> {
  let count = 0;
  for (const shard of OPEN_SHARD_NAMES) for await (const page of openIndexPages(client, tableName, shard, { count: true })) count += page.Count ?? 0;
  return count;
}

/** Open sagas by the definition version they run on: when a version's count is 0 it has drained. */
export async function openSagasByVersion(client: DynamoDBDocumentClient, tableName: string): Promise<Record<number, number>> {
  return (await sagasByVersion(client, tableName)).open;
}
