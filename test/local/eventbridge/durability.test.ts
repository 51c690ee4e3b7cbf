import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { LocalEventBridge } from '../../../local/eventbridge';
import { credentialsFor } from '../../../local/sandbox-accounts';
import { eventually, recordingFunctions, SOURCE } from './eventbridge-fixture';

const CHILD = path.join(__dirname, 'durability-child.ts');

describe('local EventBridge on a data folder', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'certflow-events-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('delivers every event PutEvents accepted after the process is SIGKILLed right after answering', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir], {
      cwd: path.join(__dirname, '..', '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let client: EventBridgeClient | undefined;
    try {
      const line = await eventually(
        `the child's endpoint (stderr: ${stderr})`,
        () => stdout.split('\n').find((text) => text.startsWith('{')),
        30_000,
      );
      const { url } = JSON.parse(line) as { url: string };
      client = new EventBridgeClient({ region: 'us-east-1', endpoint: url, credentials: credentialsFor(SOURCE), maxAttempts: 1 });
      const answer = await client.send(
        new PutEventsCommand({
          Entries: [1, 2, 3].map((n) => ({
            Source: 'certflow.transfer',
            DetailType: 'TransferProposed',
            Detail: JSON.stringify({ n }),
            EventBusName: 'certflow',
          })),
        }),
      );
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      expect(answer.FailedEntryCount).toBe(0);
      const accepted = (answer.Entries ?? []).map((entry) => entry.EventId);

      const functions = recordingFunctions();
      const restarted = new LocalEventBridge({ region: 'us-east-1', dataDir, invoke: functions.invoke, timeScale: 0.001 });
      try {
        expect(restarted.rule('proposals', 'certflow', SOURCE).targets).toEqual([
          { id: 'receiver', arn: 'arn:aws:lambda:us-east-1:111111111111:function:receiver' },
        ]);
        restarted.start();
        await eventually('the redelivery', () => functions.invocations.length >= 3);
        await restarted.settled();
        expect(functions.invocations.map((invocation) => invocation.event.id).sort()).toEqual([...accepted].sort());
        expect(functions.invocations.map((invocation) => invocation.event.detail)).toEqual(
          expect.arrayContaining([{ n: 1 }, { n: 2 }, { n: 3 }]),
        );
      } finally {
        await restarted.close();
      }
      const again = new LocalEventBridge({ region: 'us-east-1', dataDir, invoke: functions.invoke });
      expect(again.pendingDeliveries()).toEqual([]);
      await again.close();
    } finally {
      client?.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('keeps buses, rules, targets and policies, and nothing at all without a data folder', async () => {
    const first = new LocalEventBridge({ region: 'us-east-1', dataDir, invoke: async () => undefined });
    first.createEventBus({ name: 'inbound' }, SOURCE);
    first.putPermissionStatement('inbound', SOURCE, {
      Sid: 'peer',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::222222222222:root' },
      Action: 'events:PutEvents',
    });
    first.putRule({ name: 'r', eventBusName: 'inbound', eventPattern: '{"source":["x"]}' }, SOURCE);
    first.putTargets('r', 'inbound', SOURCE, [
      { id: 't', arn: 'arn:aws:lambda:us-east-1:111111111111:function:f', retryPolicy: { MaximumRetryAttempts: 4 } },
    ]);
    await first.close();
    const second = new LocalEventBridge({ region: 'us-east-1', dataDir, invoke: async () => undefined });
    expect(second.eventBus('inbound', SOURCE).policy?.Statement).toEqual([expect.objectContaining({ Sid: 'peer' })]);
    expect(second.rule('r', 'inbound', SOURCE)).toMatchObject({
      eventPattern: '{"source":["x"]}',
      targets: [expect.objectContaining({ id: 't', retryPolicy: { MaximumRetryAttempts: 4 } })],
    });
    await second.close();
    const inMemory = new LocalEventBridge({ region: 'us-east-1', invoke: async () => undefined });
    expect(inMemory.findEventBus('inbound', SOURCE)).toBeUndefined();
    await inMemory.close();
  });
});
