import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf, tsFiles } from './import-graph.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Which folders (and packages) each layer may import — DESIGN.md §3, docs/architecture.md. */
const ALLOWED: Record<string, { layers: string[]; forbiddenPackages: RegExp[] }> = {
  // No schema library in lib/core: its event schemas are in every participant bundle (lib/core/schema.ts says why).
  'lib/core': { layers: ['lib/core'], forbiddenPackages: [/^@aws-sdk\//, /^aws-cdk-lib/, /^constructs$/, /^aws-lambda$/, /^zod/, /^valibot/] },
  'lib/runtime': { layers: ['lib/core', 'lib/runtime'], forbiddenPackages: [/^aws-cdk-lib/, /^constructs$/] },
  'lib/local': { layers: ['lib/core', 'lib/runtime', 'lib/local', 'lib/local/dynamodb'], forbiddenPackages: [/^aws-cdk-lib/, /^constructs$/] },
  // The DynamoDB engine stands alone: no framework code, so it can be held to moto on its own.
  'lib/local/dynamodb': { layers: ['lib/local/dynamodb'], forbiddenPackages: [/^aws-cdk-lib/, /^constructs$/, /^zod/, /^@standard-schema/] },
  'lib/constructs': { layers: ['lib/core', 'lib/constructs'], forbiddenPackages: [/^@aws-sdk\//] },
  // Test helpers for a user's own saga (saga-choreography/testing): over the local cloud, below the CLI.
  'lib/testing': { layers: ['lib/core', 'lib/runtime', 'lib/local', 'lib/local/dynamodb', 'lib/testing'], forbiddenPackages: [/^aws-cdk-lib/, /^constructs$/] },
  'lib/cli': { layers: ['lib/core', 'lib/runtime', 'lib/local', 'lib/local/dynamodb', 'lib/testing', 'lib/constructs', 'lib/cli', 'functions'], forbiddenPackages: [] },
  functions: { layers: ['lib/core', 'lib/runtime', 'functions'], forbiddenPackages: [/^aws-cdk-lib/, /^constructs$/] },
};

function layerOf(file: string): string | undefined {
  // The most specific layer wins (lib/local/dynamodb inside lib/local).
  return Object.keys(ALLOWED)
    .filter((layer) => file === layer || file.startsWith(`${layer}/`))
    .sort((a, b) => b.length - a.length)[0];
}

function violations(): string[] {
  const out: string[] = [];
  for (const layer of Object.keys(ALLOWED)) {
    for (const file of tsFiles(ROOT, layer)) {
      if (layerOf(file) !== layer) continue; // checked under its own, more specific layer
      for (const spec of importsOf(readFileSync(join(ROOT, file), 'utf8'))) {
        const rule = ALLOWED[layer]!;
        if (spec.startsWith('.')) {
          const target = relative(ROOT, resolve(ROOT, dirname(file), spec));
          const targetLayer = layerOf(target);
          if (targetLayer && !rule.layers.includes(targetLayer)) out.push(`${file} imports ${spec} (${targetLayer}); ${layer} may import only ${rule.layers.join(', ')}`);
        } else if (rule.forbiddenPackages.some((re) => re.test(spec))) {
          out.push(`${file} imports package ${spec}, which ${layer} must not use`);
        }
      }
    }
  }
  return out;
}

describe('folder contract (import direction)', () => {
  it('every import follows the layer arrows', () => {
    expect(violations()).toEqual([]);
  });

  it('detects a wrong arrow (the checker can fail)', () => {
    expect(importsOf(`import { x } from '../runtime/relay.js';\nexport * from "./a.js";\nconst m = await import('aws-cdk-lib');`)).toEqual(['../runtime/relay.js', './a.js', 'aws-cdk-lib']);
    const rule = ALLOWED['lib/constructs']!;
    expect(rule.layers.includes(layerOf('lib/runtime/relay/relay.ts')!)).toBe(false);
    // the engine is its own layer: it may not reach back into the local cloud
    expect(layerOf('lib/local/dynamodb/engine.ts')).toBe('lib/local/dynamodb');
    expect(ALLOWED['lib/local/dynamodb']!.layers.includes(layerOf('lib/local/cloud.ts')!)).toBe(false);
    // the test helpers sit between the local cloud and the CLI: never the other way round
    expect(layerOf('lib/testing/index.ts')).toBe('lib/testing');
    expect(ALLOWED['lib/local']!.layers.includes('lib/testing')).toBe(false);
    expect(ALLOWED['lib/runtime']!.layers.includes('lib/testing')).toBe(false);
  });
});
