import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from './cloudformation/cloud-assembly';
import { seedDemoCertificates } from './demo-seed';
import { DEFAULT_PORTS, startSandbox, type SandboxPorts } from './sandbox';
import { credentialsFor } from './sandbox-accounts';

const USAGE = `Usage: npm start -- [options]
  --demo               seed both accounts with certificates (only when empty)
  --data-dir DIR       where state is kept across restarts (default .certflow-data)
  --in-memory          keep nothing across restarts
  --port-base N        ports N+1 IoT, N+2 DynamoDB, N+3 Step Functions, N+4 SNS,
                       N+5 API Gateway (approval pages), N+6 Secrets Manager, N+7 Lambda, N+8 S3;
                       default 7700
  --time-scale X       Wait states and retry delays run X times real time (default 1)
  --no-quotas          turn off the IoT request-rate quotas
  --help`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      demo: { type: 'boolean', default: false },
      'data-dir': { type: 'string', default: path.join(PROJECT_ROOT, '.certflow-data') },
      'in-memory': { type: 'boolean', default: false },
      'port-base': { type: 'string' },
      'time-scale': { type: 'string', default: '1' },
      'no-quotas': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const portBase = values['port-base'] === undefined ? undefined : Number(values['port-base']);
  if (portBase !== undefined && !(Number.isInteger(portBase) && portBase > 0 && portBase < 65530)) {
    throw new Error('--port-base: must be a whole number from 1 to 65529');
  }
  const timeScale = Number(values['time-scale']);
  if (!(timeScale > 0)) throw new Error('--time-scale: must be a number greater than 0');
  const ports: SandboxPorts = portBase === undefined
    ? DEFAULT_PORTS
    : { iot: portBase + 1, dynamodb: portBase + 2, stepfunctions: portBase + 3, sns: portBase + 4, apigateway: portBase + 5, secretsmanager: portBase + 6, lambda: portBase + 7, s3: portBase + 8 };

  const sandbox = await startSandbox({
    ports,
    dataDir: values['in-memory'] ? undefined : values['data-dir'],
    timeScale,
    iot: values['no-quotas'] ? { quotas: false } : {},
    functionLogLevel: 'INFO',
    descriptorFile: path.join(values['data-dir'], 'sandbox.json'),
    log: (line) => console.log(line),
  });

  const { source: sourceAccount, target: targetAccount } = sandbox.accounts;
  const sourceKeys = credentialsFor(sourceAccount);
  const targetKeys = credentialsFor(targetAccount);
  const source = sandbox.stacks.CertflowSource ?? { outputs: {} as Record<string, string> };
  const target = sandbox.stacks.CertflowTarget ?? { outputs: {} as Record<string, string> };
  console.log(`
certflow sandbox is up (region ${sandbox.region}; state: ${values['in-memory'] ? 'in memory' : values['data-dir']})

  IoT             ${sandbox.endpoints.iot}
  DynamoDB        ${sandbox.endpoints.dynamodb}
  Step Functions  ${sandbox.endpoints.stepfunctions}
  SNS             ${sandbox.endpoints.sns}   (messages: ${sandbox.endpoints.sns}/_certflow/notifications)
  API Gateway     ${sandbox.endpoints.apigateway}
  Secrets Manager ${sandbox.endpoints.secretsmanager}
  Lambda          ${sandbox.endpoints.lambda}
  S3              ${sandbox.endpoints.s3}

Workflows:
  outbound (source) ${source.outputs.OutboundStateMachineArn ?? '-'}
  inbound (target)  ${target.outputs.InboundStateMachineArn ?? '-'}
  migrations        ${source.outputs.MigrationStateMachineArn ?? '-'} (source), ${target.outputs.MigrationStateMachineArn ?? '-'} (target)
                    npx certflow migrate --manifest certs.csv --to ${targetAccount} --requested-by you@example.com
  approval pages    ${source.outputs.ApprovalPageUrl ?? '-'} (source), ${target.outputs.ApprovalPageUrl ?? '-'} (target)

Accounts: the access key id names the account.
  source ${sourceAccount}:  export AWS_ACCESS_KEY_ID=${sourceKeys.accessKeyId} AWS_SECRET_ACCESS_KEY=${sourceKeys.secretAccessKey} AWS_REGION=${sandbox.region} AWS_DEFAULT_REGION=${sandbox.region}
  target ${targetAccount}:  export AWS_ACCESS_KEY_ID=${targetKeys.accessKeyId} AWS_SECRET_ACCESS_KEY=${targetKeys.secretAccessKey} AWS_REGION=${sandbox.region} AWS_DEFAULT_REGION=${sandbox.region}

Try (AWS CLI):
  aws iot list-certificates --endpoint-url ${sandbox.endpoints.iot}
  aws iot transfer-certificate --certificate-id <id> --target-aws-account ${targetAccount} --endpoint-url ${sandbox.endpoints.iot}
  aws iot accept-certificate-transfer --certificate-id <id> --set-as-active --endpoint-url ${sandbox.endpoints.iot}   (as the target)
  aws dynamodb list-tables --endpoint-url ${sandbox.endpoints.dynamodb}
  aws stepfunctions list-state-machines --endpoint-url ${sandbox.endpoints.stepfunctions}
  aws stepfunctions start-execution --state-machine-arn ${source.outputs.OutboundStateMachineArn ?? '<arn>'} \\
      --input '{"certificateId":"<id>","targetAwsAccount":"${targetAccount}","requestedBy":"you@example.com"}' --endpoint-url ${sandbox.endpoints.stepfunctions}
  curl ${sandbox.endpoints.sns}/_certflow/notifications      (approval links for the approvers)

${sandbox.functions.size} functions deployed. Ctrl-C stops it.`);

  if (values.demo) {
    const seeded = await seedDemoCertificates(sandbox.endpoints.iot, sandbox.region, sandbox.accounts);
    console.log(seeded.length === 0 ? '\n--demo: accounts already hold certificates; nothing seeded.' : '\n--demo seeded:');
    for (const certificate of seeded) console.log(`  ${certificate.accountId} ${certificate.certificateId}  ${certificate.description}`);
  }

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

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
