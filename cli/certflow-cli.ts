import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { approvalRequestId, type ApprovalSide } from '../lambdas/approvals/approval-request';
import { ApprovalStore } from '../lambdas/approvals/approval-store';
import { cancelApprovalRequest } from '../lambdas/approvals/decide-approval';
import { DynamoDbAuditTrail } from '../lambdas/audit-trail/audit-trail';
import { parseAwsAccountId, parseCertificateId, parseOptionalMessage } from '../lambdas/iot-api/field-rules';
import { parseOutboundTransferRequest } from '../lambdas/outbound-workflow/step-requests';
import { parseCsvManifest, parseJsonManifest } from '../lambdas/migration/migration-manifest';
import { parseOutboundMigrationRequest } from '../lambdas/migration/migration-requests';
import { migrationReportCsv, migrationReportJson } from '../lambdas/migration/migration-report';
import { CliUsageError, resolveCliTarget, stackOutput, type CliTarget, type Side } from './cli-target';
import { MigrationRunFailed, MigrationStopped, progressLine, runMigrationJob, type MigrationSide } from './migration-job';

const USAGE = `certflow: move IoT certificates between accounts with approvals

  certflow transfer --certificate-id ID --to ACCOUNT --requested-by YOU [--message M] [--reason R] [--no-restore]
  certflow status EXECUTION_ARN [--side source|target]
  certflow pending [--side source|target]
  certflow approve LINK [--consent-to-prepare] [--set-as-active]
  certflow reject LINK --reason "WHY"
  certflow cancel --certificate-id ID --by YOU
  certflow audit --certificate-id ID [--side source|target]
  certflow migrate --manifest certs.csv|certs.json --to ACCOUNT --requested-by YOU [--reason R] [--message M] [--report PATH] [--migration-id ID]

Against the local sandbox (started with \`npm start\`) by default; against AWS with
--profile NAME --outputs cdk-outputs.json [--region R] (the file \`cdk deploy --outputs-file\` writes).`;

const OPTIONS = {
  'certificate-id': { type: 'string' },
  to: { type: 'string' },
  'requested-by': { type: 'string' },
  by: { type: 'string' },
  message: { type: 'string' },
  reason: { type: 'string' },
  'no-restore': { type: 'boolean', default: false },
  side: { type: 'string' },
  'consent-to-prepare': { type: 'boolean', default: false },
  'set-as-active': { type: 'boolean', default: false },
  profile: { type: 'string' },
  outputs: { type: 'string' },
  region: { type: 'string' },
  'sandbox-file': { type: 'string' },
  manifest: { type: 'string' },
  report: { type: 'string' },
  'migration-id': { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function required(values: Values, name: keyof Values): string {
  const value = values[name];
  if (typeof value !== 'string' || value.length === 0) throw new CliUsageError(`--${name}: is required`);
  return value;
}

function sideOf(values: Values, fallback: Side): Side {
  const side = values.side ?? fallback;
  if (side !== 'source' && side !== 'target') throw new CliUsageError('--side: must be source or target');
  return side;
}

function sfn(target: CliTarget, side: Side): SFNClient {
  return new SFNClient(target.clientConfig(side, 'stepfunctions'));
}

async function transfer(target: CliTarget, values: Values): Promise<unknown> {
  // The workflow's own rules, checked before anything starts.
  const input = parseOutboundTransferRequest({
    certificateId: values['certificate-id'],
    targetAwsAccount: values.to,
    transferMessage: values.message,
    requestedBy: values['requested-by'],
    reason: values.reason,
    restoreOnFailure: !values['no-restore'],
  });
  const started = await sfn(target, 'source').send(
    new StartExecutionCommand({ stateMachineArn: stackOutput(target, 'source', 'OutboundStateMachineArn'), input: JSON.stringify(input) }),
  );
  return { executionArn: started.executionArn, startDate: started.startDate };
}

async function status(target: CliTarget, executionArn: string | undefined, side: Side): Promise<unknown> {
  if (!executionArn) throw new CliUsageError('EXECUTION_ARN: is required');
  const client = sfn(target, side);
  const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
  const history = await client.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 50 }));
  const current = history.events?.find((event) => event.stateEnteredEventDetails?.name)?.stateEnteredEventDetails?.name;
  const output = execution.output ? (JSON.parse(execution.output) as { outcome?: string }) : undefined;
  return { status: execution.status, outcome: output?.outcome, currentState: current, startDate: execution.startDate, stopDate: execution.stopDate, error: execution.error, cause: execution.cause };
}

interface RunningExecution {
  executionArn: string;
  startDate?: Date;
  input: { certificateId?: string; migrationId?: string; targetAwsAccount?: string; sourceAwsAccount?: string };
}

/** The side's workflow executions still RUNNING, each with its input. */
async function* runningExecutions(target: CliTarget, side: Side, options: { migrations?: boolean } = {}): AsyncGenerator<RunningExecution> {
  const stateMachineArns = [stackOutput(target, side, side === 'source' ? 'OutboundStateMachineArn' : 'InboundStateMachineArn')];
  // A deployment from before migrations existed has no migration workflow: it lists the transfers alone.
  const migrationArn = options.migrations ? target.outputs[side === 'source' ? 'CertflowSource' : 'CertflowTarget']?.MigrationStateMachineArn : undefined;
  if (migrationArn) stateMachineArns.push(migrationArn);
  const client = sfn(target, side);
  for (const stateMachineArn of stateMachineArns) {
    let nextToken: string | undefined;
    do {
      const page = await client.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', nextToken }));
      for (const execution of page.executions ?? []) {
        const described = await client.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
        yield { executionArn: execution.executionArn ?? '', startDate: execution.startDate, input: JSON.parse(described.input ?? '{}') as RunningExecution['input'] };
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
}

async function pending(target: CliTarget, sides: Side[]): Promise<unknown> {
  const listed: unknown[] = [];
  for (const side of sides) {
    let store: ApprovalStore | undefined;
    for await (const { executionArn, startDate, input } of runningExecutions(target, side, { migrations: true })) {
      let subject: Awaited<ReturnType<typeof migrationOf>>;
      if (input.certificateId === undefined) {
        store ??= new ApprovalStore(new DynamoDBClient(target.clientConfig(side, 'dynamodb')), stackOutput(target, side, 'ApprovalTableName'));
        subject = await migrationOf(store, side, executionArn, input);
      }
      listed.push({ side, executionArn, startDate, ...(subject ?? { certificateId: input.certificateId }), from: input.sourceAwsAccount, to: input.targetAwsAccount });
    }
  }
  return listed;
}

const APPROVAL_SIDES: Record<Side, ApprovalSide> = { source: 'SOURCE', target: 'TARGET' };

/**
 * What an execution without a certificate id moves, if it is a migration: its approval
 * request holds the summary (the count is known only once the workflow has resolved the manifest).
 */
async function migrationOf(store: ApprovalStore, side: Side, executionArn: string, input: RunningExecution['input']): Promise<{ migrationId: string; certificateCount?: number } | undefined> {
  const migration = (await store.get(approvalRequestId(executionArn, APPROVAL_SIDES[side])))?.migration;
  if (migration) return { migrationId: migration.migrationId, certificateCount: migration.certificateCount };
  return input.migrationId === undefined ? undefined : { migrationId: input.migrationId };
}

/** Submits the approval page's form for a signed link, exactly as the page's buttons do. */
async function decide(link: string | undefined, decision: Record<string, string>): Promise<unknown> {
  if (!link) throw new CliUsageError('LINK: is required (the approval link from your notification)');
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new CliUsageError('LINK: must be the approval link from your notification (a URL)');
  }
  const form = new URLSearchParams(url.searchParams);
  for (const [name, value] of Object.entries(decision)) form.set(name, value);
  const response = await fetch(`${url.origin}${url.pathname}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
  const html = await response.text();
  const heading = /<h1>([^<]*)<\/h1>/.exec(html)?.[1] ?? '';
  const problem = /<p class="problem"[^>]*>([^<]*)<\/p>/.exec(html)?.[1];
  return { httpStatus: response.status, page: heading, ...(problem ? { problem } : {}) };
}

/** The outbound execution of this certificate that is still running, if any. */
async function runningTransferOf(target: CliTarget, certificateId: string): Promise<string | undefined> {
  for await (const execution of runningExecutions(target, 'source')) if (execution.input.certificateId === certificateId) return execution.executionArn;
  return undefined;
}

/**
 * Withdraws a transfer at any point: while it waits for the source approval, the
 * approval request is cancelled (the workflow ends CANCELLED); once offered, the
 * deployed CancelCertificateTransfer function withdraws the offer (audited), and the
 * workflow sees it, restores the certificate and ends CANCELLED.
 */
async function cancel(target: CliTarget, values: Values): Promise<unknown> {
  const certificateId = parseCertificateId(values['certificate-id']);
  const by = required(values, 'by');
  const executionArn = await runningTransferOf(target, certificateId);
  if (executionArn) {
    const store = new ApprovalStore(new DynamoDBClient(target.clientConfig('source', 'dynamodb')), stackOutput(target, 'source', 'ApprovalTableName'));
    const requestId = approvalRequestId(executionArn, 'SOURCE');
    if ((await store.get(requestId))?.status === 'PENDING') {
      const result = await cancelApprovalRequest({ store, sfn: sfn(target, 'source') }, requestId, by);
      if (result.kind === 'refused') throw new CliUsageError(`cannot cancel the approval request: ${result.reason}`);
      return { cancelled: 'approval request', executionArn };
    }
  }
  const lambda = new LambdaClient(target.clientConfig('source', 'lambda'));
  const invoked = await lambda.send(
    new InvokeCommand({
      FunctionName: stackOutput(target, 'source', 'CancelFunctionName'),
      Payload: Buffer.from(JSON.stringify({ certificateId, requestedBy: by })),
    }),
  );
  const result = JSON.parse(Buffer.from(invoked.Payload ?? new Uint8Array()).toString('utf8') || 'null') as unknown;
  if (invoked.FunctionError) {
    const failure = result as { errorType?: string; errorMessage?: string };
    throw new CliUsageError(`CancelCertificateTransfer failed: ${failure.errorType ?? 'Error'}: ${failure.errorMessage ?? ''}`);
  }
  return { cancelled: 'transfer', executionArn, result };
}

async function audit(target: CliTarget, values: Values, side: Side): Promise<unknown> {
  const certificateId = parseCertificateId(values['certificate-id']);
  const trail = new DynamoDbAuditTrail(new DynamoDBClient(target.clientConfig(side, 'dynamodb')), stackOutput(target, side, 'AuditTableName'));
  // The index reads newest first; a history reads better in the order it happened.
  return (await trail.query('byCertificate', certificateId)).sort((a, b) => a.recordedAt.localeCompare(b.recordedAt));
}

function migrationSide(target: CliTarget, side: Side): MigrationSide {
  const account = stackOutput(target, side, 'MigrationStateMachineArn').split(':')[4] ?? '';
  return {
    accountId: account,
    sfn: new SFNClient(target.clientConfig(side, 'stepfunctions')),
    // Path-style addressing, as the sandbox's S3 endpoint serves it; AWS accepts it too.
    s3: new S3Client({ ...target.clientConfig(side, 's3'), forcePathStyle: target.clientConfig(side, 's3').endpoint !== undefined }),
    dynamodb: new DynamoDBClient(target.clientConfig(side, 'dynamodb')),
    stateMachineArn: stackOutput(target, side, 'MigrationStateMachineArn'),
    bucketName: stackOutput(target, side, 'MigrationBucketName'),
    progressTableName: stackOutput(target, side, 'MigrationProgressTableName'),
  };
}

/**
 * Runs a migration in the foreground with a progress line on stderr; Ctrl-C stops the
 * running workflow, and running the same command again resumes. Writes the report as
 * <report>.csv and <report>.json.
 */
async function migrate(target: CliTarget, values: Values): Promise<unknown> {
  if (!values.manifest) throw new CliUsageError('--manifest: required (a CSV of certificate ids, or JSON: a list, {"certificateIds": [...]} or {"selector": {...}})');
  const targetAwsAccount = parseAwsAccountId(values.to, 'to');
  if (!values['requested-by']) throw new CliUsageError('--requested-by: required (who asks for the migration)');
  // The workflow's own rules, checked before anything is uploaded or started.
  parseOutboundMigrationRequest({
    migration: { migrationId: 'check', targetAwsAccount, transferMessage: values.message, requestedBy: values['requested-by'], reason: values.reason },
    runName: 'check',
    executionId: 'check',
  });
  const text = readFileSync(values.manifest, 'utf8');
  const { manifest, duplicates } = values.manifest.toLowerCase().endsWith('.json') ? parseJsonManifest(text) : parseCsvManifest(text);
  if (duplicates.length > 0) process.stderr.write(`the manifest lists ${duplicates.length} certificates more than once; each is moved once\n`);
  const controller = new AbortController();
  const stop = () => {
    process.stderr.write('\nstopping the migration (run the same command again to resume)...\n');
    controller.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const interactive = process.stderr.isTTY === true;
  let lastLine = 0;
  let lastPhase = '';
  try {
    const result = await runMigrationJob(
      {
        source: migrationSide(target, 'source'),
        target: migrationSide(target, 'target'),
        signal: controller.signal,
        onProgress: (view) => {
          const line = progressLine(view);
          const phase = `${view.side} ${view.phase}`;
          if (interactive) process.stderr.write(`${phase === lastPhase ? '\r' : '\n'}${line.padEnd(120).slice(0, 160)}`);
          // Not a terminal: a line when the phase changes, and at most one every 5 s within it.
          else if (phase !== lastPhase || Date.now() - lastLine >= 5000) {
            process.stderr.write(`${line}\n`);
            lastLine = Date.now();
          }
          lastPhase = phase;
        },
      },
      { manifest, targetAwsAccount, requestedBy: values['requested-by'], reason: values.reason, transferMessage: values.message, migrationId: values['migration-id'] },
    );
    if (interactive) process.stderr.write('\n');
    const report = values.report ?? `certflow-migration-${result.migrationId}`;
    const context = { migrationId: result.migrationId, targetAwsAccount, sourceRun: result.sourceRun, targetRun: result.targetRun ?? null };
    writeFileSync(`${report}.csv`, migrationReportCsv(result.rows));
    writeFileSync(`${report}.json`, migrationReportJson(result.rows, context));
    const counts: Record<string, number> = {};
    for (const row of result.rows) counts[row.outcome] = (counts[row.outcome] ?? 0) + 1;
    return { ...context, total: result.rows.length, counts, report: [`${report}.csv`, `${report}.json`] };
  } catch (error) {
    if (error instanceof MigrationStopped || error instanceof MigrationRunFailed) throw new CliUsageError(error.message);
    throw error;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}

export async function runCli(argv: string[]): Promise<unknown> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  const [command, argument] = positionals;
  if (values.help || !command) return USAGE;
  const target = resolveCliTarget({ profile: values.profile, outputs: values.outputs, region: values.region, sandboxFile: values['sandbox-file'] });
  switch (command) {
    case 'transfer':
      parseAwsAccountId(values.to, 'to');
      parseOptionalMessage(values.message, 'message');
      return transfer(target, values);
    case 'status':
      return status(target, argument, sideOf(values, 'source'));
    case 'pending':
      return pending(target, values.side ? [sideOf(values, 'source')] : ['source', 'target']);
    case 'approve':
      return decide(argument, {
        decision: 'APPROVED',
        ...(values['consent-to-prepare'] ? { consentToPrepare: 'true' } : {}),
        ...(values['set-as-active'] ? { setAsActive: 'true' } : {}),
      });
    case 'reject':
      return decide(argument, { decision: 'REJECTED', rejectReason: required(values, 'reason') });
    case 'cancel':
      return cancel(target, values);
    case 'migrate':
      return migrate(target, values);
    case 'audit':
      return audit(target, values, sideOf(values, 'source'));
    default:
      throw new CliUsageError(`unknown command ${command}\n\n${USAGE}`);
  }
}
