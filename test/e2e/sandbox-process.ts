/**
 * The whole sandbox in a process of its own, for tests that kill it: started on a data
 * folder (argv[2]) with launch settings as JSON (argv[3]: fixed ports, time scale, IoT
 * quotas and faults, schedules), from the E2E cloud assembly and context. Prints one line
 * `SANDBOX_READY <descriptor JSON>` once every endpoint listens and the executions on
 * disk have resumed; the functions' logs and the sandbox's own go to <dataDir>/../<name>.log.
 * It exits when its stdin closes, so it never outlives the test that started it.
 */
import { createWriteStream } from 'node:fs';
import * as path from 'node:path';
import type { SandboxDescriptor } from '../../cli/cli-target';
import { startSandbox } from '../../local/sandbox';
import { credentialsFor } from '../../local/sandbox-accounts';
import { E2E_ASSEMBLY, E2E_CONTEXT, E2E_TIME_SCALE } from './sandbox-fixture';
import { SANDBOX_READY, type SandboxLaunch } from './spawned-sandbox';

async function main(): Promise<void> {
  const [dataDir, launchJson] = process.argv.slice(2);
  if (!dataDir || !launchJson) throw new Error('usage: sandbox-process.ts <dataDir> <launch JSON>');
  const launch = JSON.parse(launchJson) as SandboxLaunch;
  const logStream = createWriteStream(path.join(path.dirname(dataDir), `${path.basename(dataDir)}.log`), { flags: 'a' });
  const log = (line: string): void => void logStream.write(`${new Date().toISOString()} [sandbox ${process.pid}] ${line}\n`);
  const sandbox = await startSandbox({
    ports: launch.ports,
    dataDir,
    assemblyDir: E2E_ASSEMBLY,
    context: E2E_CONTEXT,
    timeScale: launch.timeScale ?? E2E_TIME_SCALE,
    schedules: launch.schedules ?? true,
    iot: launch.iot,
    functionLogStream: logStream,
    log,
  });
  const stop = (): void => {
    sandbox.stop().finally(() => process.exit(0));
  };
  process.stdin.on('end', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  const descriptor: SandboxDescriptor = {
    region: sandbox.region,
    accounts: sandbox.accounts,
    credentials: { source: credentialsFor(sandbox.accounts.source), target: credentialsFor(sandbox.accounts.target) },
    endpoints: sandbox.endpoints,
    outputs: Object.fromEntries(Object.entries(sandbox.stacks).map(([name, stack]) => [name, stack.outputs])),
  };
  log('ready');
  process.stdout.write(`${SANDBOX_READY}${JSON.stringify(descriptor)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
