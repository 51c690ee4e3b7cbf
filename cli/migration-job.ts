import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ListExecutionsCommand, StopExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { S3Client } from '@aws-sdk/client-s3';
import type { MigrationManifest } from '../lambdas/migration/migration-manifest';
import { migrationKeys, S3MigrationObjects } from '../lambdas/migration/migration-objects';
import { MigrationProgress, type MigrationPhase, type PhaseProgress } from '../lambdas/migration/migration-progress';
import type { MigrationReportRow } from '../lambdas/migration/migration-report';
import { parseMigrationId } from '../lambdas/migration/migration-requests';

/** One side's deployed migration: its workflow, files and progress counters, and the clients that reach them. */
export interface MigrationSide {
  accountId: string;
  sfn: SFNClient;
  s3: S3Client;
  dynamodb: DynamoDBClient;
  stateMachineArn: string;
  bucketName: string;
  progressTableName: string;
}

/** What the job shows while it runs. */
export interface MigrationProgressView {
  side: 'source' | 'target';
  phase: MigrationPhase | 'plan' | 'approval' | 'report';
  runName: string;
  progress?: PhaseProgress;
  /** Certificates per second over the phase so far. */
  rate?: number;
  /** Seconds the phase still needs at that rate. */
  secondsLeft?: number;
}

export interface MigrationJobRequest {
  manifest: MigrationManifest;
  targetAwsAccount: string;
  reason?: string;
  transferMessage?: string;
  /** Names the migration; by default it follows from the manifest and the target, so running the same job again resumes it. */
  migrationId?: string;
}

export interface MigrationJobDeps {
  source: MigrationSide;
  /**
   * Starts the source run as the caller, through the start API (which records the caller
   * as the requester): `startWorkflowExecution` of cli/start-request-client.ts.
   */
  start: (name: string, input: Record<string, unknown>) => Promise<string>;
  onProgress?: (view: MigrationProgressView) => void;
  /** Aborting stops following the run, not the run: it goes on in AWS; running the job again re-attaches. */
  signal?: AbortSignal;
  pollMs?: number;
  now?: () => number;
}

export interface MigrationJobResult {
  migrationId: string;
  sourceRun: string;
  /** How the run ended (the source execution's `outcome`). */
  outcome: string;
  rows: MigrationReportRow[];
  downtimeSeconds: { count: number; p50: number; p99: number; max: number } | null;
}

/** The job stopped following the run (it goes on); run the same job again to re-attach. */
export class MigrationDetached extends Error {
  override readonly name = 'MigrationDetached';
}

export class MigrationRunFailed extends Error {
  override readonly name = 'MigrationRunFailed';
}

/** The same manifest to the same account is the same migration: its id follows from both. */
export function migrationIdOf(manifest: MigrationManifest, targetAwsAccount: string): string {
  return `m-${createHash('sha256').update(JSON.stringify({ manifest, targetAwsAccount })).digest('hex').slice(0, 24)}`;
}

/** This migration's own source runs: `<id>-out-<time>`, not another migration whose id starts with this one. */
function ownRunPattern(migrationId: string): RegExp {
  return new RegExp(`^${migrationId}-out-[0-9]{13}$`);
}

async function runningRun(side: MigrationSide, migrationId: string): Promise<string | undefined> {
  const own = ownRunPattern(migrationId);
  let nextToken: string | undefined;
  do {
    const page = await side.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: side.stateMachineArn, statusFilter: 'RUNNING', maxResults: 100, nextToken }),
    );
    const found = page.executions?.find((execution) => own.test(execution.name ?? ''))?.executionArn;
    if (found) return found;
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

/** The migration's newest run, when it SUCCEEDED: its report is the migration's. */
async function succeededRun(side: MigrationSide, migrationId: string): Promise<string | undefined> {
  const own = ownRunPattern(migrationId);
  let newest: { name: string; arn: string; status: string } | undefined;
  let nextToken: string | undefined;
  do {
    const page = await side.sfn.send(new ListExecutionsCommand({ stateMachineArn: side.stateMachineArn, maxResults: 100, nextToken }));
    for (const execution of page.executions ?? []) {
      const name = execution.name ?? '';
      // Run names end in their 13-digit start time: the greatest name of this migration is its newest run.
      if (own.test(name) && execution.executionArn && (!newest || name > newest.name))
        newest = { name, arn: execution.executionArn, status: execution.status ?? '' };
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return newest?.status === 'SUCCEEDED' ? newest.arn : undefined;
}

/**
 * Runs a migration, or re-attaches to its run: uploads the manifest, starts the source
 * run through the start API (everything after that — both approvals, the proposal, the
 * cutover and the target's landing — happens between the two accounts, not here), and
 * follows it to its end. A run still going is re-attached to; a stopped or failed one is
 * resumed by a new run, which skips what earlier runs did.
 */
export async function runMigrationJob(deps: MigrationJobDeps, request: MigrationJobRequest): Promise<MigrationJobResult> {
  const migrationId =
    request.migrationId === undefined ? migrationIdOf(request.manifest, request.targetAwsAccount) : parseMigrationId(request.migrationId);
  const now = deps.now ?? Date.now;
  // A run still going is re-attached to; a run that finished is reported; a stopped or failed one is resumed by a new run.
  let executionArn = (await runningRun(deps.source, migrationId)) ?? (await succeededRun(deps.source, migrationId));
  if (!executionArn) {
    const manifestBody =
      request.manifest.kind === 'list'
        ? { certificateIds: request.manifest.certificateIds }
        : { selector: { status: request.manifest.status, caCertificateId: request.manifest.caCertificateId } };
    await new S3MigrationObjects(deps.source.s3, deps.source.bucketName).writeJson(migrationKeys.manifest(migrationId), manifestBody);
    executionArn = await deps.start(`${migrationId}-out-${now()}`, {
      migrationId,
      targetAwsAccount: request.targetAwsAccount,
      transferMessage: request.transferMessage ?? null,
      reason: request.reason ?? null,
    });
  }
  return followRun(deps, migrationId, executionArn);
}

/** Stops the migration's running source run (a later job resumes it); false when none runs. */
export async function stopMigration(side: MigrationSide, migrationId: string): Promise<string | undefined> {
  const executionArn = await runningRun(side, parseMigrationId(migrationId));
  if (!executionArn) return undefined;
  await side.sfn.send(
    new StopExecutionCommand({
      executionArn,
      error: 'MigrationStopped',
      cause: 'stopped with certflow migrate --stop: run it again to resume',
    }),
  );
  return executionArn;
}

async function followRun(deps: MigrationJobDeps, migrationId: string, executionArn: string): Promise<MigrationJobResult> {
  const side = deps.source;
  const now = deps.now ?? Date.now;
  const runName = executionArn.split(':').pop() ?? executionArn;
  const progress = new MigrationProgress(side.dynamodb, side.progressTableName);
  const phaseStarts = new Map<MigrationPhase, { at: number; done: number }>();
  for (;;) {
    if (deps.signal?.aborted)
      throw new MigrationDetached(`stopped following ${runName}; it goes on: run the same migration again to re-attach`);
    const execution = await side.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status === 'SUCCEEDED') {
      const output = JSON.parse(execution.output ?? '{}') as {
        outcome?: string;
        result?: { outcomesKey?: string; downtimeSeconds?: MigrationJobResult['downtimeSeconds'] };
      };
      if (!output.result?.outcomesKey) throw new MigrationRunFailed(`the source run ${runName} wrote no outcomes`);
      const rows = (await new S3MigrationObjects(side.s3, side.bucketName).readJson(output.result.outcomesKey)) as MigrationReportRow[];
      deps.onProgress?.({ side: 'source', phase: 'report', runName });
      return {
        migrationId,
        sourceRun: runName,
        outcome: output.outcome ?? 'UNKNOWN',
        rows,
        downtimeSeconds: output.result.downtimeSeconds ?? null,
      };
    }
    if (execution.status !== 'RUNNING') {
      throw new MigrationRunFailed(
        `the source run ${runName} ended ${execution.status}${execution.error ? ` (${execution.error}: ${execution.cause ?? ''})` : ''}: run the same migration again to resume`,
      );
    }
    for (const view of progressViews(runName, await progress.read(runName), phaseStarts, now())) deps.onProgress?.(view);
    await sleep(deps.pollMs ?? 1000, deps.signal);
  }
}

/** One view per phase that has counted anything (transfer in the source, land in the target), or the approvals' wait. */
function progressViews(
  runName: string,
  counters: Partial<Record<MigrationPhase, PhaseProgress>>,
  phaseStarts: Map<MigrationPhase, { at: number; done: number }>,
  now: number,
): MigrationProgressView[] {
  const transfer = counters.transfer;
  if (!transfer) return [{ side: 'source', phase: 'plan', runName }];
  if (transfer.done + transfer.failed === 0) return [{ side: 'source', phase: 'approval', runName, progress: transfer }];
  const views: MigrationProgressView[] = [];
  for (const phase of ['transfer', 'land'] as const) {
    const progress = counters[phase];
    if (!progress) continue;
    const finished = progress.done + progress.failed;
    const start = phaseStarts.get(phase) ?? { at: now, done: finished };
    phaseStarts.set(phase, start);
    const seconds = (now - start.at) / 1000;
    const rate = seconds > 0 ? (finished - start.done) / seconds : undefined;
    views.push({
      side: phase === 'transfer' ? 'source' : 'target',
      phase,
      runName,
      progress,
      rate,
      secondsLeft: rate ? (progress.total - finished) / rate : undefined,
    });
  }
  return views;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    // An abort during the poll itself has already fired its event: no listener would hear it.
    if (signal?.aborted) return resolve();
    const wake = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    signal?.addEventListener('abort', wake, { once: true });
  });
}

/** One line for a terminal: the phase, a bar, done / failed / remaining, the rate and the time left. */
export function progressLine(view: MigrationProgressView, width = 30): string {
  const label = `${view.side} ${view.phase}`;
  if (!view.progress) return `${label}: ${view.phase === 'plan' ? 'planning' : view.phase === 'report' ? 'writing the report' : 'waiting'}`;
  if (view.phase === 'approval') return `${label}: waiting for both accounts' approvers (${view.progress.total} certificates)`;
  const { total, done, failed } = view.progress;
  const finished = done + failed;
  const filled = total > 0 ? Math.round((finished / total) * width) : width;
  const rate = view.rate === undefined ? '-' : view.rate.toFixed(1);
  const left = view.secondsLeft === undefined ? '-' : `${Math.ceil(view.secondsLeft)}s`;
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] done ${done} failed ${failed} remaining ${total - finished} | ${rate}/s | ${left} left`;
}
