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
  const absolute = resolve(modulePath);
  if (!existsSync(absolute)) throw new UsageError(`Definition module ${JSON.stringify(modulePath)} does not exist (resolved to ${absolute}).`);
  const typescript = TYPESCRIPT.test(absolute);
  const withTsx = typescript && (await registerTsx());
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (error) {
    const hint = typescript && !withTsx ? ' To load TypeScript modules, install tsx (npm install --save-dev tsx) or point at the compiled .js file.' : '';
    throw new UsageError(`Could not load ${modulePath}: ${(error as Error).message}.${hint}`);
  }
  const found = [...new Set(Object.values(mod).filter(isDefinition))];
  if (found.length === 0) throw new UsageError(`${modulePath} exports no saga definition. Export the result of defineSaga(...).`);
  if (!name) return found;
  const picked = found.filter((d) => d.name === name);
  if (picked.length === 0) throw new UsageError(`${modulePath} has no saga named ${JSON.stringify(name)}; it has: ${found.map((d) => d.name).join(', ')}.`);
  return picked;
}
