import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cyclesOf, importsOf, tsFiles } from './import-graph.js';

const ROOT = resolve(import.meta.dirname, '../..');
const RUNTIME = 'lib/runtime';

/** One folder per Lambda seam, plus the pieces they share and the operator actions (docs/architecture.md). */
const SEAMS = ['participant', 'initiator', 'relay', 'tracker', 'reconciler', 'notifier', 'outcome-api', 'operator'];
const SHARED = 'shared';
/** The only files directly in lib/runtime: the package entry and the framework functions' entries. */
const TOP_LEVEL = ['entries.ts', 'index.ts'];

/** Repository-relative target of a relative specifier, as the .ts file it names. */
function targetOf(file: string, spec: string): string {
  return relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, '.ts');
}

/** The folder of a lib/runtime file (`(top)` for a file directly in lib/runtime). */
function folderOf(file: string): string {
  const rest = file.slice(RUNTIME.length + 1);
  return rest.includes('/') ? rest.split('/')[0]! : '(top)';
}

/** What one import from `file` to `target` (both in lib/runtime) breaks, if anything. */
export function seamRuleBroken(file: string, target: string): string | undefined {
  const from = folderOf(file);
  const to = folderOf(target);
  if (from === to) return undefined;
  if (from === '(top)') return target === `${RUNTIME}/${to}/index.ts` || to === SHARED ? undefined : `${file} reaches into ${target}; import ${RUNTIME}/${to}/index.ts`;
  if (to === '(top)') return `${file} imports back up into ${target}`;
  if (from === SHARED) return `${file} (shared) imports the seam file ${target}; shared pieces depend on no seam`;
  if (to === SHARED) return undefined;
  return target === `${RUNTIME}/${to}/index.ts` ? undefined : `${file} reaches into ${target}; another seam is imported through its index.ts`;
}

function runtimeGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(ROOT, RUNTIME)) {
    const targets = importsOf(readFileSync(join(ROOT, file), 'utf8'))
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => targetOf(file, spec))
      .filter((t) => t.startsWith(`${RUNTIME}/`));
    graph.set(file, targets);
  }
  return graph;
}

describe('lib/runtime: one folder per Lambda seam', () => {
  it('holds only the seam folders, the shared pieces and the two entry files', () => {
    const entries = readdirSync(join(ROOT, RUNTIME));
    const folders = entries.filter((e) => statSync(join(ROOT, RUNTIME, e)).isDirectory()).sort();
    expect(folders).toEqual([...SEAMS, SHARED].sort());
    expect(entries.filter((e) => !folders.includes(e)).sort()).toEqual(TOP_LEVEL);
  });

  it('gives every folder an index.ts that names its exports (no export * of a module)', () => {
    for (const folder of [...SEAMS, SHARED]) {
      const index = join(ROOT, RUNTIME, folder, 'index.ts');
      expect(existsSync(index), `${folder}/index.ts`).toBe(true);
      expect(readFileSync(index, 'utf8'), `${folder}/index.ts`).not.toMatch(/export\s*\*/);
    }
  });

  it('imports another seam only through its index.ts, never back up, and shared pieces import no seam', () => {
    const broken: string[] = [];
    for (const [file, targets] of runtimeGraph()) for (const target of targets) {
      const problem = seamRuleBroken(file, target);
      if (problem) broken.push(problem);
    }
    expect(broken).toEqual([]);
  });

  it('has no import cycle between its files (type-only imports included)', () => {
    expect(cyclesOf(runtimeGraph())).toEqual([]);
  });

  it('is imported from the other layers only through an index.ts (public names)', () => {
    const deep: string[] = [];
    for (const layer of ['lib/core', 'lib/local', 'lib/testing', 'lib/constructs', 'lib/cli', 'functions']) {
      for (const file of tsFiles(ROOT, layer)) {
        for (const spec of importsOf(readFileSync(join(ROOT, file), 'utf8')).filter((s) => s.startsWith('.'))) {
          const target = targetOf(file, spec);
          if (target.startsWith(`${RUNTIME}/`) && !target.endsWith('/index.ts')) deep.push(`${file} imports ${target}`);
        }
      }
    }
    expect(deep).toEqual([]);
  });

  it('catches each kind of wrong import (the checker can fail)', () => {
    expect(seamRuleBroken('lib/runtime/relay/relay.ts', 'lib/runtime/participant/barrier.ts')).toMatch(/through its index/);
    expect(seamRuleBroken('lib/runtime/relay/relay.ts', 'lib/runtime/participant/index.ts')).toBeUndefined();
    expect(seamRuleBroken('lib/runtime/relay/relay.ts', 'lib/runtime/entries.ts')).toMatch(/back up/);
    expect(seamRuleBroken('lib/runtime/shared/outbox.ts', 'lib/runtime/participant/index.ts')).toMatch(/depend on no seam/);
    expect(seamRuleBroken('lib/runtime/tracker/tracker.ts', 'lib/runtime/shared/ports.ts')).toBeUndefined();
    expect(cyclesOf(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([['a', 'b', 'c']]);
    expect(cyclesOf(new Map([['a', ['b']], ['b', []]]))).toEqual([]);
  });
});
