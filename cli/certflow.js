#!/usr/bin/env node
// The `certflow` command: runs the TypeScript CLI through tsx, from wherever it is called.
// AWS SDK releases of early 2027 warn on Node 20 at every call; certflow supports it (see package.json engines).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs/api').register();
const { runCli } = require('./certflow-cli.ts');

runCli(process.argv.slice(2)).then(
  (result) => {
    console.log(typeof result === 'string' ? result : JSON.stringify(result, null, 2));
  },
  (error) => {
    console.error(`certflow: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = error && (error.name === 'CliUsageError' || error.name === 'ValidationError') ? 2 : 1;
  },
);
