import type { PhaseProgress } from '../lambdas/migration/migration-progress';
import { keyValueLines, parsedJson, table, timeWithRelative, type KeyValueRow } from './cli-output';
import { CliUsageError, type Side } from './cli-target';

export interface ExecutionArnParts {
  region: string;
  account: string;
  stateMachineName: string;
  executionName: string;
}

const EXECUTION_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):execution:([^:]+):([^:]+)$/;

export function parseExecutionArn(value: string): ExecutionArnParts {
  const match = EXECUTION_ARN.exec(value);
  if (!match)
    throw new CliUsageError(
      `EXECUTION_ARN: must be a Step Functions execution ARN, arn:aws:states:REGION:ACCOUNT:execution:STATE_MACHINE:NAME (got ${value})`,
    );
  const [, region = '', account = '', stateMachineName = '', executionName = ''] = match;
  return { region, account, stateMachineName, executionName };
}

/** The side whose account the ARN names; `--side` decides only when the accounts are not known. */
export function sideOfAccount(account: string, accounts: Partial<Record<Side, string>>, explicit?: Side): Side {
  const inferred = (Object.entries(accounts) as Array<[Side, string]>).find(([, known]) => known === account)?.[0];
  if (inferred && explicit && inferred !== explicit) {
    throw new CliUsageError(`--side: the ARN names account ${account}, the ${inferred} account, not the ${explicit} one`);
  }
  if (inferred) return inferred;
  if (explicit) return explicit;
  const known = (Object.entries(accounts) as Array<[Side, string]>).map(([side, id]) => `${side} ${id}`).join(', ');
  throw new CliUsageError(
    `EXECUTION_ARN: names account ${account}, which is neither side's account (${known || 'none known'}): pass --side`,
  );
}

/** Outcomes of a transfer that moved the certificate; any other outcome means it did not move. */
export const SUCCESS_OUTCOMES: readonly string[] = ['TRANSFERRED', 'LANDED', 'ACCEPTED'];

/** Execution statuses that mean the workflow did not run to its end. */
export const FAILED_STATUSES: readonly string[] = ['FAILED', 'TIMED_OUT', 'ABORTED'];

/** One human decision a workflow recorded in its output (`sourceApproval`, `targetDecision`, ...). */
export interface DecisionView {
  /** The output field that held it. */
  step: string;
  decision: string;
  by?: string;
  at?: string;
  rejectReason?: string;
  setAsActive?: boolean;
}

export interface ExecutionView {
  executionArn: string;
  side: Side;
  account: string;
  stateMachineName: string;
  status: string;
  outcome?: string;
  currentState?: string;
  startDate?: string;
  stopDate?: string;
  certificateId?: string;
  migrationId?: string;
  sourceAwsAccount?: string;
  targetAwsAccount?: string;
  requestedBy?: string;
  decisions: DecisionView[];
  downtimeSeconds?: number;
  error?: string;
  /** The cause as data: parsed when it is JSON (a Lambda error's errorType and errorMessage, ...). */
  cause?: unknown;
  /** A finished migration run: certificates by outcome. */
  counts?: Record<string, number>;
  /** A running migration run: each phase's counters. */
  progress?: Partial<Record<string, PhaseProgress>>;
}

export interface DescribedExecution {
  executionArn?: string;
  status?: string;
  startDate?: Date;
  stopDate?: Date;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const stringOf = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

/** Every top-level object of the output that holds a `decision`: the workflows' approval and decision records. */
export function decisionsOf(output: unknown): DecisionView[] {
  if (!isObject(output)) return [];
  return Object.entries(output).flatMap(([step, value]): DecisionView[] => {
    if (!isObject(value)) return [];
    const decision = stringOf(value.decision);
    if (!decision) return [];
    return [
      {
        step,
        decision,
        by: stringOf(value.approvedBy) ?? stringOf(value.decidedBy),
        at: stringOf(value.decidedAt),
        rejectReason: stringOf(value.rejectReason),
        // Only a target's decision sets a certificate ACTIVE; the source's carries false.
        ...(typeof value.setAsActive === 'boolean' && !/^source/i.test(step) ? { setAsActive: value.setAsActive } : {}),
      },
    ];
  });
}

/** A cause parsed as deep as it goes: a Fail state's `{Error, Cause}` whose Cause is a Lambda error's JSON, ... */
export function parsedCause(cause: string | undefined): unknown {
  const parsed = parsedJson(cause);
  if (isObject(parsed) && typeof parsed.Cause === 'string') return { ...parsed, Cause: parsedCause(parsed.Cause) };
  return parsed;
}

/** The cause in one line: the innermost error type and message. */
export function causeLine(cause: unknown): string | undefined {
  if (cause === undefined || cause === null || cause === '') return undefined;
  if (typeof cause === 'string') return cause;
  if (!isObject(cause)) return JSON.stringify(cause);
  if (cause.Cause !== undefined) return causeLine(cause.Cause);
  const type = stringOf(cause.errorType) ?? stringOf(cause.Error);
  const message = stringOf(cause.errorMessage) ?? stringOf(cause.message);
  if (message) return type ? `${type}: ${message}` : message;
  return JSON.stringify(cause);
}

export function executionView(
  described: DescribedExecution,
  context: { side: Side; arn: ExecutionArnParts; currentState?: string; progress?: Partial<Record<string, PhaseProgress>> },
): ExecutionView {
  const input = parsedJson(described.input);
  const output = parsedJson(described.output);
  const fromInput = (name: string) => (isObject(input) ? stringOf(input[name]) : undefined);
  const result = isObject(output) && isObject(output.result) ? output.result : undefined;
  const counts = result && isObject(result.counts) ? (result.counts as Record<string, number>) : undefined;
  const downtime = isObject(output) && typeof output.downtimeSeconds === 'number' ? output.downtimeSeconds : undefined;
  return {
    executionArn: described.executionArn ?? '',
    side: context.side,
    account: context.arn.account,
    stateMachineName: context.arn.stateMachineName,
    status: described.status ?? 'UNKNOWN',
    outcome: isObject(output) ? stringOf(output.outcome) : undefined,
    currentState: described.status === 'RUNNING' ? context.currentState : undefined,
    startDate: described.startDate?.toISOString(),
    stopDate: described.stopDate?.toISOString(),
    certificateId: fromInput('certificateId'),
    migrationId: fromInput('migrationId'),
    sourceAwsAccount: fromInput('sourceAwsAccount'),
    targetAwsAccount: fromInput('targetAwsAccount'),
    requestedBy: fromInput('requestedBy'),
    decisions: decisionsOf(output),
    ...(downtime === undefined ? {} : { downtimeSeconds: downtime }),
    error: stringOf(described.error),
    cause: parsedCause(stringOf(described.cause)),
    ...(counts ? { counts } : {}),
    ...(context.progress && Object.keys(context.progress).length > 0 ? { progress: context.progress } : {}),
  };
}

function decisionLine(decision: DecisionView): string {
  const parts = [decision.decision, decision.by ? `by ${decision.by}` : undefined, decision.at ? `at ${decision.at}` : undefined];
  const activate =
    decision.setAsActive === undefined || decision.decision !== 'APPROVED'
      ? undefined
      : decision.setAsActive
        ? 'set ACTIVE'
        : 'left INACTIVE';
  return [parts.filter(Boolean).join(' '), activate].filter(Boolean).join(', ');
}

/** A label for an output field: `sourceApproval` → `source approval`. */
function stepLabel(step: string): string {
  return step.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

export function renderExecutionView(view: ExecutionView, now: Date = new Date()): string {
  const rows: KeyValueRow[] = [
    ['execution', view.executionArn],
    ['workflow', `${view.stateMachineName} (${view.side} ${view.account})`],
    ['status', view.status],
    ['outcome', view.outcome],
    ['state', view.currentState],
    ['certificate', view.certificateId],
    ['migration', view.migrationId],
    ['from', view.sourceAwsAccount],
    ['to', view.targetAwsAccount],
    ['requested by', view.requestedBy],
    ['started', timeWithRelative(view.startDate, now)],
    ['stopped', timeWithRelative(view.stopDate, now)],
  ];
  for (const decision of view.decisions) {
    rows.push([stepLabel(decision.step), decisionLine(decision)]);
    if (decision.rejectReason) rows.push(['  why', decision.rejectReason]);
  }
  if (view.downtimeSeconds !== undefined) rows.push(['downtime', `${view.downtimeSeconds} s`]);
  rows.push(['error', view.error], ['cause', causeLine(view.cause)]);
  const blocks = [keyValueLines(rows)];
  if (view.counts) {
    blocks.push(
      table(
        ['OUTCOME', 'CERTIFICATES'],
        Object.entries(view.counts).map(([outcome, count]) => [outcome, String(count)]),
      ),
    );
  }
  if (view.progress) {
    blocks.push(
      table(
        ['PHASE', 'TOTAL', 'DONE', 'FAILED', 'REMAINING'],
        Object.entries(view.progress).map(([phase, progress]) =>
          progress
            ? [
                phase,
                String(progress.total),
                String(progress.done),
                String(progress.failed),
                String(progress.total - progress.done - progress.failed),
              ]
            : [phase],
        ),
      ),
    );
  }
  return blocks.join('\n\n');
}

/** Why an execution that ended is not a success, in one line; undefined when it is one. */
export function unsuccessfulEnd(view: ExecutionView): string | undefined {
  if (FAILED_STATUSES.includes(view.status))
    return `the execution ended ${view.status}${view.error ? `: ${view.error}` : ''}${causeLine(view.cause) ? ` (${causeLine(view.cause)})` : ''}`;
  if (view.status === 'SUCCEEDED' && view.outcome !== undefined && !SUCCESS_OUTCOMES.includes(view.outcome)) {
    const rejected = view.decisions.find((decision) => decision.decision === 'REJECTED');
    const why = rejected
      ? `: rejected by ${rejected.by ?? 'an approver'}${rejected.rejectReason ? ` (${rejected.rejectReason})` : ''}`
      : '';
    return `the transfer ended ${view.outcome}${why}`;
  }
  return undefined;
}
