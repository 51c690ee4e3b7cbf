import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { approvalRequestId, type ApprovalSide } from '../lambdas/approvals/approval-request';
import { ApprovalStore } from '../lambdas/approvals/approval-store';
import { cancelApprovalRequest } from '../lambdas/approvals/decide-approval';
import { DynamoDbAuditTrail } from '../lambdas/audit-trail/audit-trail';
import { parseAwsAccountId, parseCertificateId, parseOptionalMessage } from '../lambdas/iot-api/field-rules';
import { parseCsvManifest, parseJsonManifest } from '../lambdas/migration/migration-manifest';
import { MigrationProgress } from '../lambdas/migration/migration-progress';
import { migrationReportCsv, migrationReportJson } from '../lambdas/migration/migration-report';
import { parseOutboundMigrationRequest } from '../lambdas/migration/migration-requests';
import { parseOutboundTransferRequest } from '../lambdas/outbound-workflow/step-requests';
import { decisionTaken, parseApprovalLink, submitDecision, type PageAnswer } from './approval-form';
import {
  approvalOf,
  newestLinks,
  renderLinks,
  renderPending,
  type PendingEntry,
  type PendingLinks,
  type SinkNotification,
} from './approval-requests-view';
import { auditSearchOf, renderAudit, type AuditSearchOptions, type ShownAuditRow } from './audit-view';
import { keyValueLines, table } from './cli-output';
import { CliUsageError, SIDES, stackOutput, STACKS, type CliTarget, type Side } from './cli-target';
import { CommandFailed, CommandInterrupted } from './exit-codes';
import { startWorkflowExecution, StartRequestRefused } from './start-request-client';
import {
  executionView,
  parseExecutionArn,
  renderExecutionView,
  sideOfAccount,
  unsuccessfulEnd,
  type ExecutionView,
} from './execution-view';
import {
  MigrationDetached,
  MigrationRunFailed,
  migrationIdOf,
  progressLine,
  runMigrationJob,
  stopMigration,
  type MigrationSide,
} from './migration-job';

/** What a command shows: data for --json, text for a person. */
export interface CommandResult {
  json: unknown;
  text: string;
}

export interface CommandContext {
  target: CliTarget;
  /** Aborted by Ctrl-C. */
  signal: AbortSignal;
  /** A line of progress, on stderr. */
  progress(line: string): void;
  /** Whether stderr is a terminal (progress then rewrites one line). */
  interactive: boolean;
  /** How often a followed execution is looked at. */
  pollMs?: number;
}

const APPROVAL_SIDES: Record<Side, ApprovalSide> = { source: 'SOURCE', target: 'TARGET' };

function sfn(target: CliTarget, side: Side): SFNClient {
  return new SFNClient(target.clientConfig(side, 'stepfunctions'));
}

/**
 * Who the CLI is on `side`, as a provider the start API's signer takes: the sandbox's keys
 * for that side, or with --profile the SDK's default chain (which reads the profile), resolved
 * by an SDK client so that no other credentials package is needed.
 */
function callerCredentials(target: CliTarget, side: Side): AwsCredentialIdentityProvider {
  const { credentials, region } = target.clientConfig(side, 'apigateway');
  if (credentials) return async () => credentials;
  return new SFNClient({ region }).config.credentials;
}

function approvalStore(target: CliTarget, side: Side): ApprovalStore {
  return new ApprovalStore(new DynamoDBClient(target.clientConfig(side, 'dynamodb')), stackOutput(target, side, 'ApprovalTableName'));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const wake = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    signal.addEventListener('abort', wake, { once: true });
  });
}

/** The state the execution last entered, from its newest events. */
async function currentStateOf(client: SFNClient, executionArn: string): Promise<string | undefined> {
  const history = await client.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 50 }));
  return history.events?.find((event) => event.stateEnteredEventDetails?.name)?.stateEnteredEventDetails?.name;
}

/** Whether the execution belongs to the side's migration workflow (a deployment without one has none). */
function isMigrationRun(target: CliTarget, side: Side, stateMachineName: string): boolean {
  const migrationArn = target.outputs[STACKS[side]]?.MigrationStateMachineArn;
  return migrationArn !== undefined && migrationArn.endsWith(`:stateMachine:${stateMachineName}`);
}

async function lookAtExecution(target: CliTarget, executionArn: string, explicitSide?: Side): Promise<ExecutionView> {
  const arn = parseExecutionArn(executionArn);
  const side = sideOfAccount(arn.account, target.accounts, explicitSide);
  const client = sfn(target, side);
  const described = await client.send(new DescribeExecutionCommand({ executionArn }));
  const running = described.status === 'RUNNING';
  const currentState = running ? await currentStateOf(client, executionArn) : undefined;
  const progressTable = target.outputs[STACKS[side]]?.MigrationProgressTableName;
  const progress =
    running && progressTable && isMigrationRun(target, side, arn.stateMachineName)
      ? await new MigrationProgress(new DynamoDBClient(target.clientConfig(side, 'dynamodb')), progressTable).read(arn.executionName)
      : undefined;
  return executionView(described, { side, arn, currentState, progress });
}

/** `certflow status`: exits 1 when the execution FAILED, TIMED_OUT or was ABORTED. */
export async function showStatus(context: CommandContext, executionArn: string, explicitSide?: Side): Promise<CommandResult> {
  const view = await lookAtExecution(context.target, executionArn, explicitSide);
  const shown = { json: view, text: renderExecutionView(view) };
  const failure = unsuccessfulEnd(view);
  if (failure && view.status !== 'SUCCEEDED') throw new CommandFailed(failure, shown);
  return shown;
}

export interface TransferOptions {
  certificateId?: string;
  to?: string;
  /** No longer taken: given, the command refuses it (the requester is the caller's AWS identity). */
  requestedBy?: string;
  message?: string;
  reason?: string;
  restore: boolean;
  wait: boolean;
  /** Offer without a proposal (a target that runs no certflow); otherwise the workflow decides. */
  plainOffer?: boolean;
}

/** Long enough for the first step to refuse an impossible transfer (a missing certificate, the source as target). */
export const TRANSFER_SETTLE_MS = 2500;

/**
 * `certflow transfer`: starts the outbound workflow. Without --wait it watches the first
 * seconds, so a request the workflow refuses at once exits 1 with its error; with
 * --wait it follows the execution to its end and exits by the outcome.
 */
export async function startTransfer(context: CommandContext, options: TransferOptions): Promise<CommandResult> {
  if (options.requestedBy !== undefined) {
    throw new CliUsageError(
      "--requested-by: no longer taken: the requester is the caller's AWS identity (the credentials certflow runs with), as the start API verifies it",
    );
  }
  parseAwsAccountId(options.to, 'to');
  parseOptionalMessage(options.message, 'message');
  // The workflow's own rules, checked before anything starts. The requester is parsed as a
  // placeholder and dropped: the start API sets it from the signature. Whether the target runs
  // certflow (a proposal first, or a plain offer) is the workflow's to decide from its configuration.
  const {
    targetRunsCertflow: _decidedByTheWorkflow,
    requestedBy: _setByTheStartApi,
    requestedByArn: _alsoSetByTheStartApi,
    ...input
  } = parseOutboundTransferRequest({
    certificateId: options.certificateId,
    targetAwsAccount: options.to,
    transferMessage: options.message,
    requestedBy: 'set by the start API',
    reason: options.reason,
    restoreOnFailure: options.restore,
  });
  const request = options.plainOffer ? { ...input, targetRunsCertflow: false } : input;
  let started;
  try {
    started = await startWorkflowExecution({
      apiUrl: stackOutput(context.target, 'source', 'StartApiUrl'),
      region: context.target.region,
      credentials: callerCredentials(context.target, 'source'),
      workflow: 'transfer',
      input: request,
    });
  } catch (error) {
    if (error instanceof StartRequestRefused && error.statusCode === 400) {
      throw new CliUsageError(`${error.field ?? 'request'}: ${error.message}`, { cause: error });
    }
    throw error;
  }
  const executionArn = started.executionArn;
  const settleBy = Date.now() + TRANSFER_SETTLE_MS;
  let lastState: string | undefined;
  for (;;) {
    const view = await lookAtExecution(context.target, executionArn, 'source');
    if (view.status !== 'RUNNING') {
      const shown = { json: view, text: renderExecutionView(view) };
      const failure = unsuccessfulEnd(view);
      if (failure) throw new CommandFailed(failure, shown);
      return shown;
    }
    if (options.wait && view.currentState && view.currentState !== lastState)
      context.progress(`${executionArn.split(':').pop() ?? ''}: ${view.currentState}`);
    lastState = view.currentState;
    if (!options.wait && Date.now() >= settleBy) {
      const text = keyValueLines([
        ['execution', executionArn],
        ['status', `RUNNING${view.currentState ? ` (${view.currentState})` : ''}`],
        ['follow it', `certflow status ${executionArn}`],
        ['links', context.target.notificationsUrl ? 'certflow links --side source' : undefined],
      ]);
      return { json: view, text };
    }
    if (context.signal.aborted)
      throw new CommandInterrupted(`stopped following ${executionArn}; the transfer goes on: certflow status ${executionArn}`);
    await sleep(options.wait ? (context.pollMs ?? 1000) : 250, context.signal);
  }
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
  const migrationArn = options.migrations ? target.outputs[STACKS[side]]?.MigrationStateMachineArn : undefined;
  if (migrationArn) stateMachineArns.push(migrationArn);
  const client = sfn(target, side);
  for (const stateMachineArn of stateMachineArns) {
    let nextToken: string | undefined;
    do {
      const page = await client.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', nextToken }));
      for (const execution of page.executions ?? []) {
        const described = await client.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
        yield {
          executionArn: execution.executionArn ?? '',
          startDate: execution.startDate,
          input: JSON.parse(described.input ?? '{}') as RunningExecution['input'],
        };
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
}

/** `certflow pending`: each running workflow, its approval request's state, deadline and who may decide it. */
export async function listPending(context: CommandContext, sides: readonly Side[]): Promise<CommandResult> {
  const listed: PendingEntry[] = [];
  for (const side of sides) {
    const store = approvalStore(context.target, side);
    for await (const { executionArn, startDate, input } of runningExecutions(context.target, side, { migrations: true })) {
      const request = await store.get(approvalRequestId(executionArn, APPROVAL_SIDES[side]));
      const approval = request ? approvalOf(request) : undefined;
      const state =
        approval?.status === 'PENDING'
          ? 'waiting for approval'
          : ((await currentStateOf(sfn(context.target, side), executionArn)) ?? 'starting');
      listed.push({
        side,
        executionArn,
        startDate: startDate?.toISOString(),
        ...(input.certificateId !== undefined ? { certificateId: input.certificateId } : {}),
        ...(request?.migration
          ? { migrationId: request.migration.migrationId, certificateCount: request.migration.certificateCount }
          : input.migrationId !== undefined
            ? { migrationId: input.migrationId }
            : {}),
        from: input.sourceAwsAccount ?? request?.sourceAwsAccount,
        to: input.targetAwsAccount ?? request?.targetAwsAccount,
        state,
        ...(approval ? { approval } : {}),
      });
    }
  }
  return { json: listed, text: renderPending(listed) };
}

/** `certflow approve` / `certflow reject`: exits 1 unless the page decided. */
export async function decide(link: string, decision: Record<string, string>): Promise<CommandResult> {
  const url = parseApprovalLink(link);
  if (decision.decision === 'REJECTED') parseOptionalMessage(decision.rejectReason, '--reason');
  const answer = await submitDecision(url, decision);
  const shown = { json: answer, text: pageText(answer) };
  if (!decisionTaken(answer)) {
    throw new CommandFailed(
      `the approval page refused (HTTP ${answer.httpStatus}): ${answer.page}${answer.problem ? `: ${answer.problem}` : ''}`,
      shown,
    );
  }
  return shown;
}

function pageText(answer: PageAnswer): string {
  return keyValueLines([
    ['page', `${answer.page} (HTTP ${answer.httpStatus})`],
    ['problem', answer.problem],
    ['', answer.problem ? undefined : answer.message],
  ]);
}

/** The outbound execution of this certificate that is still running, if any. */
async function runningTransferOf(target: CliTarget, certificateId: string): Promise<string | undefined> {
  for await (const execution of runningExecutions(target, 'source'))
    if (execution.input.certificateId === certificateId) return execution.executionArn;
  return undefined;
}

/**
 * Withdraws a transfer at any point: while it waits for the source approval, the
 * approval request is cancelled (the workflow ends CANCELLED); once offered, the
 * deployed CancelCertificateTransfer function withdraws the offer (audited), and the
 * workflow sees it, restores the certificate and ends CANCELLED.
 */
export async function cancel(context: CommandContext, options: { certificateId?: string; by?: string }): Promise<CommandResult> {
  const { target } = context;
  const certificateId = parseCertificateId(options.certificateId);
  const by = options.by ?? '';
  const executionArn = await runningTransferOf(target, certificateId);
  if (executionArn) {
    const store = approvalStore(target, 'source');
    const requestId = approvalRequestId(executionArn, 'SOURCE');
    if ((await store.get(requestId))?.status === 'PENDING') {
      const result = await cancelApprovalRequest({ store, sfn: sfn(target, 'source') }, requestId, by);
      if (result.kind === 'refused') throw new CommandFailed(`cannot cancel the approval request: ${result.reason}`);
      return {
        json: { cancelled: 'approval request', executionArn },
        text: keyValueLines([
          ['cancelled', 'the approval request'],
          ['execution', executionArn],
        ]),
      };
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
    throw new CommandFailed(`CancelCertificateTransfer failed: ${failure.errorType ?? 'Error'}: ${failure.errorMessage ?? ''}`);
  }
  return {
    json: { cancelled: 'transfer', executionArn, result },
    text: keyValueLines([
      ['cancelled', 'the transfer offer'],
      ['execution', executionArn ?? '(none running)'],
    ]),
  };
}

/** `certflow audit`: one index of each side's audit table (both sides unless --side), oldest first. */
export async function audit(context: CommandContext, search: AuditSearchOptions, explicitSide?: Side): Promise<CommandResult> {
  const { index, key } = auditSearchOf(search);
  if (search.certificateId !== undefined) parseCertificateId(search.certificateId, '--certificate-id');
  const sides = explicitSide ? [explicitSide] : SIDES.filter((side) => context.target.outputs[STACKS[side]]?.AuditTableName);
  const rows: ShownAuditRow[] = [];
  for (const side of sides) {
    const trail = new DynamoDbAuditTrail(
      new DynamoDBClient(context.target.clientConfig(side, 'dynamodb')),
      stackOutput(context.target, side, 'AuditTableName'),
    );
    for (const row of await trail.query(index, key)) rows.push({ ...(row as unknown as Omit<ShownAuditRow, 'side'>), side });
  }
  rows.sort((a, b) => a.recordedAt.localeCompare(b.recordedAt));
  return { json: rows, text: renderAudit(rows, { showCertificate: search.certificateId === undefined }) };
}

/** `certflow links`: each pending request's newest link per approver, from the sandbox's notification sink. */
export async function links(context: CommandContext, options: { approver?: string; side?: Side }): Promise<CommandResult> {
  const { target } = context;
  if (!target.notificationsUrl)
    throw new CliUsageError("links: reads the sandbox's notifications; against AWS the links are in the approvers' e-mail");
  const response = await fetch(target.notificationsUrl);
  if (!response.ok) throw new CommandFailed(`the sandbox's notification sink answered HTTP ${response.status}`);
  const { notifications } = (await response.json()) as { notifications: SinkNotification[] };
  const wanted = newestLinks(notifications, target.accounts).filter(
    (link) =>
      (!options.side || link.side === options.side) &&
      (!options.approver || link.approver.toLowerCase() === options.approver.trim().toLowerCase()),
  );
  const byRequest = new Map<string, typeof wanted>();
  for (const link of wanted)
    byRequest.set(`${link.side}\n${link.requestId}`, [...(byRequest.get(`${link.side}\n${link.requestId}`) ?? []), link]);
  const stores = new Map<Side, ApprovalStore>();
  const pending: PendingLinks[] = [];
  for (const requestLinks of byRequest.values()) {
    const [first] = requestLinks;
    if (!first) continue;
    const store = stores.get(first.side) ?? approvalStore(target, first.side);
    stores.set(first.side, store);
    const request = await store.get(first.requestId);
    if (request?.status !== 'PENDING') continue;
    pending.push({
      side: first.side,
      requestId: first.requestId,
      ...(request.certificateId ? { certificateId: request.certificateId } : {}),
      ...(request.migration ? { migrationId: request.migration.migrationId, certificateCount: request.migration.certificateCount } : {}),
      from: request.sourceAwsAccount,
      to: request.targetAwsAccount,
      deadline: new Date(request.expiresAt * 1000).toISOString(),
      links: requestLinks
        .map((link) => ({ approver: link.approver, link: link.link, sentAt: link.publishedAt }))
        .sort((a, b) => a.approver.localeCompare(b.approver)),
    });
  }
  pending.sort((a, b) => (a.links[0]?.sentAt ?? '').localeCompare(b.links[0]?.sentAt ?? ''));
  return { json: pending, text: renderLinks(pending) };
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

export interface MigrateOptions {
  manifest?: string;
  to?: string;
  requestedBy?: string;
  reason?: string;
  message?: string;
  report?: string;
  migrationId?: string;
  /** Stop the migration's running source run instead (a later `certflow migrate` resumes it). */
  stop?: boolean;
}

/** Outcomes of a migrated certificate that mean it is in the target account. */
const MOVED = ['LANDED', 'ALREADY_TRANSFERRED'];

/**
 * `certflow migrate`: starts a migration (or re-attaches to its running run) and shows its
 * progress on stderr. Everything between the two accounts happens in AWS: Ctrl-C only stops
 * following (exit 130) and the migration goes on; the same command re-attaches, or resumes a
 * stopped run; `--stop` stops it. Writes the report as <report>.csv and <report>.json; exits 1
 * when a certificate did not land.
 */
export async function migrate(context: CommandContext, options: MigrateOptions): Promise<CommandResult> {
  const { target } = context;
  if (options.requestedBy !== undefined)
    throw new CliUsageError(
      "--requested-by: no longer taken: the requester is the caller's AWS identity (the credentials certflow runs with), as the start API verifies it",
    );
  const targetAwsAccount = parseAwsAccountId(options.to, 'to');
  if (!options.manifest) throw new CliUsageError('--manifest: is required (a CSV of certificate ids, or JSON)');
  if (!existsSync(options.manifest)) {
    throw new CliUsageError(
      `--manifest: ${options.manifest} does not exist (a CSV of certificate ids, or JSON: a list, {"certificateIds": [...]} or {"selector": {...}})`,
    );
  }
  const text = readFileSync(options.manifest, 'utf8');
  const { manifest, duplicates } = options.manifest.toLowerCase().endsWith('.json') ? parseJsonManifest(text) : parseCsvManifest(text);
  const migrationId = options.migrationId ?? migrationIdOf(manifest, targetAwsAccount);
  const source = migrationSide(target, 'source');
  if (options.stop) {
    const stopped = await stopMigration(source, migrationId);
    if (!stopped) throw new CommandFailed(`migration ${migrationId} has no running run to stop`);
    return {
      json: { migrationId, stopped },
      text: keyValueLines([
        ['migration', migrationId],
        ['stopped', stopped],
      ]),
    };
  }
  // The workflow's own rules, checked before anything is uploaded or started.
  parseOutboundMigrationRequest({
    migration: {
      migrationId,
      targetAwsAccount,
      transferMessage: options.message,
      requestedBy: 'set by the start API',
      reason: options.reason,
    },
    runName: 'check',
    executionId: 'check',
  });
  if (duplicates.length > 0) context.progress(`the manifest lists ${duplicates.length} certificates more than once; each is moved once`);
  const controller = new AbortController();
  const detach = () => {
    context.progress('\nstopped following; the migration goes on (run the same command again to re-attach, --stop to stop it)');
    controller.abort();
  };
  context.signal.addEventListener('abort', detach, { once: true });
  process.once('SIGTERM', detach);
  let lastLine = 0;
  let lastPhase = '';
  try {
    const result = await runMigrationJob(
      {
        source,
        start: async (name, input) => {
          try {
            const started = await startWorkflowExecution({
              apiUrl: stackOutput(target, 'source', 'StartApiUrl'),
              region: target.region,
              credentials: callerCredentials(target, 'source'),
              workflow: 'migration',
              name,
              input,
            });
            return started.executionArn;
          } catch (error) {
            if (error instanceof StartRequestRefused && error.statusCode === 400)
              throw new CliUsageError(`${error.field ?? 'request'}: ${error.message}`, { cause: error });
            throw error;
          }
        },
        signal: controller.signal,
        onProgress: (view) => {
          const line = progressLine(view);
          const phase = `${view.side} ${view.phase}`;
          if (context.interactive) process.stderr.write(`${phase === lastPhase ? '\r' : '\n'}${line.padEnd(120).slice(0, 160)}`);
          // Not a terminal: a line when the phase changes, and at most one every 5 s within it.
          else if (phase !== lastPhase || Date.now() - lastLine >= 5000) {
            context.progress(line);
            lastLine = Date.now();
          }
          lastPhase = phase;
        },
      },
      { manifest, targetAwsAccount, reason: options.reason, transferMessage: options.message, migrationId },
    );
    if (context.interactive) process.stderr.write('\n');
    const report = options.report ?? `certflow-migration-${result.migrationId}`;
    const reportContext = { migrationId: result.migrationId, targetAwsAccount, sourceRun: result.sourceRun, outcome: result.outcome };
    writeFileSync(`${report}.csv`, migrationReportCsv(result.rows));
    writeFileSync(`${report}.json`, migrationReportJson(result.rows, { ...reportContext, downtimeSeconds: result.downtimeSeconds }));
    const counts: Record<string, number> = {};
    for (const row of result.rows) counts[row.outcome] = (counts[row.outcome] ?? 0) + 1;
    const downtime = result.downtimeSeconds;
    const summary = {
      ...reportContext,
      total: result.rows.length,
      counts,
      downtimeSeconds: downtime,
      report: [`${report}.csv`, `${report}.json`],
    };
    const shown = {
      json: summary,
      text: [
        keyValueLines([
          ['migration', result.migrationId],
          ['to', targetAwsAccount],
          ['source run', result.sourceRun],
          ['outcome', result.outcome],
          ['certificates', result.rows.length],
          [
            'downtime (ACTIVE)',
            downtime
              ? `p50 ${downtime.p50.toFixed(1)} s, p99 ${downtime.p99.toFixed(1)} s, max ${downtime.max.toFixed(1)} s (${downtime.count} certificates)`
              : undefined,
          ],
          ['report', summary.report.join(', ')],
        ]),
        table(
          ['OUTCOME', 'CERTIFICATES'],
          Object.entries(counts).map(([outcome, count]) => [outcome, String(count)]),
        ),
      ].join('\n\n'),
    };
    const notMoved = result.rows.filter((row) => !MOVED.includes(row.outcome)).length;
    if (notMoved > 0) throw new CommandFailed(`${notMoved} of ${result.rows.length} certificates did not land: see ${report}.csv`, shown);
    return shown;
  } catch (error) {
    if (error instanceof MigrationDetached) throw new CommandInterrupted(error.message, { cause: error });
    if (error instanceof MigrationRunFailed) throw new CommandFailed(error.message, undefined, { cause: error });
    throw error;
  } finally {
    context.signal.removeEventListener('abort', detach);
    process.removeListener('SIGTERM', detach);
  }
}
