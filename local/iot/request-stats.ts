import type { IotOperation } from './iot-operations';

export interface OperationCounts {
  requests: number;
  throttled: number;
  faulted: number;
}

/** What GET /_certflow/stats answers: counts in total and per account and Action. */
export interface IotRequestStats {
  total: OperationCounts;
  accounts: Record<string, Partial<Record<IotOperation, OperationCounts>>>;
}

export type RequestOutcome = 'run' | 'throttled' | 'faulted';

function zero(): OperationCounts {
  return { requests: 0, throttled: 0, faulted: 0 };
}

export class RequestStats {
  private stats: IotRequestStats = { total: zero(), accounts: {} };

  record(accountId: string, operation: IotOperation, outcome: RequestOutcome): void {
    const account = (this.stats.accounts[accountId] ??= {});
    const counts = (account[operation] ??= zero());
    for (const target of [counts, this.stats.total]) {
      target.requests += 1;
      if (outcome === 'throttled') target.throttled += 1;
      if (outcome === 'faulted') target.faulted += 1;
    }
  }

  snapshot(): IotRequestStats {
    return structuredClone(this.stats);
  }

  reset(): void {
    this.stats = { total: zero(), accounts: {} };
  }
}
