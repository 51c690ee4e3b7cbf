import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { S3Client } from '@aws-sdk/client-s3';
import type { CertificateOutcome } from '../lambdas/migration/certificate-outcome';
import type { MigrationManifest } from '../lambdas/migration/migration-manifest';
import { migrationKeys, S3MigrationObjects } from '../lambdas/migration/migration-objects';
import { MigrationProgress, type MigrationPhase, type PhaseProgress } from '../lambdas/migration/migration-progress';
import { migrationReportRows, type MigrationReportRow } from '../lambdas/migration/migration-report';
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
  requestedBy: string;
  reason?: string;
  transferMessage?: string;
  /** Names the migration; by default it follows from the manifest and the target, so running the same job again resumes it. */
  migrationId?: string;
}

export interface MigrationJobDeps {
  source: MigrationSide;
  target: MigrationSide;
  onProgress?: (view: MigrationProgressView) => void;
  /** Aborting stops the running workflow; running the job again resumes. */
  signal?: AbortSignal;
  pollMs?: number;
  now?: () => number;
}

export interface MigrationJobResult {
  migrationId: string;
  sourceRun: string;
  targetRun?: string;
  rows: MigrationReportRow[];
}

export class MigrationStopped extends Error {
  override readonly name = 'MigrationStopped';
}

export class MigrationRunFailed extends Error {
  override readonly name = 'MigrationRunFailed';
}

/** The same manifest to the same account is the same migration: its id follows from both. */
export function migrationIdOf(manifest: MigrationManifest, targetAwsAccount: string): string {
  return `m-${createHash('sha256').update(JSON.stringify({ manifest, targetAwsAccount })).digest('hex').slice(0, 24)}`;
}

/**
 * Runs a migration from the source side to the target side: uploads the manifest,
 * runs the source workflow (which waits for its approvers), hands the target the
 * certificates offered, runs the target workflow (which waits for its approvers), and
 * returns every certificate's outcome. Each run skips what an earlier run did, so a
 * stopped or failed job is resumed by running it again.
 */
export async function runMigrationJob(deps: MigrationJobDeps, request: MigrationJobRequest): Promise<MigrationJobResult> {
  const migrationId =
    request.migrationId === undefined ? migrationIdOf(request.manifest, request.targetAwsAccount) : parseMigrationId(request.migrationId);
  const manifestBody =
    request.manifest.kind === 'list'
      ? { certificateIds: request.manifest.certificateIds }
      : { selector: { status: request.manifest.status, caCertificateId: request.manifest.caCertificateId } };
  const sourceFiles = new S3MigrationObjects(deps.source.s3, deps.source.bucketName);
  await sourceFiles.writeJson(migrationKeys.manifest(migrationId), manifestBody);
  const sourceRun = await runSide(deps, 'source', migrationId, {
    migrationId,
    targetAwsAccount: request.targetAwsAccount,
    transferMessage: request.transferMessage ?? null,
    requestedBy: request.requestedBy,
    reason: request.reason ?? null,
  });
  const sourceOutcomes = (await sourceFiles.readJson(sourceRun.outcomesKey)) as CertificateOutcome[];

  const offered = sourceOutcomes
    .filter((outcome) => outcome.outcome === 'OFFERED' || outcome.outcome === 'ALREADY_OFFERED')
    .map((outcome) => outcome.certificateId);
  let targetOutcomes: CertificateOutcome[] = [];
  let targetRun: string | undefined;
  if (offered.length > 0) {
    const targetFiles = new S3MigrationObjects(deps.target.s3, deps.target.bucketName);
    await targetFiles.writeJson(migrationKeys.offers(migrationId), { sourceAwsAccount: deps.source.accountId, certificateIds: offered });
    const run = await runSide(deps, 'target', migrationId, {
      migrationId,
      requestedBy: request.requestedBy,
      reason: request.reason ?? null,
    });
    targetRun = run.runName;
    targetOutcomes = (await targetFiles.readJson(run.outcomesKey)) as CertificateOutcome[];
  }
  deps.onProgress?.({ side: targetRun ? 'target' : 'source', phase: 'report', runName: targetRun ?? sourceRun.runName });
  return { migrationId, sourceRun: sourceRun.runName, targetRun, rows: migrationReportRows(sourceOutcomes, targetOutcomes) };
}

const PHASES: Record<'source' | 'target', MigrationPhase[]> = { source: ['transfer', 'land'], target: ['land'] };

/** Starts (or, after a crash of the job itself, rejoins) the side's run and follows it to its end. */
async function runSide(
  deps: MigrationJobDeps,
  sideName: 'source' | 'target',
  migrationId: string,
  input: Record<string, unknown>,
): Promise<{ runName: string; outcomesKey: string }> {
  const side = deps[sideName];
  const now = deps.now ?? Date.now;
  const prefix = `${migrationId}-${sideName === 'source' ? 'out' : 'in'}-`;
  const running = await side.sfn.send(
    new ListExecutionsCommand({ stateMachineArn: side.stateMachineArn, statusFilter: 'RUNNING', maxResults: 100 }),
  );
  // Only this migration's own runs: `<id>-out-<time>`, not another migration whose id starts with this one.
  const ownRun = new RegExp(`^${prefix}[0-9]+$`);
  let executionArn = running.executions?.find((execution) => ownRun.test(execution.name ?? ''))?.executionArn;
  if (!executionArn) {
    const started = await side.sfn.send(
      new StartExecutionCommand({ stateMachineArn: side.stateMachineArn, name: `${prefix}${now()}`, input: JSON.stringify(input) }),
    );
    executionArn = started.executionArn;
  }
  if (!executionArn) throw new MigrationRunFailed(`the ${sideName} workflow did not start`);
  const runName = executionArn.split(':').pop() ?? executionArn;
  const progress = new MigrationProgress(side.dynamodb, side.progressTableName);
  const phaseStarts = new Map<MigrationPhase, { at: number; done: number }>();

  for (;;) {
    if (deps.signal?.aborted) {
      await side.sfn.send(
        new StopExecutionCommand({
          executionArn,
          error: 'MigrationStopped',
          cause: 'stopped by the migration job: run it again to resume',
        }),
      );
      throw new MigrationStopped(`stopped the ${sideName} run ${runName}: run the same migration again to resume`);
    }
    const execution = await side.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status === 'SUCCEEDED') {
      const output = JSON.parse(execution.output ?? '{}') as { result?: { outcomesKey?: string } };
      if (!output.result?.outcomesKey) throw new MigrationRunFailed(`the ${sideName} run ${runName} wrote no outcomes`);
      return { runName, outcomesKey: output.result.outcomesKey };
    }
    if (execution.status !== 'RUNNING') {
      throw new MigrationRunFailed(
        `the ${sideName} run ${runName} ended ${execution.status}${execution.error ? ` (${execution.error}: ${execution.cause ?? ''})` : ''}: run the same migration again to resume`,
      );
    }
    deps.onProgress?.(progressView(sideName, runName, await progress.read(runName), phaseStarts, now()));
    await sleep(deps.pollMs ?? 1000, deps.signal);
  }
}

function progressView(
  side: 'source' | 'target',
  runName: string,
  counters: Partial<Record<MigrationPhase, PhaseProgress>>,
  phaseStarts: Map<MigrationPhase, { at: number; done: number }>,
  now: number,
): MigrationProgressView {
  const phases = PHASES[side].filter((phase) => counters[phase] !== undefined);
  const phase = phases[phases.length - 1];
  if (!phase) return { side, phase: 'plan', runName };
  const progress = counters[phase] as PhaseProgress;
  const finished = progress.done + progress.failed;
  // The transfer and answer phases are counted once their approval arrived: until then nothing moves.
  if (finished === 0) return { side, phase: 'approval', runName, progress };
  const start = phaseStarts.get(phase) ?? { at: now, done: finished };
  phaseStarts.set(phase, start);
  const seconds = (now - start.at) / 1000;
  const rate = seconds > 0 ? (finished - start.done) / seconds : undefined;
  return { side, phase, runName, progress, rate, secondsLeft: rate ? (progress.total - finished) / rate : undefined };
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
  if (view.phase === 'approval') return `${label}: waiting for the ${view.side} approvers (${view.progress.total} certificates)`;
  const { total, done, failed } = view.progress;
  const finished = done + failed;
  const filled = total > 0 ? Math.round((finished / total) * width) : width;
  const rate = view.rate === undefined ? '-' : view.rate.toFixed(1);
  const left = view.secondsLeft === undefined ? '-' : `${Math.ceil(view.secondsLeft)}s`;
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] done ${done} failed ${failed} remaining ${total - finished} | ${rate}/s | ${left} left`;
}
