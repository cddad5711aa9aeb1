import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AnySagaDefinition, ParticipantNameOf, PayloadOf } from '../core/definition.js';
import { KEY, ownPrefix, reservedInfixes } from '../core/keys.js';
import { participantNames } from '../core/model.js';
import type { ParticipantImplementations } from './cloud.js';
import { LocalCloudError } from './errors.js';
import { SeededRandom } from './random.js';
import type { StoredData, StoredSaga, StoredStep } from './simulation/stored-data.js';

/**
 * A saga application as the tools run it: what `saga run|simulate|verify|graph|inspect --app
 * <module>` load, and what `saga-choreography/testing` starts a local cloud for. A module exports
 * these names (or a default export holding them); {@link defineApp} types them.
 *
 * @example
 * ```ts
 * // src/app.ts
 * import { defineApp } from 'saga-choreography/testing';
 * import { transferSaga } from './saga.js';
 * import { ledgerSteps, walletSteps } from './participants.js';
 *
 * export default defineApp({
 *   definition: transferSaga,
 *   participants: { wallet: walletSteps, ledger: ledgerSteps },
 *   scenario: (i, random) => ({ transferId: `t-${i}`, from: `acct-${i % 10}`, amountCents: 100 + Math.floor(random() * 900) }),
 *   async seed(data) {
 *     for (let a = 0; a < 10; a++) await data.put('wallet', { pk: `wallet#account#acct-${a}`, sk: 'account', balance: 10_000 });
 *   },
 *   invariants: {
 *     'no-negative-balance': (stored) =>
 *       stored.items('wallet').filter((a) => Number(a.balance) < 0).map((a) => `${String(a.pk)} is at ${String(a.balance)}`),
 *   },
 * });
 * ```
 */
export interface SagaApp<D extends AnySagaDefinition = AnySagaDefinition> {
  /** The saga definition (`defineSaga`). */
  readonly definition: D;
  /** Step implementations of every participant: `{ [participant]: stepImplementations }`. */
  readonly participants: ParticipantImplementations<D>;
  /**
   * The start event's payload for saga number `i` (0-based) of a run. `random()` returns a seeded
   * number in [0, 1): the same seed gives the same scenarios.
   */
  scenario(i: number, random: () => number): PayloadOf<D, D['start']>;
  /** Writes business data before a run (accounts, stock …). `run.sagas` is how many sagas will start. */
  seed?(data: SeedData<D>, run: SeedRun): Promise<void> | void;
  /** Named checks over the data a run stored; each returns the violations it finds (empty: holds). */
  readonly invariants?: Readonly<Record<string, AppInvariant>>;
  /** Figures a simulation report shows for the app (totals of stock, money …), computed from the stored data. */
  summarize?(stored: StoredView): Record<string, unknown> | Promise<Record<string, unknown>>;
  /**
   * The next version of this saga, for a rolling upgrade in the middle of a run (`saga simulate
   * --upgrade-at <n>`, `LocalCloud.deploy`): its definition names this one in `previousVersions`
   * (and in `migratesFrom` if it takes the in-flight sagas over). Sagas started after the upgrade
   * use its `scenario` when it has one, else this app's. @default none
   */
  readonly upgrade?: AppUpgrade;
}

/** The next version of an app (see {@link SagaApp.upgrade}). */
export interface AppUpgrade {
  readonly definition: AnySagaDefinition;
  /** Step implementations of every participant of the new version. */
  readonly participants: Readonly<Record<string, unknown>>;
  /** Start payloads of the sagas that start on the new version. @default the app's own scenario */
  scenario?(i: number, random: () => number): unknown;
}

/** What {@link SagaApp.seed} is told about the run it prepares. */
export interface SeedRun {
  /** Sagas the run will start. */
  readonly sagas: number;
  /** Seeded number in [0, 1). */
  random(): number;
}

/** Writes a participant's business items before a run. */
export interface SeedData<D extends AnySagaDefinition = AnySagaDefinition> {
  /**
   * Puts one business item of `participant`. Its `pk` must start with `<participant>#` (the key
   * space the participant's IAM role is fenced to) and must not be one of the framework's own
   * prefixes (`<participant>#saga#`, `#outbox#` …); `sk` is required.
   */
  put(participant: ParticipantNameOf<D>, item: Readonly<Record<string, unknown>>): Promise<void>;
}

/** A named check of an app: the violations it finds in the stored data, as sentences. */
export type AppInvariant = (stored: StoredView) => readonly string[] | Promise<readonly string[]>;

/** One saga a run started: its number, id and start payload. */
export interface StartedSaga {
  readonly index: number;
  readonly sagaId: string;
  readonly payload: unknown;
  /** The definition version it started on. @default the app's definition's */
  readonly definitionVersion?: number;
}

/** The data a run left, as an app's invariants read it. */
export interface StoredView {
  /** Business items of `participant` (keys starting with `<participant>#`, the framework's own items left out), sorted by key. */
  items(participant: string): readonly Readonly<Record<string, unknown>>[];
  /** Every saga record. */
  readonly sagas: readonly StoredSaga[];
  /** Step records (barriers) of a saga, every participant's. */
  steps(sagaId: string): readonly StoredStep[];
  /** The sagas the run started, in start order (empty when the view was not built by a run). */
  readonly started: readonly StartedSaga[];
}

/**
 * The seeded source of an app's scenarios for a run: its own stream (offset from the run's seed),
 * so scenario draws never shift the cloud's delivery order, and `saga run`, `saga simulate` and
 * `startScenario` give saga i the same payload for one seed.
 */
export function scenarioRandom(seed: number): () => number {
  const random = new SeededRandom(seed ^ 0x5ce4a710);
  return () => random.next();
}

const FRAMEWORK_PARTITION = /^[a-z][a-z0-9-]*#(?:saga#|outbox#|rejected$|failed$|pending#)/;

/** The invariant checks' view of stored data. */
export function storedView(data: StoredData, started: readonly StartedSaga[] = []): StoredView {
  const sagas = [...data.sagas.values()];
  return {
    items(participant) {
      const prefix = ownPrefix(participant);
      const out: Record<string, unknown>[] = [];
      for (const [pk, items] of data.items) if (pk.startsWith(prefix) && !FRAMEWORK_PARTITION.test(pk)) out.push(...items);
      return out;
    },
    sagas,
    steps: (sagaId) => data.steps.get(sagaId) ?? [],
    started,
  };
}

/** Seeding through a document client, fencing each item to its participant's key space. */
export function seedDataFor<D extends AnySagaDefinition>(def: D, client: DynamoDBDocumentClient, tableName: string): SeedData<D> {
  const known = new Set(participantNames(def));
  return {
    async put(participant, item) {
      if (!known.has(participant)) throw new LocalCloudError(`seed: saga "${def.name}" has no participant ${JSON.stringify(participant)}; its participants are ${[...known].join(', ')}.`);
      const pk = item[KEY.partition];
      const sk = item[KEY.sort];
      if (typeof pk !== 'string' || !pk.startsWith(ownPrefix(participant))) {
        throw new LocalCloudError(`seed: an item of ${participant} needs a string ${KEY.partition} starting with "${ownPrefix(participant)}" (its key space), got ${JSON.stringify(pk)}.`);
      }
      const reserved = reservedInfixes(participant).find((p) => pk.startsWith(p));
      if (reserved) throw new LocalCloudError(`seed: ${KEY.partition} ${JSON.stringify(pk)} is in the framework's own key space (${reserved}…); pick another prefix for business items.`);
      if (typeof sk !== 'string' || sk === '') throw new LocalCloudError(`seed: the item ${JSON.stringify(pk)} of ${participant} needs a non-empty string ${KEY.sort}.`);
      await client.send(new PutCommand({ TableName: tableName, Item: { ...item } }));
    },
  };
}

/**
 * Types a saga application (identity at run time).
 *
 * @example
 * ```ts
 * export default defineApp({ definition, participants, scenario: (i) => ({ transferId: `t-${i}`, amountCents: 500 }) });
 * ```
 */
export function defineApp<D extends AnySagaDefinition>(app: SagaApp<D>): SagaApp<D> {
  return app;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * Checks that a loaded module (or its default export) is a {@link SagaApp}; says what is missing
 * otherwise. `where` names the module in the message.
 */
export function appFromModule(mod: Readonly<Record<string, unknown>>, where: string): SagaApp {
  const candidate = isObject(mod.default) && 'definition' in mod.default ? mod.default : mod;
  const problems: string[] = [];
  const def = candidate.definition;
  if (!isObject(def) || def.kind !== 'saga-definition') problems.push('`definition` (the result of defineSaga)');
  if (!isObject(candidate.participants)) problems.push('`participants` ({ [participant]: stepImplementations })');
  if (typeof candidate.scenario !== 'function') problems.push('`scenario(i, random)` (the start payload of saga i)');
  if (problems.length > 0) throw new LocalCloudError(`${where} is not a saga app module: it does not export ${problems.join(', ')}.`);
  if (candidate.seed !== undefined && typeof candidate.seed !== 'function') throw new LocalCloudError(`${where}: \`seed\` must be a function (data, run) => …`);
  if (candidate.summarize !== undefined && typeof candidate.summarize !== 'function') throw new LocalCloudError(`${where}: \`summarize\` must be a function (stored) => figures.`);
  const invariants = candidate.invariants;
  if (invariants !== undefined) {
    if (!isObject(invariants)) throw new LocalCloudError(`${where}: \`invariants\` must be an object of named checks { [name]: (stored) => string[] }.`);
    for (const [name, check] of Object.entries(invariants)) if (typeof check !== 'function') throw new LocalCloudError(`${where}: invariant ${JSON.stringify(name)} must be a function (stored) => string[].`);
  }
  const app = candidate as unknown as SagaApp;
  if (app.upgrade !== undefined) checkUpgradeExport(app, where);
  const missing = participantNames(app.definition).filter((p) => !isObject((app.participants as Record<string, unknown>)[p]));
  if (missing.length > 0) throw new LocalCloudError(`${where}: participants has no step implementations for ${missing.join(', ')} of saga "${app.definition.name}".`);
  return app;
}

function checkUpgradeExport(app: SagaApp, where: string): void {
  const upgrade = app.upgrade as unknown;
  if (!isObject(upgrade) || !isObject(upgrade.definition) || upgrade.definition.kind !== 'saga-definition' || !isObject(upgrade.participants)) {
    throw new LocalCloudError(`${where}: \`upgrade\` must be { definition, participants, scenario? }: the next version's definition (defineSaga) and its step implementations.`);
  }
  const next = upgrade.definition as unknown as AnySagaDefinition;
  if (next.name !== app.definition.name || next.version <= app.definition.version) {
    throw new LocalCloudError(`${where}: \`upgrade\` must be a newer version of saga "${app.definition.name}" (v${app.definition.version}); it is "${next.name}" v${next.version}.`);
  }
  if (!(next.previousVersions ?? []).some((p) => p.version === app.definition.version)) {
    throw new LocalCloudError(`${where}: the upgrade "${next.name}" v${next.version} does not name v${app.definition.version} in previousVersions; sagas in flight on v${app.definition.version} would be stranded.`);
  }
  const missing = participantNames(next).filter((p) => !isObject((upgrade.participants as Record<string, unknown>)[p]));
  if (missing.length > 0) throw new LocalCloudError(`${where}: upgrade.participants has no step implementations for ${missing.join(', ')} of "${next.name}" v${next.version}.`);
  if (upgrade.scenario !== undefined && typeof upgrade.scenario !== 'function') throw new LocalCloudError(`${where}: \`upgrade.scenario\` must be a function (i, random) => start payload.`);
}
