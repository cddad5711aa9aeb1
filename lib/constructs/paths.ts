import { existsSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(import.meta.url);

/** `lib/` of the package: the sources in a checkout, `dist/lib` (compiled) in the installed package. */
const LIB_DIR = resolve(dirname(HERE), '..');

/**
 * The runtime's public face (`lib/runtime/index`), which the generated entries of the framework's
 * functions import: `.ts` in a checkout, the compiled `.js` in the package — this file's own
 * extension says which. A path, not an import: lib/constructs never loads the runtime, esbuild
 * bundles it.
 */
export const RUNTIME_FACE = join(LIB_DIR, 'runtime', `index${extname(HERE)}`);

/** Nearest directory at or above `dir` holding `file`. */
export function findUp(file: string, dir: string): string | undefined {
  for (let at = resolve(dir); ; at = dirname(at)) {
    if (existsSync(join(at, file))) return at;
    if (dirname(at) === at) return undefined;
  }
}

/**
 * Root of the saga-choreography package (the directory holding its `package.json`), found from
 * this file whether it runs from the sources (`lib/constructs/`) or from `dist/lib/constructs/`.
 */
export const PACKAGE_ROOT = findUp('package.json', LIB_DIR) ?? resolve(LIB_DIR, '..');
