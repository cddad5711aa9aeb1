import type { AnySagaDefinition, SagaDefinitionInput } from './definition.js';
import { DefinitionError } from './errors.js';

/**
 * Definition versions: every saga is pinned to the version it started on (its start event carries
 * it, and so does every event after). A definition names the earlier versions whose sagas may still
 * be in flight (`previousVersions`); for each of them either that version's participants stay
 * deployed beside the new ones (the rules route each event by its version), or the new version's
 * participants take those sagas over (`migratesFrom`), which the upgrade check must allow.
 * The tracker and the reconciler of the newest definition serve every version it names.
 */

/** The versions whose events this definition's participants serve: its own, and those it migrates. */
export function servedVersions(def: AnySagaDefinition): number[] {
  return [def.version, ...(def.migratesFrom ?? [])].sort((a, b) => a - b);
}

/**
 * The definition that serves events of `version` when `def` is the newest one deployed: `def` for
 * its own version and the versions it migrates, the named previous definition otherwise, and
 * `undefined` for a version it does not know (newer, or never named).
 *
 * @example
 * ```ts
 * const orderV2 = defineSaga({ ...orderV1Input, version: 2, previousVersions: [orderV1] });
 * definitionForVersion(orderV2, 1) === orderV1; // the tracker validates a v1 saga's events against v1
 * ```
 */
export function definitionForVersion(def: AnySagaDefinition, version: number): AnySagaDefinition | undefined {
  if (servedVersions(def).includes(version)) return def;
  return (def.previousVersions ?? []).find((p) => p.version === version);
}

/** Every definition a deployment of `def` serves, newest first (itself, then its previous versions). */
export function deployedVersions(def: AnySagaDefinition): AnySagaDefinition[] {
  return [def, ...[...(def.previousVersions ?? [])].sort((a, b) => b.version - a.version)];
}

/** Previous versions whose own participants stay deployed (not taken over through `migratesFrom`). */
export function keptVersions(def: AnySagaDefinition): AnySagaDefinition[] {
  const migrated = new Set(def.migratesFrom ?? []);
  return (def.previousVersions ?? []).filter((p) => !migrated.has(p.version));
}

/** Structural checks of `previousVersions` and `migratesFrom`, run by `defineSaga`. */
export function checkVersionFields(def: SagaDefinitionInput): void {
  const where = { definition: def.name };
  const previous = def.previousVersions ?? [];
  const seen = new Set<number>();
  for (const p of previous) {
    if (p?.kind !== 'saga-definition') {
      throw new DefinitionError(`Saga "${def.name}": previousVersions must hold definitions made by defineSaga, got ${typeof p}.`, where);
    }
    if (p.name !== def.name) {
      throw new DefinitionError(`Saga "${def.name}": previousVersions holds saga "${p.name}"; a previous version must have the same name (another name is another saga).`, where);
    }
    if (p.version >= def.version) {
      throw new DefinitionError(`Saga "${def.name}" v${def.version}: previousVersions holds v${p.version}, which is not older. Give the new definition a higher version.`, where);
    }
    if (seen.has(p.version)) throw new DefinitionError(`Saga "${def.name}": previousVersions names v${p.version} twice.`, where);
    seen.add(p.version);
    // A previous version's own previous versions are served too, but only once, from here.
    for (const older of p.previousVersions ?? []) {
      if (!previous.some((q) => q.version === older.version)) {
        throw new DefinitionError(
          `Saga "${def.name}" v${def.version}: its previous v${p.version} names v${older.version} as in flight, but v${def.version} does not. List every version whose sagas may still run in previousVersions (v${older.version} too), or drop v${older.version} once it has drained.`,
          where,
        );
      }
    }
  }
  for (const m of def.migratesFrom ?? []) {
    if (!seen.has(m)) {
      throw new DefinitionError(
        `Saga "${def.name}" v${def.version}: migratesFrom names v${m}, which is not in previousVersions. Add the v${m} definition to previousVersions so the upgrade can be checked against it.`,
        where,
      );
    }
  }
}

/**
 * The definition that judges one incoming event at a consumer serving every deployed version (the
 * tracker, the notifier): the one of the version its envelope claims, else `def` (whose validation
 * then names what is wrong: a newer version, a malformed envelope).
 */
export function definitionForEvent(def: AnySagaDefinition, event: { readonly detail: unknown }): AnySagaDefinition {
  const claimed = (event.detail as { definitionVersion?: unknown } | null)?.definitionVersion;
  return (typeof claimed === 'number' && definitionForVersion(def, claimed)) || def;
}
