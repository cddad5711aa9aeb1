import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appFromModule, type SagaApp } from '../local/app.js';
import { LocalCloudError } from '../local/errors.js';
import { importModule } from './definition-loader.js';
import { UsageError } from './io.js';

/**
 * The reference order saga's app module, used when no `--app` is given: `.ts` in a checkout, the
 * compiled `.js` in the installed package (this file's own extension says which).
 */
export const REFERENCE_APP_MODULE = fileURLToPath(new URL(`./reference/app${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/** The usage text of `--app`, shared by the commands that take it. */
export const APP_USAGE = '--app <module> (an app module: definition, participants, scenario, seed?, invariants?; default: the reference order saga)';

/**
 * Loads a saga app module (`--app`): a `.js`/`.ts` module exporting `definition`, `participants`,
 * `scenario` and optionally `seed`, `invariants`, `summarize` — as named exports or one default
 * export. The reference order saga's module when `modulePath` is not given.
 *
 * @example
 * ```ts
 * const app = await loadApp('src/app.ts');
 * ```
 */
export async function loadApp(modulePath?: string): Promise<SagaApp> {
  const path = modulePath ?? REFERENCE_APP_MODULE;
  const mod = await importModule(path, 'App module');
  try {
    return appFromModule(mod, path);
  } catch (error) {
    if (error instanceof LocalCloudError) throw new UsageError(`${error.message} See docs/testing.md for the app module's shape.`);
    throw error;
  }
}
