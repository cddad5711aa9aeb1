import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferIO } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/main.js';
// @ts-expect-error -- a plain .mjs script (no types needed here)
import { readmeSnippets } from '../../scripts/readme-snippets.mjs';

const ROOT = resolve(import.meta.dirname, '../..');

describe('saga init', () => {
  it('scaffolds the README’s project: the saga, its participants, the app module, a test and the CDK app, with pinned tools', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'saga-init-')), 'my-shop');
    const io = bufferIO();
    expect(await main(['init', dir, '--package', join(ROOT, 'package.json')], io)).toBe(0);
    // every README snippet is a file of the scaffold, verbatim (the consumer check runs it from outside)
    for (const s of readmeSnippets(readFileSync(join(ROOT, 'README.md'), 'utf8')) as { path: string; code: string }[]) {
      expect(readFileSync(join(dir, s.path), 'utf8'), s.path).toBe(s.code);
    }
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string>; devDependencies: Record<string, string>; scripts: Record<string, string> };
    const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(pkg.name).toBe('my-shop');
    expect(pkg.dependencies['saga-choreography']).toBe(`file:${join(ROOT, 'package.json')}`);
    expect(pkg.devDependencies.vitest).toBe(own.devDependencies.vitest);
    expect(pkg.devDependencies['aws-cdk-lib']).toBe(own.devDependencies['aws-cdk-lib']);
    expect(pkg.scripts.simulate).toContain('saga simulate --app src/app.ts');
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toContain('node_modules/');
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('# my-shop');
    expect(io.stdout.join('\n')).toContain('npm install');
  });

  it('never overwrites: a non-empty directory is refused with exit code 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'saga-init-full-'));
    writeFileSync(join(dir, 'keep.txt'), 'mine');
    const io = bufferIO();
    expect(await main(['init', dir], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('not an empty directory');
    expect(readFileSync(join(dir, 'keep.txt'), 'utf8')).toBe('mine');
  });
});
