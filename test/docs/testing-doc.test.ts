import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script, shared with the README check (no types needed here)
import { readmeSnippets } from '../../scripts/readme-snippets.mjs';

/**
 * docs/testing.md's snippets are a consumer's project: every ```ts block starts with `// <path>`
 * (`// <path> (continued)` appends to it). With the README's saga and participants (src/*), they
 * must compile with strict tsc against the package's entry points, and its test files must pass.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const DIR = join(ROOT, 'node_modules', '.cache', `testing-doc-snippets-${process.pid}`);
const ENTRY_POINTS: Record<string, string> = {
  'saga-choreography': 'lib/core/index.ts',
  'saga-choreography/runtime': 'lib/runtime/index.ts',
  'saga-choreography/local': 'lib/local/index.ts',
  'saga-choreography/testing': 'lib/testing/index.ts',
  'saga-choreography/constructs': 'lib/constructs/index.ts',
};

function docSnippets(markdown: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const match of markdown.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const line = markdown.slice(0, match.index).split('\n').length;
    const head = /^\/\/ ([\w./-]+\.ts)( \(continued\))?\n/.exec(match[1]!);
    if (!head) throw new Error(`docs/testing.md line ${line}: a \`\`\`ts block must start with "// <file>.ts".`);
    const [, path, continued] = head;
    if (continued ? !files.has(path!) : files.has(path!)) throw new Error(`docs/testing.md line ${line}: ${path} ${continued ? 'continues a file not started' : 'appears twice (mark a continuation "(continued)")'}.`);
    files.set(path!, `${files.get(path!) ?? ''}${match[1]!}`);
  }
  return files;
}

const docs = docSnippets(readFileSync(join(ROOT, 'docs/testing.md'), 'utf8'));
// The README's saga and participants (src/*), with the doc's own app module.
const project = new Map<string, string>();
for (const s of readmeSnippets(readFileSync(join(ROOT, 'README.md'), 'utf8')) as { path: string; code: string }[]) if (s.path.startsWith('src/')) project.set(s.path, s.code);
for (const [path, code] of docs) project.set(path, code);

const write = (dir: string, files: Map<string, string>) => {
  for (const [path, code] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), code);
  }
};

afterAll(() => rmSync(DIR, { recursive: true, force: true }));

/** A stand-in for vitest inside a snippet: collects its cases and hooks, run by the test below. */
const SHIM = `export { expect } from 'vitest';
const files = new Map();
let current = '';
export const beginFile = (name) => { current = name; files.set(name, { cases: [], after: [] }); };
export const casesOf = (name) => files.get(name);
export const it = (name, fn) => files.get(current).cases.push({ name, fn });
export const afterEach = (fn) => files.get(current).after.push(fn);
`;

describe('docs/testing.md snippets (a consumer project)', () => {
  it('use only the package’s public entry points and name their files', () => {
    expect([...docs.keys()]).toEqual(expect.arrayContaining(['src/app.ts', 'test/transfer.test.ts', 'test/operator.test.ts']));
    for (const [path, code] of docs) {
      for (const m of code.matchAll(/from '([^']+)'/g)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) expect(spec, `${path} imports ${spec}`).not.toMatch(/\/(lib|functions)\//);
        else if (spec.startsWith('saga-choreography')) expect(Object.keys(ENTRY_POINTS), `${path} imports ${spec}`).toContain(spec);
      }
    }
  });

  it('compile with strict tsc', () => {
    write(DIR, project);
    const paths = Object.fromEntries(Object.entries(ENTRY_POINTS).map(([spec, file]) => [spec, [join(ROOT, file)]]));
    writeFileSync(
      join(DIR, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', skipLibCheck: true, types: ['node'], paths, noUnusedLocals: true },
        include: [...project.keys()],
      }),
    );
    let output = '';
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(DIR, 'tsconfig.json')], { encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    // Errors in the library itself are not the snippets' (other tests catch them).
    expect(output.split('\n').filter((l) => l.trim() !== '' && !l.startsWith(join(ROOT, 'lib')) && !l.startsWith('lib/') && !l.startsWith('../'))).toEqual([]);
  }, 120_000);

  const testFiles = [...docs.keys()].filter((p) => p.endsWith('.test.ts'));
  for (const file of testFiles) {
    it(`${file} passes`, async () => {
      const runnable = join(DIR, 'runnable');
      const shim = join(runnable, 'vitest-shim.mjs');
      const rewritten = new Map([...project].map(([path, code]) => [
        path,
        code
          .replace(/from '(saga-choreography(?:\/\w+)?)'/g, (_, spec: string) => `from '${join(ROOT, ENTRY_POINTS[spec]!)}'`)
          .replace(/from 'vitest'/g, `from '${shim}'`),
      ]));
      write(runnable, rewritten);
      writeFileSync(shim, SHIM);
      const harness = (await import(pathToFileURL(shim).href)) as {
        beginFile(name: string): void;
        casesOf(name: string): { cases: { name: string; fn: () => Promise<void> }[]; after: (() => Promise<void>)[] };
      };
      harness.beginFile(file);
      await import(pathToFileURL(join(runnable, file)).href);
      const { cases, after } = harness.casesOf(file);
      expect(cases.length).toBeGreaterThan(0);
      for (const c of cases) {
        try {
          await c.fn();
        } catch (error) {
          throw new Error(`${file} › ${c.name}: ${(error as Error).message}`, { cause: error });
        } finally {
          for (const hook of after) await hook();
        }
      }
    }, 120_000);
  }
});
