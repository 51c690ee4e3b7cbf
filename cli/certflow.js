#!/usr/bin/env node
// The `certflow` command: runs the TypeScript CLI through tsx, from wherever it is called.
// AWS SDK releases of early 2027 warn on Node 20 at every call; certflow supports it (see package.json engines).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs/api').register();
const { runCli } = require('./certflow-cli.ts');

// The first Ctrl-C asks the command to stop (a migration stops its workflow first); a second one ends it at once.
const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(130);
  interrupt.abort();
});

runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  interrupt: interrupt.signal,
  stderrIsTerminal: process.stderr.isTTY === true,
}).then((code) => {
  process.exitCode = code;
  // An interrupted command may leave requests in flight; nothing is waited for.
  if (code === 130) process.stdout.write('', () => process.exit(code));
});
