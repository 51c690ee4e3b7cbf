type Json = unknown;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  /** Epoch milliseconds. */
  timestamp: number;
  type: string;
  details?: { key: string; value: Record<string, Json> };
}

/** Where a running execution is, saved at each step so a restart can resume it. */
export interface ExecutionPosition {
  stateName: string;
  /** The state's raw input (before InputPath). */
  input: Json;
  enteredAt: number;
  retryCount: number;
  /** A Wait state: when it ends (epoch ms, real time). */
  waitUntil?: number;
  /** A callback task whose function was invoked: its token, waited on again after a restart. */
  taskToken?: string;
  /** When the task times out (epoch ms, real time). */
  taskDeadline?: number;
}

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  events: HistoryEvent[];
  position?: ExecutionPosition;
  /** The state machine's TimeoutSeconds, as a real-time deadline. */
  deadline?: number;
}

export function accountOfArn(arn: string): string {
  return arn.split(':')[4] ?? '';
}
