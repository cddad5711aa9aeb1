import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { REFERENCE_ENTRIES } from '../../bin/app.js';
import { PACKAGE_ROOT } from '../../lib/constructs/paths.js';

/**
 * Bundles every Lambda entry of the reference app the way the constructs do (esbuild, ESM, AWS
 * SDK external) and checks that no CDK code slipped in: an entry that imported lib/constructs (or
 * anything pulling aws-cdk-lib) would drag megabytes of construct code into every cold start.
 */
const sizes: string[] = [];
const CDK_INPUT = /node_modules\/(aws-cdk-lib|constructs|cdk-nag)\/|lib\/constructs\//;

async function bundle(entry: string) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    external: ['@aws-sdk/*'],
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  return result;
}

describe('Lambda bundles', () => {
  afterAll(() => {
    if (sizes.length > 0) console.log(`Lambda bundle sizes (minified, AWS SDK external):\n${sizes.join('\n')}`);
  });

  it.each(Object.entries(REFERENCE_ENTRIES))('%s: bundles without aws-cdk-lib or constructs', async (name, file) => {
    const entry = join(PACKAGE_ROOT, file);
    if (!existsSync(entry)) throw new Error(`${file} does not exist yet: it is the Lambda entry of "${name}" the reference stack deploys.`);
    const result = await bundle(entry);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((i) => CDK_INPUT.test(i))).toEqual([]);
    expect(inputs.some((i) => i.includes('@aws-sdk/'))).toBe(false);
    const bytes = result.outputFiles.reduce((n, f) => n + f.contents.byteLength, 0);
    const byPackage = new Map<string, number>();
    for (const [path, info] of Object.entries(result.metafile.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split('/').slice(0, 2).join('/');
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + info.bytes);
    }
    const top = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([p, b]) => `${p} ${(b / 1024).toFixed(0)} KiB`);
    sizes.push(`  ${name.padEnd(10)} ${(bytes / 1024).toFixed(1).padStart(7)} KiB  (${inputs.length} inputs; largest sources: ${top.join(', ')})`);
    expect(bytes).toBeLessThan(2 * 1024 * 1024);
    // Only the relay publishes: an SDK client a function never uses still costs its cold start.
    const externals = new Set(result.metafile.outputs[Object.keys(result.metafile.outputs)[0]!]!.imports.filter((i) => i.external).map((i) => i.path));
    expect(externals.has('@aws-sdk/client-eventbridge')).toBe(name === 'relay');
    // Only the notifier and the outcome API read secrets (Powertools Parameters and its client stay out of the others).
    expect(externals.has('@aws-sdk/client-secrets-manager'), name).toBe(name === 'notifier' || name === 'outcomeApi');
    const bundled = Object.entries(result.metafile.outputs[Object.keys(result.metafile.outputs)[0]!]!.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([path]) => path);
    expect(bundled.some((i) => i.includes('@aws-lambda-powertools/parameters')), name).toBe(name === 'notifier' || name === 'outcomeApi');
    // EMF through Powertools Metrics in every function that counts; Powertools Logger and Tracer (aws-xray-sdk-core) in none (docs/architecture.md, "Observability").
    expect(bundled.some((i) => i.includes('@aws-lambda-powertools/metrics')), name).toBe(name !== 'outcomeApi'); // the outcome API counts nothing
    expect(bundled.filter((i) => /aws-xray-sdk-core|@aws-lambda-powertools\/(logger|tracer)\//.test(i)), name).toEqual([]);
  });

  it('the check does catch construct code in a bundle (control)', async () => {
    const result = await bundle(fileURLToPath(new URL('./fixtures/imports-constructs.ts', import.meta.url)));
    expect(Object.keys(result.metafile.inputs).filter((i) => CDK_INPUT.test(i)).length).toBeGreaterThan(0);
  });
});
