import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Root of the saga-choreography package (the directory holding its `package.json`): this file
 * lives in `lib/constructs/`. The framework's own Lambda entries (relay, tracker, reconciler) are
 * resolved from here, so they are found whatever the user's working directory is.
 */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Lock file of the package, used for esbuild's dependency resolution and asset hashing. */
export const PACKAGE_LOCK = join(PACKAGE_ROOT, 'package-lock.json');

/** Entry files of the framework's own functions, relative to {@link PACKAGE_ROOT}. */
export const FRAMEWORK_ENTRIES = {
  relay: 'functions/relay.ts',
  tracker: 'functions/tracker.ts',
  reconciler: 'functions/reconciler.ts',
} as const;

export type FrameworkFunction = keyof typeof FRAMEWORK_ENTRIES;

/** Absolute path of one of the framework's entry files. */
export function frameworkEntry(name: FrameworkFunction): string {
  return join(PACKAGE_ROOT, FRAMEWORK_ENTRIES[name]);
}
