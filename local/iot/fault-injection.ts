import type { IotOperation } from './iot-operations';

/** Errors a fault can answer with: the retryable ones a workflow must survive. */
export const INJECTABLE_ERRORS = ['ServiceUnavailableException', 'InternalFailureException', 'ThrottlingException'] as const;
export type InjectableError = (typeof INJECTABLE_ERRORS)[number];

export interface OperationFault {
  /** Delay before the request is answered, faulted or not. */
  latencyMs?: number;
  /** Share of requests, from 0 to 1, answered with `errorType` instead of being run. */
  errorRate?: number;
  /** Default ServiceUnavailableException. */
  errorType?: InjectableError;
}

export type FaultSettings = Partial<Record<IotOperation, OperationFault>>;

export interface FaultDecision {
  latencyMs: number;
  error?: InjectableError;
}

/** Decides, request by request, whether an Action is slowed down or fails; `random` makes it deterministic in tests. */
export class FaultInjection {
  private settings: FaultSettings = {};

  constructor(
    settings: FaultSettings | undefined,
    private readonly random: () => number = Math.random,
  ) {
    this.configure(settings);
  }

  configure(settings: FaultSettings | undefined): void {
    this.settings = { ...(settings ?? {}) };
  }

  current(): FaultSettings {
    return { ...this.settings };
  }

  decide(operation: IotOperation): FaultDecision {
    const fault = this.settings[operation];
    if (!fault) return { latencyMs: 0 };
    const latencyMs = Math.max(0, fault.latencyMs ?? 0);
    const errorRate = fault.errorRate ?? 0;
    if (errorRate > 0 && this.random() < errorRate) {
      return { latencyMs, error: fault.errorType ?? 'ServiceUnavailableException' };
    }
    return { latencyMs };
  }
}

/** Checks fault settings that arrive as JSON (PUT /_certflow/faults); returns the problem, if any. */
export function faultSettingsProblem(value: unknown, isOperation: (name: string) => boolean): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'faults must be an object keyed by operation name';
  for (const [operation, fault] of Object.entries(value)) {
    if (!isOperation(operation)) return `${operation} is not an operation of this endpoint`;
    if (typeof fault !== 'object' || fault === null) return `${operation}: must be an object`;
    const { latencyMs, errorRate, errorType } = fault as Record<string, unknown>;
    if (latencyMs !== undefined && (typeof latencyMs !== 'number' || latencyMs < 0)) return `${operation}.latencyMs: must be a number >= 0`;
    if (errorRate !== undefined && (typeof errorRate !== 'number' || errorRate < 0 || errorRate > 1))
      return `${operation}.errorRate: must be a number from 0 to 1`;
    if (errorType !== undefined && !(INJECTABLE_ERRORS as readonly unknown[]).includes(errorType)) {
      return `${operation}.errorType: must be one of ${INJECTABLE_ERRORS.join(', ')}`;
    }
  }
  return undefined;
}
