import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../io.js';
import { PACKAGE_ROOT } from '../../constructs/paths.js';

/** Tools the scaffold's package.json names, at the versions this package is tested with. */
const DEV_TOOLS = ['typescript', 'tsx', 'vitest', 'aws-cdk-lib', 'constructs', 'esbuild', 'aws-cdk', '@types/node'] as const;

interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

/**
 * The scaffold's package.json: the package (its version, or `file:` a tarball), zod for the event
 * schemas, and the tools at the versions this package is tested with (so an install from the npm
 * cache works offline).
 */
export function scaffoldPackageJson(name: string, own: PackageJson, tarball?: string): Record<string, unknown> {
  const pinned = (dep: string): string => {
    const version = own.devDependencies?.[dep] ?? own.dependencies?.[dep];
    if (!version) throw new Error(`saga init: this package does not pin ${dep}; cannot write a reproducible scaffold.`);
    return version;
  };
  return {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      test: 'vitest run',
      verify: 'saga verify --app src/app.ts',
      simulate: 'saga simulate --app src/app.ts --sagas 50 --all-faults 0.05',
      synth: 'cdk synth --quiet',
      typecheck: 'tsc -p .',
    },
    dependencies: { [own.name]: tarball ? `file:${tarball}` : own.version, zod: pinned('zod') },
    devDependencies: Object.fromEntries(DEV_TOOLS.map((dep) => [dep, pinned(dep)])),
  };
}

export const initCommand: Command = {
  name: 'init',
  summary: 'scaffold a project that uses saga-choreography: a two-participant saga, tests, a CDK app',
  usage: 'saga init <dir> [--package <path.tgz>] [--name <package-name>]\n  --package: depend on a packed tarball instead of the published version (e.g. from `npm pack`).',
  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { package: { type: 'string' }, name: { type: 'string' } } });
    const [dir, ...extra] = positionals;
    if (!dir || extra.length > 0) throw new UsageError('give exactly one target directory.');
    const target = resolve(dir);
    if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length > 0)) {
      throw new UsageError(`${target} exists and is not an empty directory; pick a new directory (saga init never overwrites files).`);
    }
    const tarball = values.package ? resolve(values.package) : undefined;
    if (tarball && !existsSync(tarball)) throw new UsageError(`--package ${JSON.stringify(values.package)} does not exist (resolved to ${tarball}).`);
    const name = values.name ?? (basename(target).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'my-saga');
    const templates = join(PACKAGE_ROOT, 'templates', 'init');
    if (!existsSync(templates)) throw new Error(`saga init: the package's templates are missing (${templates}); reinstall saga-choreography.`);

    mkdirSync(target, { recursive: true });
    cpSync(templates, target, { recursive: true });
    // npm does not ship files named .gitignore; the template is stored without the dot.
    renameSync(join(target, 'gitignore'), join(target, '.gitignore'));
    const readme = join(target, 'README.md');
    writeFileSync(readme, readFileSync(readme, 'utf8').replaceAll('{{name}}', name));
    const own = readJson<PackageJson>(join(PACKAGE_ROOT, 'package.json'));
    writeFileSync(join(target, 'package.json'), `${JSON.stringify(scaffoldPackageJson(name, own, tarball), null, 2)}\n`);

    const shown = relative(process.cwd(), target) || '.';
    io.out(`Created ${name} in ${target}:`);
    for (const file of ['package.json', 'src/transfer-saga.ts', 'src/wallet.ts', 'src/ledger.ts', 'src/app.ts', 'test/transfer.test.ts', 'bin/app.ts', 'cdk.json', 'tsconfig.json', 'README.md']) io.out(`  ${file}`);
    io.out(`\nNext:\n  cd ${shown}\n  npm install\n  npm test\n  npm run simulate\n  npm run synth`);
    return 0;
  },
};
