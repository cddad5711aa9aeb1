import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { bundlingRoot } from '../../lib/constructs/bundling-root.js';
import { definitionModulePath, frameworkEntryFile } from '../../lib/constructs/framework-entries.js';
import { transferSaga } from '../fixtures/apps/transfer/saga.js';
import { testApp } from './support.js';

/** A project directory with the given files (path → content). */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'saga-project-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

describe('bundling a consumer’s functions: the project is found from the entry, whatever its lock file', () => {
  it.each([
    ['pnpm', 'pnpm-lock.yaml'],
    ['yarn', 'yarn.lock'],
    ['npm', 'package-lock.json'],
    ['bun', 'bun.lock'],
  ])('uses a %s lock file above the entry', (_pm, lock) => {
    const dir = project({ 'package.json': '{}', [lock]: '', 'src/handlers/pay.ts': '' });
    expect(bundlingRoot(join(dir, 'src/handlers/pay.ts'))).toEqual({ projectRoot: dir, depsLockFilePath: join(dir, lock) });
  });

  it('uses the nearest package.json when the project has no lock file, and a monorepo root lock over it', () => {
    const bare = project({ 'package.json': '{}', 'src/pay.ts': '' });
    expect(bundlingRoot(join(bare, 'src/pay.ts'))).toEqual({ projectRoot: bare, depsLockFilePath: join(bare, 'package.json') });
    const mono = project({ 'package.json': '{}', 'pnpm-lock.yaml': '', 'packages/app/package.json': '{}', 'packages/app/src/pay.ts': '' });
    expect(bundlingRoot(join(mono, 'packages/app/src/pay.ts'))).toEqual({ projectRoot: mono, depsLockFilePath: join(mono, 'pnpm-lock.yaml') });
  });
});

describe('the framework’s functions are generated for the consumer’s definition', () => {
  it('finds the module that made the definition, and writes an entry calling the package runtime with it (never the reference saga)', () => {
    const stack = new Stack(testApp(), 'S');
    const modulePath = definitionModulePath(stack, transferSaga);
    expect(modulePath).toMatch(/test\/fixtures\/apps\/transfer\/saga\.ts$/);
    const entry = frameworkEntryFile(stack, transferSaga, 'relay', modulePath);
    const source = readFileSync(entry, 'utf8');
    expect(source).toContain('relayHandlerFor');
    expect(source).toContain('import { transferSaga } from');
    expect(source).toContain('"transfer"');
    expect(source).not.toMatch(/functions\/order|orderSaga/);
    // The same content gives the same file (and asset hash) on every synth.
    expect(frameworkEntryFile(stack, transferSaga, 'relay', modulePath)).toBe(entry);
  });

  it('says what to pass when the definition module cannot be found', () => {
    const stack = new Stack(testApp(), 'S');
    expect(() => definitionModulePath(stack, transferSaga, 'src/nowhere.ts')).toThrow(/definitionModule "src\/nowhere.ts" does not exist/);
  });
});
