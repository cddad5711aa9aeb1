import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnySagaDefinition } from '../core/definition.js';
import { UsageError } from './io.js';

/** The reference order saga's definition module, used when no module is given. */
export const REFERENCE_DEFINITION_MODULE = new URL('../../functions/order/definition.ts', import.meta.url).pathname;

const isDefinition = (value: unknown): value is AnySagaDefinition =>
  typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'saga-definition';

/**
 * Loads saga definitions from a TypeScript or JavaScript module: its default export and every
 * named export made with `defineSaga`. `name` picks one when the module has several.
 */
export async function loadDefinitions(modulePath: string = REFERENCE_DEFINITION_MODULE, name?: string): Promise<AnySagaDefinition[]> {
  const absolute = resolve(modulePath);
  if (!existsSync(absolute)) throw new UsageError(`Definition module ${JSON.stringify(modulePath)} does not exist (resolved to ${absolute}).`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`Could not load ${modulePath}: ${(error as Error).message}`);
  }
  const found = [...new Set(Object.values(mod).filter(isDefinition))];
  if (found.length === 0) throw new UsageError(`${modulePath} exports no saga definition. Export the result of defineSaga(...).`);
  if (!name) return found;
  const picked = found.filter((d) => d.name === name);
  if (picked.length === 0) throw new UsageError(`${modulePath} has no saga named ${JSON.stringify(name)}; it has: ${found.map((d) => d.name).join(', ')}.`);
  return picked;
}
