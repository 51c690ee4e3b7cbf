import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  LocalEventBridge,
  startEventBridgeEndpoint,
  type EventBridgeEndpoint,
  type LocalEventBridgeOptions,
} from '../../../local/eventbridge';
import { credentialsFor } from '../../../local/sandbox-accounts';

export const REGION = 'us-east-1';
export const SOURCE = '111111111111';
export const TARGET = '222222222222';
export const functionArn = (accountId: string, name: string) => `arn:aws:lambda:${REGION}:${accountId}:function:${name}`;

/**
 * Lambda stand-ins: each records what it got; `failures` makes the next N invocations of a
 * function throw, and a function in `missing` answers ResourceNotFoundException as the sandbox's invoke does.
 */
export function recordingFunctions() {
  const invocations: Array<{ functionArn: string; event: Record<string, unknown> }> = [];
  const failures = new Map<string, number>();
  const missing = new Set<string>();
  const invoke: LocalEventBridgeOptions['invoke'] = async (arn, event) => {
    if (missing.has(arn)) throw Object.assign(new Error(`Function not found: ${arn}`), { name: 'ResourceNotFoundException' });
    invocations.push({ functionArn: arn, event: event as Record<string, unknown> });
    const left = failures.get(arn) ?? 0;
    if (left > 0) {
      failures.set(arn, left - 1);
      throw Object.assign(new Error('function failed'), { name: 'Error' });
    }
    return { ok: true };
  };
  return {
    invocations,
    failures,
    missing,
    invoke,
    of: (arn: string) => invocations.filter((invocation) => invocation.functionArn === arn).map((invocation) => invocation.event),
  };
}

export interface EventBridgeFixture {
  engine: LocalEventBridge;
  endpoint: EventBridgeEndpoint;
  client(accountId: string): EventBridgeClient;
  close(): Promise<void>;
}

export async function startEventBridgeFixture(
  options: Partial<LocalEventBridgeOptions> & Pick<LocalEventBridgeOptions, 'invoke'>,
): Promise<EventBridgeFixture> {
  const engine = new LocalEventBridge({ region: REGION, timeScale: 0.001, random: () => 0.5, ...options });
  engine.start();
  const endpoint = await startEventBridgeEndpoint(engine);
  const clients: EventBridgeClient[] = [];
  return {
    engine,
    endpoint,
    client(accountId) {
      const client = new EventBridgeClient({
        region: REGION,
        endpoint: endpoint.url,
        credentials: credentialsFor(accountId),
        maxAttempts: 1,
      });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.destroy();
      await endpoint.close();
      await engine.close();
    },
  };
}

export async function eventually<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
