import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import type { BenchContext } from '../lib/context.js';
import { figure, type Figure, type ScenarioResult } from '../lib/report.js';
import { median, round } from '../lib/stats.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(ROOT, 'bench', '.cache', 'bundles');

/** What the constructs' NodejsFunction bundling does (lib/constructs/function.ts), minus the source map. */
const ESM_REQUIRE_BANNER = "import { createRequire as __sagaCreateRequire } from 'node:module'; const require = __sagaCreateRequire(import.meta.url);";

/** Why a participant loads an SDK client the Powertools baseline does not (cold-start note). */
const SDK_USE: Readonly<Record<string, string>> = {
  '@aws-sdk/client-sqs': 'for the retry-later backoff (ChangeMessageVisibility on the record it hands back)',
};

/** Powertools observability utilities measured alone: bundle name → fixture. */
const OBSERVABILITY: readonly (readonly [string, string])[] = [
  ['powertools-logger', 'powertools-logger-handler.ts'],
  ['powertools-metrics', 'powertools-metrics-handler.ts'],
  ['powertools-tracer', 'powertools-tracer-handler.ts'],
];

/** Bytes of a bundle that come from Powertools: its packages and the invoke store they bring. */
const powertoolsBytes = (b: { composition: Record<string, number> }) =>
  Object.entries(b.composition).reduce((sum, [origin, bytes]) => (origin.startsWith('@aws-lambda-powertools/') || origin === '@aws/lambda-invoke-store' ? sum + bytes : sum), 0);

/** Schema libraries an application may bring for its event schemas (the framework's own use none). */
const SCHEMA_LIBRARIES = ['zod', 'valibot'];
const schemaLibraryBytes = (b: { composition: Record<string, number> }) => SCHEMA_LIBRARIES.reduce((sum, lib) => sum + (b.composition[lib] ?? 0), 0);
/** Bytes of a bundle that are the framework's own code (lib/core, lib/runtime). */
const frameworkBytes = (b: { composition: Record<string, number> }) => (b.composition['lib/core'] ?? 0) + (b.composition['lib/runtime'] ?? 0);

/** The reference definition alone, in the schema library it uses and in zod/mini (the same constraints). */
const DEFINITIONS: readonly (readonly [string, string])[] = [
  ['definition-valibot', join('functions', 'order', 'definition.ts')],
  ['definition-zod-mini', join('bench', 'fixtures', 'order-definition-zod-mini.ts')],
];

/** Participant entries of the reference app (each gets the ≤ 50 KB target), then the framework's. */
const PARTICIPANTS = ['inventory', 'order', 'payment', 'points'];
const FRAMEWORK = ['relay', 'tracker', 'reconciler'];

interface Bundle {
  readonly name: string;
  /** `definition`: a definition module bundled alone, for its size (not timed). */
  readonly kind: 'participant' | 'framework' | 'baseline' | 'definition';
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Bytes in the output per origin: a package, or a project folder. */
  readonly composition: Record<string, number>;
  /** External modules the bundle imports (AWS SDK packages, provided by the Lambda runtime). */
  readonly externals: string[];
}

function origin(path: string): string {
  const nm = path.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const parts = path.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const rel = relative(ROOT, path.replace(/^[^/]*:/, ''));
  return rel.split('/').slice(0, rel.startsWith('lib/') ? 2 : 1).join('/');
}

async function bundle(name: string, kind: Bundle['kind'], entry: string): Promise<Bundle> {
  const file = join(OUT, `${name}.mjs`);
  const result = await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    external: ['@aws-sdk/*'],
    metafile: true,
    logLevel: 'silent',
  });
  const meta: Metafile = result.metafile;
  const output = Object.values(meta.outputs)[0]!;
  const composition: Record<string, number> = {};
  for (const [path, info] of Object.entries(output.inputs)) composition[origin(path)] = (composition[origin(path)] ?? 0) + info.bytesInOutput;
  const code = readFileSync(file);
  return {
    name,
    kind,
    file,
    bytes: code.byteLength,
    gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    composition,
    externals: [...new Set(output.imports.filter((i) => i.external && i.path.startsWith('@aws-sdk/')).map((i) => i.path))].sort(),
  };
}

/** Module init time of one bundle in a fresh `node`: time to `import()` it, measured inside the child. */
function initTime(file: string): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } }, (error, stdout) => {
      if (error) return reject(new Error(`Importing ${relative(ROOT, file)} in a fresh node failed: ${error.message}`));
      const ms = Number(stdout.trim());
      if (!Number.isFinite(ms)) return reject(new Error(`Importing ${relative(ROOT, file)} printed ${JSON.stringify(stdout)}`));
      resolve(ms);
    });
  });
}

const kb = (bytes: number) => round(bytes / 1024, 1);

/**
 * Scenario 5: bundle each participant entry and the framework's functions as the constructs do,
 * report sizes and what they are made of, and time module init in fresh Node processes against an
 * empty handler, an "SDK only" bundle importing the same AWS SDK packages, and a Powertools
 * idempotency handler bundled the same way.
 */
export async function coldStart(ctx: BenchContext): Promise<ScenarioResult> {
  const started = performance.now();
  mkdirSync(OUT, { recursive: true });
  const bundles: Bundle[] = [];
  for (const p of PARTICIPANTS) {
    const entry = join(ROOT, 'functions', 'order', `${p}.ts`);
    if (existsSync(entry)) bundles.push(await bundle(p, 'participant', entry));
  }
  for (const f of FRAMEWORK) {
    const entry = join(ROOT, 'functions', `${f}.ts`);
    if (existsSync(entry)) bundles.push(await bundle(f, 'framework', entry));
  }
  const powertools = await bundle('powertools-idempotency', 'baseline', join(ROOT, 'bench', 'fixtures', 'powertools-order-handler.ts'));
  // What each Powertools observability utility costs on its own (the participants bundle Metrics only).
  const utilities: Bundle[] = [];
  for (const [name, fixture] of OBSERVABILITY) utilities.push(await bundle(name, 'baseline', join(ROOT, 'bench', 'fixtures', fixture)));
  const definitions: Bundle[] = [];
  for (const [name, file] of DEFINITIONS) definitions.push(await bundle(name, 'definition', join(ROOT, file)));
  const empty = await bundle('empty', 'baseline', join(ROOT, 'bench', 'fixtures', 'empty-handler.ts'));
  // "SDK only": the same AWS SDK packages our participant bundles import, and nothing else.
  const sdkModules = [...new Set(bundles.filter((b) => b.kind === 'participant').flatMap((b) => b.externals))];
  const sdkEntry = join(OUT, 'sdk-only-entry.mjs');
  writeFileSync(sdkEntry, `${sdkModules.map((m) => `import ${JSON.stringify(m)};`).join('\n')}\nexport const handler = async () => ({});\n`);
  const sdkOnly = await bundle('sdk-only', 'baseline', sdkEntry);
  const all = [...bundles, powertools, ...utilities, ...definitions, sdkOnly, empty];
  // Init is timed for what has a target and its comparisons; tracker, reconciler and definitions get sizes only.
  const timedBundles = all.filter((b) => (b.kind !== 'framework' || b.name === 'relay') && b.kind !== 'definition');
  ctx.progress(`  bundled ${all.length}: ${all.map((b) => `${b.name} ${kb(b.bytes)} KB`).join(', ')}`);

  const runs = ctx.quick ? 7 : 15;
  const times = new Map<string, number[]>(timedBundles.map((b) => [b.name, []]));
  const timingStart = performance.now();
  const budgetMs = ctx.quick ? 30_000 : 75_000;
  let done = 0;
  for (let i = 0; i < runs + 1; i++) {
    if (i > 5 && performance.now() - timingStart > budgetMs) break;
    // Round-robin, so load on the machine hits every bundle alike; the first round warms the disk cache.
    for (const b of timedBundles) {
      const ms = await initTime(b.file);
      if (i > 0) times.get(b.name)!.push(ms);
    }
    done = i;
    if (i > 0 && i % 5 === 0) ctx.progress(`  init timing: ${i}/${runs} rounds`);
  }
  const init = (name: string) => median(times.get(name)!);
  const measuredRuns = done;
  const emptyMs = init('empty');
  const sdkMs = init('sdk-only');
  const figures: Figure[] = [];
  for (const b of bundles) {
    figures.push(figure(`s5.size.${b.name}`, `${b.name} bundle size (minified; gzip ${kb(b.gzipBytes)} KB)`, kb(b.bytes), { unit: 'KB', ...(b.kind === 'participant' || b.name === 'relay' ? { target: { op: '<=' as const, value: 50 } } : {}) }));
  }
  figures.push(figure('s5.size.powertools', 'Powertools-idempotency handler bundle size', kb(powertools.bytes), { unit: 'KB' }));
  for (const b of bundles.filter((x) => times.has(x.name))) {
    figures.push(figure(`s5.init.${b.name}`, `${b.name} init above empty handler (median of ${measuredRuns})`, round(init(b.name) - emptyMs, 1), { unit: 'ms', ...(b.kind === 'participant' || b.name === 'relay' ? { target: { op: '<=' as const, value: 20 } } : {}) }));
  }
  figures.push(figure('s5.init.powertools', 'Powertools-idempotency handler init above empty', round(init(powertools.name) - emptyMs, 1), { unit: 'ms' }));
  for (const u of utilities) {
    const key = u.name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    figures.push(figure(`s5.size.${key}`, `${u.name} alone: bundle size (minified; gzip ${kb(u.gzipBytes)} KB)`, kb(u.bytes), { unit: 'KB' }));
    figures.push(figure(`s5.init.${key}`, `${u.name} alone: init above empty`, round(init(u.name) - emptyMs, 1), { unit: 'ms' }));
  }
  figures.push(figure('s5.size.order.powertoolsShare', `Powertools (metrics, commons, invoke store) inside the ${bundles.find((b) => b.name === 'order')?.name ?? 'order'} bundle`, kb(powertoolsBytes(bundles.find((b) => b.name === 'order') ?? bundles[0]!)), { unit: 'KB' }));
  figures.push(figure('s5.init.sdkOnly', 'AWS SDK packages alone (same imports) above empty', round(sdkMs - emptyMs, 1), { unit: 'ms' }));
  const order = bundles.find((b) => b.name === 'order') ?? bundles[0]!;
  figures.push(figure('s5.size.order.frameworkShare', `Framework code (lib/core, lib/runtime) inside the ${order.name} bundle`, kb(frameworkBytes(order)), { unit: 'KB' }));
  figures.push(figure('s5.size.order.schemaShare', `Schema library (${SCHEMA_LIBRARIES.join(', ')}) inside the ${order.name} bundle`, kb(schemaLibraryBytes(order)), { unit: 'KB' }));
  for (const d of definitions) {
    const key = d.name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    figures.push(figure(`s5.size.${key}`, `reference definition alone, ${d.name.replace('definition-', '')}: its schema library's bytes (bundle ${kb(d.bytes)} KB)`, kb(schemaLibraryBytes(d)), { unit: 'KB' }));
  }
  const top = (b: Bundle) =>
    Object.entries(b.composition)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 5)
      .map(([k, v]) => `${k} ${kb(v)} KB`)
      .join(', ');
  const extraSdk = sdkModules.filter((m) => !powertools.externals.includes(m));
  const missedSize = bundles.filter((b) => (b.kind === 'participant' || b.name === 'relay') && b.bytes / 1024 > 50);
  return {
    id: '5',
    title: 'Cold start: bundle size and module init',
    seconds: (performance.now() - started) / 1000,
    figures,
    notes: [
      'Bundled with esbuild as the constructs bundle (bundle, minify, platform node, ESM, the createRequire banner, @aws-sdk/* external because the Lambda runtime provides it); target node20 here (the constructs say node24: same code for these sources). Sizes are of the .mjs without source map; gzip shows roughly what the deployment zip carries.',
      `What the ${order.name} bundle is made of: ${top(order)}. Per participant — framework (lib/core, lib/runtime) / Powertools / schema library / the app's own code: ${bundles
        .filter((b) => b.kind === 'participant')
        .map((b) => `${b.name} ${kb(frameworkBytes(b))} / ${kb(powertoolsBytes(b))} / ${kb(schemaLibraryBytes(b))} / ${kb(b.composition.functions ?? 0)} KB`)
        .join(', ')}. The framework validates its own events (envelope, EventBridge event, SagaTimedOut, ReservationExpired) with lib/core/schema.ts, so the schema library in a bundle is the application's. The package is marked side-effect free, so a participant bundle does not carry the relay, tracker, reconciler or notifier.`,
      `The reference definition alone (${definitions.map((d) => `${d.name}: ${d.name.endsWith('zod-mini') ? 'bench/fixtures/order-definition-zod-mini.ts' : 'functions/order/definition.ts'}`).join(', ')}; the same constraints): ${definitions.map((d) => `${d.name.replace('definition-', '')} ${kb(schemaLibraryBytes(d))} KB of schema library, ${kb(d.bytes)} KB bundled`).join('; ')}. A participant pays that difference in full (nothing else in it uses a schema library).`,
      missedSize.length
        ? `Size target (≤ 50 KB) missed by ${missedSize.map((b) => `${b.name} +${kb(b.bytes - 50 * 1024)} KB`).join(', ')}. Powertools Metrics (${kb(powertoolsBytes(order))} KB, required for EMF) is ${Math.round((100 * powertoolsBytes(order)) / order.bytes)} % of the ${order.name} bundle; the framework's own code (${kb(frameworkBytes(order))} KB) is the rest that could shrink: docs/performance.md §5 says what is in it.`
        : 'Every participant bundle and the relay are within 50 KB.',
      `Init is the median time to import() the bundle in a fresh node (${measuredRuns} runs each, round-robin over the bundles, measured inside the child with performance.now()). Empty handler ${round(emptyMs, 1)} ms; the AWS SDK packages our participants import, alone, ${round(sdkMs - emptyMs, 1)} ms above it (${sdkModules.join(', ')}): that part is paid by any handler that talks to DynamoDB${extraSdk.length ? `; the Powertools handler imports all of them except ${extraSdk.join(', ')}` : ' — the Powertools handler imports the same ones'}. Ours above the SDK-only bundle: ${bundles.filter((b) => times.has(b.name)).map((b) => `${b.name} ${round(init(b.name) - sdkMs, 1)} ms`).join(', ')}.`,
      `Powertools-idempotency handler (bench/fixtures/powertools-order-handler.ts: the same order step, validated with the same schemas, Powertools + DynamoDB persistence + EventBridge client), bundled the same way: ${kb(powertools.bytes)} KB, init ${round(init(powertools.name) - emptyMs, 1)} ms above empty. Its composition: ${top(powertools)}.`,
      'Both kinds of handler create their AWS clients on first invocation, not at import, so client construction is outside these figures for both.',
      `Observability (bench/fixtures/powertools-{logger,metrics,tracer}-handler.ts, each utility alone, bundled the same way): ${utilities.map((u) => `${u.name} ${kb(u.bytes)} KB, init ${round(init(u.name) - emptyMs, 1)} ms above empty`).join('; ')}. The participants carry Powertools Metrics (${kb(powertoolsBytes(order))} KB of the ${order.name} bundle: @aws-lambda-powertools/metrics, commons and @aws/lambda-invoke-store) for their EMF lines; they log with the framework's JSON logger (lib/runtime/shared/logging.ts, the same fields on every line) instead of Powertools Logger, and carry the X-Ray trace header through the outbox instead of bundling Powertools Tracer (aws-xray-sdk-core): docs/architecture.md "Observability" says why.`,
      ...(extraSdk.length
        ? [`Our participant bundles also import SDK clients the Powertools handler does not: ${extraSdk.map((m) => `${m}, ${SDK_USE[m] ?? 'with no known use in a participant (find the import that pulls it in)'}`).join('; ')}.`]
        : []),
    ],
    details: {
      runs: measuredRuns,
      bundles: all.map((b) => ({ name: b.name, kind: b.kind, bytes: b.bytes, gzipBytes: b.gzipBytes, externals: b.externals, composition: b.composition, ...(times.has(b.name) ? { initMs: times.get(b.name) } : {}) })),
    },
  };
}
