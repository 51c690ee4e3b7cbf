import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { type HistoryEvent } from './execution-history';
import { type Json } from './json-value';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface StoredStateMachine {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: 'STANDARD' | 'EXPRESS';
  creationDate: number;
}

/**
 * Where a running execution is, at the top level of its definition: enough to resume it
 * after a restart (a Wait with its wake-up time, a callback task with its token).
 */
export interface ExecutionCursor {
  stateName: string;
  stateInput: Json;
  enteredTime: string;
  /** The id of the StateEntered event (absent in checkpoints written before it was kept). */
  enteredEventId?: number;
  /** Retries done so far, per Retrier index. */
  retriesDone: number[];
  waitUntil?: number;
  callback?: {
    token: string;
    /** The function has been invoked with the token: a resumed task must not invoke it again. */
    invoked: boolean;
    timeoutAt?: number;
    heartbeatSeconds?: number;
    heartbeatAt?: number;
    /**
     * The SendTaskSuccess / SendTaskFailure answer, written before the API answered:
     * a resumed task takes it instead of waiting again.
     */
    decision?: TaskDecision;
  };
}

/** A callback task's answer as it is kept on disk. */
export type TaskDecision = { kind: 'success'; output: Json } | { kind: 'failure'; error: string; cause: string };

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  traceHeader?: string;
  /** The definition the execution started with (DescribeStateMachineForExecution, resuming). */
  definition: string;
  roleArn: string;
  /** Epoch ms at which the state machine's TimeoutSeconds ends the execution. */
  timeoutAt?: number;
  cursor?: ExecutionCursor;
  /** Every token the execution issued, so a late SendTask* is told TaskTimedOut after a restart. */
  taskTokens: string[];
}

/**
 * Keeps state machines and executions in a data folder: one JSON file per execution
 * (rewritten atomically: temp file + rename) and its history appended as JSON lines,
 * so a write costs what changed, not what the engine holds. Every change is written when
 * it is made. Without a data folder it keeps nothing.
 */
export class ExecutionStore {
  private readonly executionsDir?: string;
  private readonly stateMachinesFile?: string;
  private readonly dirty = new Map<string, { record: ExecutionRecord; events: readonly HistoryEvent[] }>();
  private readonly eventsWritten = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(dataDir: string | undefined) {
    if (!dataDir) return;
    this.executionsDir = path.join(dataDir, 'executions');
    this.stateMachinesFile = path.join(dataDir, 'state-machines.json');
    mkdirSync(this.executionsDir, { recursive: true });
  }

  loadStateMachines(): StoredStateMachine[] {
    if (!this.stateMachinesFile || !existsSync(this.stateMachinesFile)) return [];
    return JSON.parse(readFileSync(this.stateMachinesFile, 'utf8')) as StoredStateMachine[];
  }

  saveStateMachines(stateMachines: StoredStateMachine[]): void {
    if (this.stateMachinesFile) writeAtomically(this.stateMachinesFile, JSON.stringify(stateMachines));
  }

  loadExecutions(): Array<{ record: ExecutionRecord; events: HistoryEvent[] }> {
    const dir = this.executionsDir;
    if (!dir) return [];
    const loaded: Array<{ record: ExecutionRecord; events: HistoryEvent[] }> = [];
    for (const file of readdirSync(dir)) {
      if (!file.endsWith('.json')) continue;
      const record = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as ExecutionRecord;
      const eventsFile = path.join(dir, file.replace(/\.json$/, '.events.jsonl'));
      const events: HistoryEvent[] = [];
      if (existsSync(eventsFile)) {
        for (const line of readFileSync(eventsFile, 'utf8').split('\n')) if (line) events.push(JSON.parse(line) as HistoryEvent);
      }
      this.eventsWritten.set(record.executionArn, events.length);
      loaded.push({ record, events });
    }
    return loaded.sort((left, right) => left.record.startDate - right.record.startDate);
  }

  /** Writes the execution's record and new events now: for what the API must not answer before it is on disk. */
  saveNow(record: ExecutionRecord, events: readonly HistoryEvent[]): void {
    this.save(record, events);
    this.flush();
  }

  /**
   * Writes the execution's record and new events at once. (Debouncing them lost a step's
   * progress to a kill right after it: the step then ran again on a record that had moved on.)
   */
  save(record: ExecutionRecord, events: readonly HistoryEvent[]): void {
    if (!this.executionsDir) return;
    this.dirty.set(record.executionArn, { record, events });
    this.flush();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const dir = this.executionsDir;
    if (!dir) return;
    for (const [executionArn, { record, events }] of this.dirty) {
      const base = path.join(dir, createHash('sha256').update(executionArn).digest('hex').slice(0, 40));
      const written = this.eventsWritten.get(executionArn) ?? 0;
      if (events.length > written) {
        appendFileSync(
          `${base}.events.jsonl`,
          events
            .slice(written)
            .map((event) => `${JSON.stringify(event)}\n`)
            .join(''),
        );
        this.eventsWritten.set(executionArn, events.length);
      }
      writeAtomically(`${base}.json`, JSON.stringify(record));
    }
    this.dirty.clear();
  }
}

function writeAtomically(file: string, content: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, file);
}
