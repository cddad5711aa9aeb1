import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Lock files NodejsFunction understands, in its own order of preference. */
const LOCK_FILES = ['pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb', 'package-lock.json'] as const;

/** Where esbuild runs for one entry and which file tells NodejsFunction the package manager. */
export interface BundlingRoot {
  readonly projectRoot: string;
  readonly depsLockFilePath: string;
}

/**
 * The project an entry file belongs to, for NodejsFunction's `projectRoot` / `depsLockFilePath`.
 *
 * NodejsFunction's own default looks for a lock file above the *working directory* and fails with
 * `LockFileDoesnTExist` without one — in a project installed with no lock file, or when the only
 * lock file is the package's own (not shipped). We look from the *entry* instead: the nearest
 * directory above it with any lock file (npm, pnpm, yarn, bun: a monorepo's root lock works),
 * else the nearest `package.json`, which then stands in for the lock file (NodejsFunction only
 * needs an existing file under the root; a file that is no lock file means npm, whose
 * `npx --no-install esbuild` runs the project's own esbuild). `undefined` when the entry is in no
 * Node project at all: NodejsFunction's default then applies, with its own error.
 *
 * @example
 * ```ts
 * bundlingRoot('/app/src/handlers/pay.ts'); // { projectRoot: '/app', depsLockFilePath: '/app/pnpm-lock.yaml' }
 * ```
 */
export function bundlingRoot(entry: string): BundlingRoot | undefined {
  let manifest: string | undefined;
  for (let dir = dirname(resolve(entry)); ; dir = dirname(dir)) {
    const lock = LOCK_FILES.map((f) => join(dir, f)).find((f) => existsSync(f));
    if (lock) return { projectRoot: dir, depsLockFilePath: lock };
    manifest ??= existsSync(join(dir, 'package.json')) ? dir : undefined;
    if (dirname(dir) === dir) break;
  }
  return manifest ? { projectRoot: manifest, depsLockFilePath: join(manifest, 'package.json') } : undefined;
}
