import { resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** Source files and packages in a participant entry's bundle, bundled as the constructs bundle it. */
async function bundleInputs(entry: string): Promise<{ files: string[]; packages: Set<string> }> {
  const result = await build({
    entryPoints: [resolve(ROOT, entry)],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    external: ['@aws-sdk/*'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.entries(Object.values(result.metafile.outputs)[0]!.inputs)
    .filter(([, info]) => info.bytesInOutput > 0)
    .map(([path]) => path);
  const packages = new Set(inputs.map((p) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p)?.[1]).filter((p): p is string => p !== undefined));
  return { files: inputs.filter((p) => !p.includes('node_modules/')), packages };
}

// What keeps a participant bundle small is structural: these guard it (bench scenario 5 measures it).
describe('participant bundles carry only what the participant uses', () => {
  it('a participant without TCC steps bundles no TCC phase code and no schema library of the framework', async () => {
    const { files, packages } = await bundleInputs('functions/order/order.ts');
    expect(files).toContain('lib/runtime/participant/step-runner.ts');
    expect(files).not.toContain('lib/runtime/participant/tcc.ts');
    // The reference definition uses valibot; zod would only come from the framework's own schemas.
    expect([...packages]).not.toContain('zod');
    expect([...packages]).toContain('valibot');
  });

  it('a participant with TCC steps bundles the TCC phases through createTccParticipantHandler', async () => {
    const { files } = await bundleInputs('functions/order/points.ts');
    expect(files).toContain('lib/runtime/participant/tcc.ts');
  });
});
