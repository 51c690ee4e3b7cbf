import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { approvalRequestId } from '../lambdas/approvals/approval-request';
import { ApprovalStore } from '../lambdas/approvals/approval-store';
import { cancelApprovalRequest } from '../lambdas/approvals/decide-approval';
import { DynamoDbAuditTrail } from '../lambdas/audit-trail/audit-trail';
import { parseAwsAccountId, parseCertificateId, parseOptionalMessage } from '../lambdas/iot-api/field-rules';
import { parseOutboundTransferRequest } from '../lambdas/outbound-workflow/step-requests';
import { CliUsageError, resolveCliTarget, stackOutput, type CliTarget, type Side } from './cli-target';

const USAGE = `certflow: move IoT certificates between accounts with approvals

  certflow transfer --certificate-id ID --to ACCOUNT --requested-by YOU [--message M] [--reason R] [--no-restore]
  certflow status EXECUTION_ARN [--side source|target]
  certflow pending [--side source|target]
  certflow approve LINK [--consent-to-prepare] [--set-as-active]
  certflow reject LINK --reason "WHY"
  certflow cancel --certificate-id ID --by YOU
  certflow audit --certificate-id ID [--side source|target]

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
  input: { certificateId?: string; targetAwsAccount?: string; sourceAwsAccount?: string };
}

/** The side's workflow executions still RUNNING, each with its input. */
async function* runningExecutions(target: CliTarget, side: Side): AsyncGenerator<RunningExecution> {
  const stateMachineArn = stackOutput(target, side, side === 'source' ? 'OutboundStateMachineArn' : 'InboundStateMachineArn');
  const client = sfn(target, side);
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

async function pending(target: CliTarget, sides: Side[]): Promise<unknown> {
  const listed: unknown[] = [];
  for (const side of sides) {
    for await (const { executionArn, startDate, input } of runningExecutions(target, side)) {
      listed.push({ side, executionArn, startDate, certificateId: input.certificateId, from: input.sourceAwsAccount, to: input.targetAwsAccount });
    }
  }
  return listed;
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
    case 'audit':
      return audit(target, values, sideOf(values, 'source'));
    default:
      throw new CliUsageError(`unknown command ${command}\n\n${USAGE}`);
  }
}
