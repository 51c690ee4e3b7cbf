/** The event types this engine records (the names GetExecutionHistory answers with). */
export type HistoryEventType =
  | 'ExecutionStarted'
  | 'ExecutionSucceeded'
  | 'ExecutionFailed'
  | 'ExecutionAborted'
  | 'ExecutionTimedOut'
  | `${'Pass' | 'Task' | 'Choice' | 'Wait' | 'Succeed' | 'Parallel' | 'Map'}StateEntered`
  | `${'Pass' | 'Task' | 'Choice' | 'Wait' | 'Succeed' | 'Parallel' | 'Map'}StateExited`
  | 'FailStateEntered'
  | 'TaskStateAborted'
  | 'WaitStateAborted'
  | 'TaskScheduled'
  | 'TaskStarted'
  | 'TaskSubmitted'
  | 'TaskSucceeded'
  | 'TaskFailed'
  | 'TaskTimedOut'
  | 'LambdaFunctionScheduled'
  | 'LambdaFunctionStarted'
  | 'LambdaFunctionSucceeded'
  | 'LambdaFunctionFailed'
  | 'LambdaFunctionTimedOut'
  | 'ParallelStateStarted'
  | 'ParallelStateSucceeded'
  | 'ParallelStateFailed'
  | 'ParallelStateAborted'
  | 'MapStateStarted'
  | 'MapStateSucceeded'
  | 'MapStateFailed'
  | 'MapStateAborted'
  | 'MapIterationStarted'
  | 'MapIterationSucceeded'
  | 'MapIterationFailed'
  | 'MapIterationAborted'
  | 'MapRunStarted'
  | 'MapRunSucceeded'
  | 'MapRunFailed'
  | 'MapRunAborted';

export type EventDetails = Record<string, string | number | boolean | { truncated: boolean } | undefined>;

/**
 * One history event as stored: `timestamp` in epoch milliseconds, details under the key
 * the API uses (`taskScheduledEventDetails`, `stateEnteredEventDetails`, ...).
 */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: HistoryEventType;
  detailsKey?: string;
  details?: EventDetails;
}

/** Where each event type keeps its details in the API (types absent here carry none). */
const DETAILS_KEYS: Partial<Record<HistoryEventType, string>> = {
  ExecutionStarted: 'executionStartedEventDetails',
  ExecutionSucceeded: 'executionSucceededEventDetails',
  ExecutionFailed: 'executionFailedEventDetails',
  ExecutionAborted: 'executionAbortedEventDetails',
  ExecutionTimedOut: 'executionTimedOutEventDetails',
  TaskScheduled: 'taskScheduledEventDetails',
  TaskStarted: 'taskStartedEventDetails',
  TaskSubmitted: 'taskSubmittedEventDetails',
  TaskSucceeded: 'taskSucceededEventDetails',
  TaskFailed: 'taskFailedEventDetails',
  TaskTimedOut: 'taskTimedOutEventDetails',
  LambdaFunctionScheduled: 'lambdaFunctionScheduledEventDetails',
  LambdaFunctionSucceeded: 'lambdaFunctionSucceededEventDetails',
  LambdaFunctionFailed: 'lambdaFunctionFailedEventDetails',
  LambdaFunctionTimedOut: 'lambdaFunctionTimedOutEventDetails',
  MapStateStarted: 'mapStateStartedEventDetails',
  MapIterationStarted: 'mapIterationStartedEventDetails',
  MapIterationSucceeded: 'mapIterationSucceededEventDetails',
  MapIterationFailed: 'mapIterationFailedEventDetails',
  MapIterationAborted: 'mapIterationAbortedEventDetails',
  MapRunStarted: 'mapRunStartedEventDetails',
  MapRunFailed: 'mapRunFailedEventDetails',
};

function detailsKeyOf(type: HistoryEventType): string | undefined {
  if (type.endsWith('StateEntered') || type === 'FailStateEntered') return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return DETAILS_KEYS[type];
}

/** The fields that carry execution data, left out when GetExecutionHistory has includeExecutionData false. */
const DATA_FIELDS = new Set(['input', 'output', 'parameters']);

/** An execution's events, appended in O(1); ids count from 1 in the order events happen. */
export class ExecutionHistory {
  readonly events: HistoryEvent[];

  constructor(events: HistoryEvent[] = []) {
    this.events = events;
  }

  get lastEventId(): number {
    return this.events.length;
  }

  add(type: HistoryEventType, previousEventId: number, details?: EventDetails, timestamp = Date.now()): number {
    const id = this.events.length + 1;
    const detailsKey = detailsKeyOf(type);
    const event: HistoryEvent = { id, previousEventId, timestamp, type };
    if (detailsKey && details) {
      event.detailsKey = detailsKey;
      event.details = details;
    }
    this.events.push(event);
    return id;
  }
}

/** An event in the API's shape. */
export function historyEventForApi(event: HistoryEvent, includeExecutionData: boolean): Record<string, unknown> {
  const shaped: Record<string, unknown> = {
    timestamp: new Date(event.timestamp),
    type: event.type,
    id: event.id,
    previousEventId: event.previousEventId,
  };
  if (event.detailsKey && event.details) {
    const details: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(event.details)) {
      if (value === undefined) continue;
      if (!includeExecutionData && DATA_FIELDS.has(key)) continue;
      details[key] = value;
    }
    shaped[event.detailsKey] = details;
  }
  return shaped;
}

/**
 * The history of a Distributed Map's child execution: event ids advance but no event is
 * kept, so thousands of children cost the parent neither history nor memory.
 */
export class DiscardedHistory extends ExecutionHistory {
  private count = 0;

  override get lastEventId(): number {
    return this.count;
  }

  override add(): number {
    this.count += 1;
    return this.count;
  }
}
