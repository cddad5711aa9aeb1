import { defineConfig } from 'vitest/config';

/**
 * Three tiers (`npm test` runs all; `npm run test:unit` the fast one):
 * - unit: pure code — definitions, verifier, patterns, the engine's values and expressions, the
 *   local bus/queues/clock, bench arithmetic, the folder contract. Seconds.
 * - integration: everything on the in-process DynamoDB engine (runtime, local cloud, CLI), the
 *   DynamoDB conformance suite (engine in-process, over HTTP, moto), CDK synthesis.
 * - simulation: seeded fault-injection runs and exhaustive/property-based barrier checks.
 */
const SIMULATION = ['test/local/simulation.test.ts', 'test/runtime/barrier-exhaustive.test.ts', 'test/runtime/barrier-properties.test.ts', 'test/runtime/reconciler/scale.test.ts'];
const UNIT = [
  'test/core/**/*.test.ts',
  'test/architecture/**/*.test.ts',
  'test/bench/**/*.test.ts',
  'test/local/pattern/**/*.test.ts',
  'test/local/bus.test.ts',
  'test/local/queue.test.ts',
  'test/local/clock.test.ts',
  'test/local/random.test.ts',
  'test/local/interleaver.test.ts',
  'test/local/dynamodb/values.test.ts',
  'test/local/dynamodb/engine/**/*.test.ts',
  'test/cli/progress.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...UNIT, ...SIMULATION, '**/node_modules/**'],
          globalSetup: ['test/support/moto-global-setup.ts'],
        },
      },
      { extends: true, test: { name: 'simulation', include: SIMULATION } },
    ],
  },
});
