import type { AnySagaDefinition } from '../../core/definition.js';
import type { SagaApp, StartedSaga } from '../app.js';
import { storedView } from '../app.js';
import type { InjectedPoison } from '../faults.js';
import { checkGenericInvariants, GENERIC_INVARIANTS, type SagaSummary, type Violation } from './invariants.js';
import type { StoredData } from './stored-data.js';

/** What the checks are given besides the app: the stored data and what the run did. */
export interface AppCheckInput {
  readonly data: StoredData;
  /** The sagas the run started. */
  readonly started: readonly StartedSaga[];
  /** Envelope event ids the bus accepted. */
  readonly published: ReadonlySet<string>;
  /** Poison messages injected on purpose (each must be kept as a rejection). @default none */
  readonly poison?: readonly InjectedPoison[];
  /** The key-space consumer name a local-cloud consumer writes its rejections under. @default the consumer's own name */
  readonly rejectionConsumerOf?: (consumer: string) => string;
  /** The newest definition deployed during the run (after an upgrade). @default the app's definition */
  readonly definition?: AnySagaDefinition;
}

export interface AppCheckResult {
  readonly summary: SagaSummary;
  /** Names of every invariant checked: the generic ones, then the app's. */
  readonly checked: readonly string[];
  readonly violations: Violation[];
  readonly openSagas: string[];
  /** The app's own figures (`summarize`), `{}` without. */
  readonly figures: Record<string, unknown>;
}

/**
 * Checks the generic invariants (every saga terminal, no contradictory terminals, effects at most
 * once, outbox and barrier consistency, poison kept …) and the app's own named invariants on the
 * stored data. An app invariant that throws is reported as its own violation, never as a pass.
 *
 * @example
 * ```ts
 * const result = await checkAppInvariants(app, { data: await readStoredData(client, table), started, published });
 * for (const v of result.violations) console.log(`[${v.invariant}] ${v.message}`);
 * ```
 */
export async function checkAppInvariants(app: SagaApp, input: AppCheckInput): Promise<AppCheckResult> {
  const generic = checkGenericInvariants({
    def: input.definition ?? app.definition,
    data: input.data,
    startVersions: new Map(input.started.map((s) => [s.sagaId, s.definitionVersion ?? app.definition.version])),
    sagaIds: input.started.map((s) => s.sagaId),
    published: input.published,
    poison: input.poison ?? [],
    rejectionConsumerOf: input.rejectionConsumerOf ?? ((c) => c),
  });
  const view = storedView(input.data, input.started);
  const violations = [...generic.violations];
  const own = Object.entries(app.invariants ?? {});
  for (const [name, check] of own) {
    if ((GENERIC_INVARIANTS as readonly string[]).includes(name)) {
      violations.push({ invariant: name, message: `the app's invariant "${name}" has the name of a generic invariant; rename it` });
      continue;
    }
    try {
      const found = await check(view);
      if (!Array.isArray(found)) {
        violations.push({ invariant: name, message: `the check returned ${typeof found}, not a list of violations (string[])` });
        continue;
      }
      for (const message of found) violations.push({ invariant: name, message: String(message) });
    } catch (error) {
      violations.push({ invariant: name, message: `the check threw: ${(error as Error).message ?? String(error)}` });
    }
  }
  let figures: Record<string, unknown> = {};
  if (app.summarize) {
    try {
      figures = await app.summarize(view);
    } catch (error) {
      violations.push({ invariant: 'summarize', message: `the app's summarize threw: ${(error as Error).message ?? String(error)}` });
    }
  }
  return { summary: generic.summary, checked: [...GENERIC_INVARIANTS, ...own.map(([name]) => name)], violations, openSagas: generic.openSagas, figures };
}
