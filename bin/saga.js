#!/usr/bin/env node
// Entry of the `saga` command. The CLI is TypeScript; tsx loads it without a build step.
// Node 20 is supported locally; the SDK's notice about future Node versions is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// `saga run | head` closes our stdout early: stop quietly (the exit hook stops DynamoDB Local).
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../lib/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
