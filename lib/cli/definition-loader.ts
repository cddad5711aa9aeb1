import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AnySagaDefinition } from '../core/definition.js';
import { UsageError } from './io.js';

/**
 * The reference order saga's definition module, used when no module is given: `definition.ts` in a
 * checkout, the compiled `definition.js` in the installed package (this file's own extension says
 * which of the two we are).
 */
export const REFERENCE_DEFINITION_MODULE = fileURLToPath(new URL(`../../functions/order/definition${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

const TYPESCRIPT = /\.[cm]?tsx?$/;

const isDefinition = (value: unknown): value is AnySagaDefinition =>
  typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'saga-definition';

let tsxRegistered: Promise<boolean> | undefined;

/**
 * Makes `import()` of a TypeScript module work: through tsx when it is installed (an optional peer
 * dependency of the package; a devDependency here). Without tsx, Node's own type stripping
 * (Node ≥ 22.18) may still load it, so this only reports whether tsx was registered.
 */
function registerTsx(): Promise<boolean> {
  tsxRegistered ??= import('tsx/esm/api').then(
    (tsx) => {
      tsx.register();
      return true;
    },
    () => false,
  );
  return tsxRegistered;
}

/**
 * Loads saga definitions from a JavaScript (`.js`, `.mjs`) or TypeScript (`.ts`, `.mts`) module:
 * its default export and every named export made with `defineSaga`. `name` picks one when the
 * module has several. TypeScript modules load through tsx when it is installed.
 *
 * @example
 * ```ts
 * const [definition] = await loadDefinitions('src/saga.ts', 'booking');
 * ```
 */
export async function loadDefinitions(modulePath: string = REFERENCE_DEFINITION_MODULE, name?: string): Promise<AnySagaDefinition[]> {
  const mod = await importModule(modulePath, 'Definition module');
  const found = [...new Set(Object.values(mod).filter(isDefinition))];
  if (isDefinition(mod.default) || (typeof mod.default === 'object' && mod.default !== null && isDefinition((mod.default as { definition?: unknown }).definition))) {
    // An app module's default export ({ definition, participants, … }) counts too.
    const def = isDefinition(mod.default) ? mod.default : (mod.default as { definition: AnySagaDefinition }).definition;
    if (!found.includes(def)) found.push(def);
  }
  if (found.length === 0) throw new UsageError(`${modulePath} exports no saga definition. Export the result of defineSaga(...).`);
  if (!name) return found;
  const picked = found.filter((d) => d.name === name);
  if (picked.length === 0) throw new UsageError(`${modulePath} has no saga named ${JSON.stringify(name)}; it has: ${found.map((d) => d.name).join(', ')}.`);
  return picked;
}

/**
 * Imports a user's JavaScript or TypeScript module (TypeScript through tsx when it is installed),
 * turning "not found" and load errors into {@link UsageError}s that say what to do. `what` names
 * the module's role in the messages.
 */
export async function importModule(modulePath: string, what: string): Promise<Record<string, unknown>> {
  const absolute = resolve(modulePath);
  if (!existsSync(absolute)) throw new UsageError(`${what} ${JSON.stringify(modulePath)} does not exist (resolved to ${absolute}).`);
  const typescript = TYPESCRIPT.test(absolute);
  const withTsx = typescript && (await registerTsx());
  try {
    return (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (error) {
    const hint = typescript && !withTsx ? ' To load TypeScript modules, install tsx (npm install --save-dev tsx) or point at the compiled .js file.' : '';
    throw new UsageError(`Could not load ${modulePath}: ${(error as Error).message}.${hint}`);
  }
}

/** The module to load definitions from: `--app` or the positional module (not both); the reference saga's when neither. */
export function definitionSource(app: string | undefined, positional: string | undefined): string | undefined {
  if (app !== undefined && positional !== undefined) throw new UsageError(`give a definition module or --app, not both (got ${JSON.stringify(positional)} and --app ${JSON.stringify(app)}).`);
  return app ?? positional;
}
