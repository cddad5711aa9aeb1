#!/usr/bin/env node
// Entry of the `saga` command.
//
// Installed from the package, it runs the compiled CLI (dist/lib/cli/main.js) with plain node: the
// tarball ships dist/ and no TypeScript sources. In a checkout of the repository the sources are
// here, so it runs them through tsx (a devDependency) instead: `npm start` and `npx saga` then
// never run a stale dist/ left by an earlier `npm run build`.
import { existsSync } from 'node:fs';

// Node 20 is supported locally; the SDK's notice about future Node versions is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// `saga run | head` closes our stdout early: stop quietly.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const sources = new URL('../lib/cli/main.ts', import.meta.url);
let main;
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(sources.href));
} else {
  ({ main } = await import(new URL('../dist/lib/cli/main.js', import.meta.url).href));
}
process.exitCode = await main(process.argv.slice(2));
