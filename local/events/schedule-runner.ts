import { randomUUID } from 'node:crypto';
import type { LocalStackResources } from '../cloudformation/cloudformation-template';

export interface ScheduledTarget {
  ruleName: string;
  ruleArn: string;
  accountId: string;
  region: string;
  intervalMs: number;
  functionArn: string;
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MS: Record<string, number> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

/** The enabled `rate(...)` EventBridge rules of a template whose targets are Lambda functions. */
export function scheduledTargetsOf(resources: LocalStackResources): ScheduledTarget[] {
  const { accountId, region } = resources.target;
  const targets: ScheduledTarget[] = [];
  for (const [logicalId, rule] of resources.resourcesOfType('AWS::Events::Rule')) {
    const properties = rule.Properties ?? {};
    const match = RATE.exec(String(properties.ScheduleExpression ?? ''));
    if (!match || (properties.State ?? 'ENABLED') !== 'ENABLED') continue;
    const ruleName = resources.physicalName(logicalId);
    for (const target of (properties.Targets as Array<{ Arn: unknown }> | undefined) ?? []) {
      const functionArn = String(resources.resolve(target.Arn));
      if (!functionArn.startsWith('arn:aws:lambda:')) continue;
      targets.push({
        ruleName,
        ruleArn: `arn:aws:events:${region}:${accountId}:rule/${ruleName}`,
        accountId,
        region,
        intervalMs: Number(match[1]) * (UNIT_MS[match[2] ?? 'minutes'] ?? 60_000),
        functionArn,
      });
    }
  }
  return targets;
}

/**
 * Runs scheduled rules in the sandbox: each target is invoked with a Scheduled Event
 * every interval × timeScale (never more often than every 200 ms), one run at a time.
 */
export class ScheduleRunner {
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly invoke: (functionArn: string, event: unknown) => Promise<unknown>,
    private readonly options: { timeScale: number; log?: (line: string) => void },
  ) {}

  start(target: ScheduledTarget): void {
    let running = false;
    const timer = setInterval(
      () => {
        if (running) return;
        running = true;
        this.runOnce(target)
          .catch((error: unknown) =>
            this.options.log?.(
              `schedule ${target.ruleName}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
            ),
          )
          .finally(() => {
            running = false;
          });
      },
      Math.max(200, target.intervalMs * this.options.timeScale),
    );
    timer.unref();
    this.timers.push(timer);
  }

  runOnce(target: ScheduledTarget): Promise<unknown> {
    return this.invoke(target.functionArn, {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: target.accountId,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: target.region,
      resources: [target.ruleArn],
      detail: {},
    });
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
  }
}
