import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script, shared with the consumer check (no types needed here)
import { readmeSnippets, writeSnippets } from '../../scripts/readme-snippets.mjs';
import { NO_FAULTS } from '../../lib/local/faults.js';
import { appFromModule } from '../../lib/local/app.js';
import { runAppSimulation } from '../../lib/local/simulation/run.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** Inside the repository, so the snippets resolve zod, aws-cdk-lib and vitest from its node_modules. */
const DIR = join(ROOT, 'node_modules', '.cache', `readme-snippets-${process.pid}`);
/** The package's entry points, as a consumer imports them, mapped to their sources. */
const ENTRY_POINTS: Record<string, string> = {
  'saga-choreography': 'lib/core/index.ts',
  'saga-choreography/runtime': 'lib/runtime/index.ts',
  'saga-choreography/local': 'lib/local/index.ts',
  'saga-choreography/testing': 'lib/testing/index.ts',
  'saga-choreography/constructs': 'lib/constructs/index.ts',
};

interface Snippet {
  readonly path: string;
  readonly code: string;
  readonly line: number;
}
const snippets = readmeSnippets(readFileSync(join(ROOT, 'README.md'), 'utf8')) as Snippet[];

afterAll(() => rmSync(DIR, { recursive: true, force: true }));

describe('README snippets (every ```ts block is a file of a consumer project)', () => {
  it('use only the package’s public entry points, never repository paths', () => {
    expect(snippets.length).toBeGreaterThan(4);
    for (const s of snippets) {
      for (const m of s.code.matchAll(/from '([^']+)'/g)) {
        const spec = m[1]!;
        const ok = spec.startsWith('./') || spec.startsWith('../') ? !/\/(lib|functions)\//.test(spec) : true;
        expect(ok, `${s.path} (README line ${s.line}) imports ${spec}`).toBe(true);
        if (spec.startsWith('saga-choreography')) expect(Object.keys(ENTRY_POINTS), `${s.path} imports ${spec}`).toContain(spec);
      }
    }
  });

  it('compile with strict tsc as one project', () => {
    writeSnippets(snippets, DIR);
    const paths = Object.fromEntries(Object.entries(ENTRY_POINTS).map(([spec, file]) => [spec, [join(ROOT, file)]]));
    writeFileSync(
      join(DIR, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', skipLibCheck: true, types: ['node'], paths },
        include: snippets.map((s) => s.path),
      }),
    );
    let output = '';
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(DIR, 'tsconfig.json')], { encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  }, 120_000);

  it('the app module runs: a short simulation with faults keeps every invariant', async () => {
    // The snippets again, with the package's entry points rewritten to the sources (vitest loads TS).
    const runnable = join(DIR, 'runnable');
    mkdirSync(runnable, { recursive: true });
    writeSnippets(
      snippets.map((s) => ({ ...s, code: s.code.replace(/from '(saga-choreography(?:\/\w+)?)'/g, (_, spec: string) => `from '${join(ROOT, ENTRY_POINTS[spec]!)}'`) })),
      runnable,
    );
    const appSnippet = snippets.find((s) => /defineApp\(/.test(s.code));
    expect(appSnippet, 'a snippet defines the app module').toBeDefined();
    const mod = (await import(join(runnable, appSnippet!.path))) as Record<string, unknown>;
    const app = appFromModule(mod, appSnippet!.path);
    const report = await runAppSimulation(app, { sagas: 40, seed: 3, faults: { ...NO_FAULTS, duplicate: 0.1, crashAfterCommit: 0.05, reorder: 1 } });
    expect(report.violations).toEqual([]);
    expect(report.summary.open).toBe(0);
    expect(report.summary.completed).toBeGreaterThan(0);
    expect(report.summary.compensated).toBeGreaterThan(0);
    expect(report.invariantsChecked).toContain('money-conserved');
  }, 300_000);
});
