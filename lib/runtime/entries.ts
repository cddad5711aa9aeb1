import type { AnySagaDefinition } from '../core/definition.js';
import { ConfigError } from '../core/errors.js';
import { createNotifierHandler, notifierDepsFromEnv, notifierOptionsFromEnv } from './notifier/index.js';
import { createOutcomeApiHandler, outcomeApiDepsFromEnv } from './outcome-api/index.js';
import { defaultReconciliationChecks } from './participant/index.js';
import { createReconcilerHandler, reconcilerDepsFromEnv, type ReconciliationCheck } from './reconciler/index.js';
import { createRelayHandler, relayDepsFromEnv } from './relay/index.js';
import { lazyHandler } from './shared/index.js';
import { createTrackerHandler, trackerDepsFromEnv } from './tracker/index.js';

// The framework's own Lambda handlers for any definition, built on the first invocation from the
// environment the constructs write. The constructs generate a three-line entry per function that
// calls one of these with the user's definition (lib/constructs/framework-entries.ts), so a user
// writes no entry file and no bundle ever carries another saga; a user's own entry (to add
// middleware or reconciliation checks) calls them the same way.

/**
 * The outbox relay (DynamoDB stream → EventBridge) of `def`.
 *
 * @example
 * ```ts
 * export const handler = relayHandlerFor(bookingSaga);
 * ```
 */
export const relayHandlerFor = (def: AnySagaDefinition) => lazyHandler(() => createRelayHandler(def, relayDepsFromEnv(def)));

/**
 * The tracker (saga events → saga records) of `def`.
 *
 * @example
 * ```ts
 * export const handler = trackerHandlerFor(bookingSaga);
 * ```
 */
export const trackerHandlerFor = (def: AnySagaDefinition) => lazyHandler(() => createTrackerHandler(def, trackerDepsFromEnv(def)));

/**
 * The scheduled reconciler of `def` with its reconciliation checks (对账). The default checks are
 * the ones the definition's features need ({@link defaultReconciliationChecks}: expired TCC
 * reservations finished by their saga's decision); pass your own list to add checks or `[]` to opt out.
 *
 * @example
 * ```ts
 * export const handler = reconcilerHandlerFor(orderSaga, [orderStockCheck(), reservationExpiryCheck()]);
 * ```
 */
export const reconcilerHandlerFor = (def: AnySagaDefinition, checks: readonly ReconciliationCheck[] = defaultReconciliationChecks(def)) =>
  lazyHandler(() => createReconcilerHandler(def, reconcilerDepsFromEnv(def, checks)));

/**
 * The best-effort notifier of `def`'s outcomes (terminal events from SQS; scheduled retry sweeps).
 *
 * @example
 * ```ts
 * export const handler = notifierHandlerFor(bookingSaga);
 * ```
 */
export const notifierHandlerFor = (def: AnySagaDefinition) => lazyHandler(() => createNotifierHandler(def, notifierOptionsFromEnv(), notifierDepsFromEnv(def)));

/**
 * The outcome query API of `def` (Lambda function URL, `GET /sagas/{sagaId}`).
 *
 * @example
 * ```ts
 * export const handler = outcomeApiHandlerFor(bookingSaga);
 * ```
 */
export const outcomeApiHandlerFor = (def: AnySagaDefinition) => lazyHandler(() => createOutcomeApiHandler(def, outcomeApiDepsFromEnv(def)));

const isDefinition = (value: unknown): value is AnySagaDefinition =>
  typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'saga-definition';

/**
 * The definition named `name` among a module's exports (a generated entry imports the user's
 * definition module whole when it cannot tell the export's name). Fails at cold start, naming the
 * module and what it does export, rather than serving another saga.
 *
 * @example
 * ```ts
 * import * as app from './booking-saga.js';
 * export const handler = relayHandlerFor(definitionFromModule(app, 'booking', './booking-saga.js'));
 * ```
 */
export function definitionFromModule(mod: Readonly<Record<string, unknown>>, name: string, modulePath: string): AnySagaDefinition {
  const found = [...new Set(Object.values(mod).filter(isDefinition))];
  const def = found.find((d) => d.name === name);
  if (def) return def;
  throw new ConfigError(
    `${modulePath} exports no saga definition named ${JSON.stringify(name)}` +
      (found.length > 0 ? `; it exports ${found.map((d) => JSON.stringify(d.name)).join(', ')}` : '; it exports none') +
      `. Export the result of defineSaga from that module, or pass the construct's definitionModule prop naming the module that does.`,
    { module: modulePath, definition: name },
  );
}
