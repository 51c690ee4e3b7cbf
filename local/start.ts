import { createWriteStream, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { ensureSynthesized, PROJECT_ROOT } from './cloudformation/cloud-assembly';
import { seedDemoCertificates, type SeededCertificate } from './demo-seed';
import { DEFAULT_PORTS, startSandbox, type Sandbox, type SandboxPorts } from './sandbox';
import { credentialsFor, sandboxSynthContext } from './sandbox-accounts';

const USAGE = `Usage: npm start -- [options]
  --demo               seed both accounts with certificates (only when empty)
  --data-dir DIR       where state is kept across restarts (default .certflow-data)
  --in-memory          keep nothing across restarts
  --port-base N        ports N+1 IoT, N+2 DynamoDB, N+3 Step Functions, N+4 SNS,
                       N+5 API Gateway (approval pages), N+6 Secrets Manager, N+7 Lambda, N+8 S3,
                       N+9 EventBridge;
                       default 7700
  --time-scale X       Wait states and retry delays run X times real time (default 1)
  --no-quotas          turn off the IoT request-rate quotas
  --verbose            print the functions' logs here too (they always go to <data dir>/logs/functions.log)
  --help`;

/** Bad options or a port taken: the terminal is told what to change, and the exit code is 2. */
class SandboxUsageError extends Error {
  override readonly name = 'SandboxUsageError';
}

/** What to say when an endpoint's port is taken, most often by a sandbox already running. */
export function portInUseMessage(port: number | undefined, portBase: number): string {
  const next = portBase + 100;
  return [
    `port ${port ?? '?'} is in use: is another \`npm start\` running? Stop it (Ctrl-C in its terminal),`,
    `or run a second one on other ports with its own state: npm start -- --port-base ${next} --data-dir .certflow-data-${next}`,
    `(ports ${next + 1}-${next + 9}; point the CLI at it with --sandbox-file .certflow-data-${next}/sandbox.json)`,
  ].join('\n');
}

/** The banner: what to try first (the certflow CLI), then where everything is. */
export function sandboxBanner(
  sandbox: Pick<Sandbox, 'region' | 'accounts' | 'endpoints' | 'functions'> & {
    stacks: Record<string, { outputs: Record<string, string> }>;
  },
  details: { state: string; functionLog: string; seeded: SeededCertificate[] },
): string {
  const { source: sourceAccount, target: targetAccount } = sandbox.accounts;
  const sourceKeys = credentialsFor(sourceAccount);
  const targetKeys = credentialsFor(targetAccount);
  const source = sandbox.stacks.CertflowSource?.outputs ?? {};
  const target = sandbox.stacks.CertflowTarget?.outputs ?? {};
  const example = details.seeded.find((certificate) => certificate.accountId === sourceAccount)?.certificateId ?? '<certificate id>';
  const region = sandbox.region;
  return `
certflow sandbox is up (region ${region}; state: ${details.state}; function logs: ${details.functionLog})

Try, in another terminal (the CLI finds this sandbox by itself):
  npx certflow transfer --certificate-id ${example} --to ${targetAccount} --requested-by you@example.com --wait
  npx certflow links                    each pending request's approval link, per approver
  npx certflow approve LINK             or open the link in a browser; npx certflow reject LINK --reason WHY
  npx certflow pending                  what waits for whom, and until when
  npx certflow migrate --manifest certs.csv --to ${targetAccount} --requested-by you@example.com
  npx certflow status EXECUTION_ARN     npx certflow audit --certificate-id ID     npx certflow --help

Endpoints:
  IoT             ${sandbox.endpoints.iot}
  DynamoDB        ${sandbox.endpoints.dynamodb}
  Step Functions  ${sandbox.endpoints.stepfunctions}
  SNS             ${sandbox.endpoints.sns}   (messages: ${sandbox.endpoints.sns}/_certflow/notifications)
  API Gateway     ${sandbox.endpoints.apigateway}
  Secrets Manager ${sandbox.endpoints.secretsmanager}
  Lambda          ${sandbox.endpoints.lambda}
  S3              ${sandbox.endpoints.s3}
  EventBridge     ${sandbox.endpoints.events}

Workflows:
  outbound (source) ${source.OutboundStateMachineArn ?? '-'}
  inbound (target)  ${target.InboundStateMachineArn ?? '-'}
  migrations        ${source.MigrationStateMachineArn ?? '-'} (source), ${target.MigrationStateMachineArn ?? '-'} (target)
  approval pages    ${source.ApprovalPageUrl ?? '-'} (source), ${target.ApprovalPageUrl ?? '-'} (target)

Accounts, for the AWS CLI (the access key id names the account):
  source ${sourceAccount}:  export AWS_ACCESS_KEY_ID=${sourceKeys.accessKeyId} AWS_SECRET_ACCESS_KEY=${sourceKeys.secretAccessKey} AWS_REGION=${region} AWS_DEFAULT_REGION=${region}
  target ${targetAccount}:  export AWS_ACCESS_KEY_ID=${targetKeys.accessKeyId} AWS_SECRET_ACCESS_KEY=${targetKeys.secretAccessKey} AWS_REGION=${region} AWS_DEFAULT_REGION=${region}
  aws iot list-certificates --endpoint-url ${sandbox.endpoints.iot}
  aws stepfunctions list-executions --state-machine-arn ${source.OutboundStateMachineArn ?? '<arn>'} --endpoint-url ${sandbox.endpoints.stepfunctions}
  (a raw \`aws iot transfer-certificate\` skips certflow's approvals and audit trail: use \`certflow transfer\`)

${sandbox.functions.size} functions deployed. Ctrl-C stops it.`;
}

/** Where the functions' logs go: the file, and this terminal too with --verbose. */
function functionLogStream(file: string, verbose: boolean): Writable {
  mkdirSync(path.dirname(file), { recursive: true });
  const toFile = createWriteStream(file, { flags: 'a' });
  if (!verbose) return toFile;
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      process.stdout.write(chunk);
      toFile.write(chunk, done);
    },
  });
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        demo: { type: 'boolean', default: false },
        'data-dir': { type: 'string', default: path.join(PROJECT_ROOT, '.certflow-data') },
        'in-memory': { type: 'boolean', default: false },
        'port-base': { type: 'string' },
        'time-scale': { type: 'string', default: '1' },
        'no-quotas': { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new SandboxUsageError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`, { cause: error });
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const portBase = values['port-base'] === undefined ? undefined : Number(values['port-base']);
  if (portBase !== undefined && !(Number.isInteger(portBase) && portBase > 0 && portBase < 65527)) {
    throw new SandboxUsageError('--port-base: must be a whole number from 1 to 65526');
  }
  const timeScale = Number(values['time-scale']);
  if (!(timeScale > 0)) throw new SandboxUsageError('--time-scale: must be a number greater than 0');
  const ports: SandboxPorts =
    portBase === undefined
      ? DEFAULT_PORTS
      : {
          iot: portBase + 1,
          dynamodb: portBase + 2,
          stepfunctions: portBase + 3,
          sns: portBase + 4,
          apigateway: portBase + 5,
          secretsmanager: portBase + 6,
          lambda: portBase + 7,
          s3: portBase + 8,
          events: portBase + 9,
        };

  // Synthesized here rather than inside startSandbox, so the terminal says what the first minutes are spent on.
  const synthStarted = Date.now();
  let synthesized = false;
  // With the context startSandbox synthesizes with, so that it finds the assembly current.
  ensureSynthesized(
    path.join(PROJECT_ROOT, 'cdk.out'),
    () => {
      synthesized = true;
      console.log('synthesizing the CDK app (first run or after a change to the app: about 1-2 minutes)...');
    },
    sandboxSynthContext(),
  );
  if (synthesized) console.log(`synthesized in ${Math.round((Date.now() - synthStarted) / 1000)} s`);

  const inMemory = values['in-memory'];
  const functionLog = inMemory
    ? path.join(mkdtempSync(path.join(tmpdir(), 'certflow-sandbox-')), 'functions.log')
    : path.join(values['data-dir'], 'logs', 'functions.log');
  console.log('starting the local endpoints and deploying the stacks...');
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({
      ports,
      dataDir: inMemory ? undefined : values['data-dir'],
      timeScale,
      iot: values['no-quotas'] ? { quotas: false } : {},
      functionLogLevel: 'INFO',
      functionLogStream: functionLogStream(functionLog, values.verbose),
      descriptorFile: path.join(values['data-dir'], 'sandbox.json'),
      log: (line) => console.log(line),
    });
  } catch (error) {
    const taken = error as { code?: string; port?: number };
    if (taken.code === 'EADDRINUSE') throw new SandboxUsageError(portInUseMessage(taken.port, portBase ?? 7700), { cause: error });
    throw error;
  }

  const seeded = values.demo ? await seedDemoCertificates(sandbox.endpoints.iot, sandbox.region, sandbox.accounts) : [];
  if (values.demo) {
    console.log(seeded.length === 0 ? '\n--demo: accounts already hold certificates; nothing seeded.' : '\n--demo seeded:');
    for (const certificate of seeded) console.log(`  ${certificate.accountId} ${certificate.certificateId}  ${certificate.description}`);
  }
  console.log(sandboxBanner(sandbox, { state: inMemory ? 'in memory' : values['data-dir'], functionLog, seeded }));

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the sandbox ...`);
    sandbox.stop().then(
      () => {
        console.log('stopped.');
        process.exit(0);
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(error instanceof SandboxUsageError ? 2 : 1);
  });
}
