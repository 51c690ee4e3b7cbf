import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { SandboxDescriptor } from '../../cli/cli-target';
import type { MigrationSide } from '../../cli/migration-job';
import { ApprovalStore } from '../../lambdas/approvals/approval-store';
import { StartRequestStore } from '../../lambdas/start-requests/start-request-store';
import { DynamoDbAuditTrail } from '../../lambdas/audit-trail/audit-trail';
import type { FaultSettings } from '../../local/iot/fault-injection';
import type { ExecutionRecord } from '../../local/stepfunctions/execution-store';
import type { Notification } from '../../local/notifications/notification-sink';
import type { SandboxOptions, SandboxPorts } from '../../local/sandbox';

/** What a test chooses for the spawned sandbox; the same settings on every restart. */
export interface SandboxLaunch {
  ports: SandboxPorts;
  /** @default E2E_TIME_SCALE */
  timeScale?: number;
  iot?: SandboxOptions['iot'];
  /** @default true */
  schedules?: boolean;
}

/** The line sandbox-process.ts prints once the sandbox is up, followed by its descriptor as JSON. */
export const SANDBOX_READY = 'SANDBOX_READY ';
const SANDBOX_PROCESS = path.join(__dirname, 'sandbox-process.ts');
const PORT_NAMES: Array<keyof SandboxPorts> = [
  'iot',
  'dynamodb',
  'stepfunctions',
  'sns',
  'apigateway',
  'secretsmanager',
  'lambda',
  's3',
  'events',
];

export class SandboxProcessFailed extends Error {
  override readonly name = 'SandboxProcessFailed';
}

/** Ports free on 127.0.0.1 right now, one per endpoint, so that every restart listens where the first start did. */
export async function freePorts(): Promise<SandboxPorts> {
  const servers = await Promise.all(
    PORT_NAMES.map(
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return Object.fromEntries(PORT_NAMES.map((name, index) => [name, ports[index] ?? 0])) as unknown as SandboxPorts;
}

/**
 * The sandbox in a child process on one data folder: started, SIGKILLed and started again
 * on the same folder and ports, as a machine that loses power and boots again would.
 */
export class SpawnedSandbox {
  private child?: ChildProcessWithoutNullStreams;
  private stderr = '';
  private restarting?: Promise<unknown>;
  /** How long each start took until the sandbox was up, in ms. */
  readonly startDurations: number[] = [];
  descriptor?: SandboxDescriptor;

  constructor(
    readonly dataDir: string,
    readonly launch: SandboxLaunch,
  ) {}

  /** Starts the process and resolves once it printed its descriptor. */
  async start(timeoutMs = 120_000): Promise<SandboxDescriptor> {
    if (this.child) throw new SandboxProcessFailed('the sandbox process is already running');
    const startedAt = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', SANDBOX_PROCESS, this.dataDir, JSON.stringify(this.launch)], {
      cwd: path.join(__dirname, '..', '..'),
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    this.child = child;
    this.stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new SandboxProcessFailed(`the sandbox was not up within ${timeoutMs} ms: ${this.stderr}`)),
        timeoutMs,
      );
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (text) => {
        if (!text.startsWith(SANDBOX_READY)) return;
        clearTimeout(timer);
        resolve(text.slice(SANDBOX_READY.length));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new SandboxProcessFailed(`the sandbox process ended (${String(code ?? signal)}) before it was up: ${this.stderr}`));
      });
    });
    this.startDurations.push(Date.now() - startedAt);
    const descriptor = JSON.parse(line) as SandboxDescriptor;
    if (this.descriptor && JSON.stringify(this.descriptor.endpoints) !== JSON.stringify(descriptor.endpoints)) {
      throw new SandboxProcessFailed(`the restarted sandbox listens elsewhere: ${JSON.stringify(descriptor.endpoints)}`);
    }
    this.descriptor = descriptor;
    return descriptor;
  }

  /** SIGKILL: nothing is flushed, no handler runs. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  async crashAndRestart(): Promise<void> {
    const restarted = (async () => {
      await this.kill();
      await this.start();
    })();
    this.restarting = restarted.catch(() => undefined);
    await restarted;
  }

  /** Resolves once a restart under way (if any) is over: for callers that go on after the sandbox went away under them. */
  async whenUp(): Promise<void> {
    await this.restarting;
  }

  /**
   * What the Step Functions engine has written down for an execution: its status and the
   * state it resumes at after a crash (the file ExecutionStore.flush names by the ARN's hash).
   * The API answers from memory, which runs ahead of this by the store's write debounce.
   */
  checkpointOf(executionArn: string): { status: string; resumesAt?: string } | undefined {
    const file = path.join(
      this.dataDir,
      'stepfunctions',
      'executions',
      `${createHash('sha256').update(executionArn).digest('hex').slice(0, 40)}.json`,
    );
    if (!existsSync(file)) return undefined;
    const record = JSON.parse(readFileSync(file, 'utf8')) as ExecutionRecord;
    return { status: record.status, resumesAt: record.cursor?.stateName };
  }

  get running(): boolean {
    return this.child !== undefined;
  }
}

/** Real SDK clients for each side of a spawned sandbox, found from its descriptor; they reach it across restarts. */
export class SandboxClients {
  private readonly clients: Array<{ destroy(): void }> = [];

  constructor(private readonly descriptor: SandboxDescriptor) {}

  private config(side: 'source' | 'target', service: keyof SandboxDescriptor['endpoints']) {
    return { region: this.descriptor.region, endpoint: this.descriptor.endpoints[service], credentials: this.descriptor.credentials[side] };
  }

  private track<Client extends { destroy(): void }>(client: Client): Client {
    this.clients.push(client);
    return client;
  }

  private output(side: 'source' | 'target', name: string): string {
    const value = this.descriptor.outputs[side === 'source' ? 'CertflowSource' : 'CertflowTarget']?.[name];
    if (!value) throw new SandboxProcessFailed(`the ${side} stack has no output ${name}`);
    return value;
  }

  get region(): string {
    return this.descriptor.region;
  }

  account(side: 'source' | 'target'): string {
    return this.descriptor.accounts[side];
  }

  stateMachineArn(
    side: 'source' | 'target',
    output: 'OutboundStateMachineArn' | 'ProposalReviewStateMachineArn' | 'InboundStateMachineArn' | 'MigrationStateMachineArn',
  ): string {
    return this.output(side, output);
  }

  /** The source's start API (StartApiUrl), where people start its outbound transfers. */
  startApiUrl(): string {
    return this.output('source', 'StartApiUrl');
  }

  /** The source's start-request table, for a test that records a start request as the API would. */
  startRequestStore(): StartRequestStore {
    return new StartRequestStore(
      this.track(new DynamoDBClient(this.config('source', 'dynamodb'))),
      this.output('source', 'StartRequestTableName'),
    );
  }

  iot(side: 'source' | 'target'): IoTClient {
    return this.track(new IoTClient(this.config(side, 'iot')));
  }

  sfn(side: 'source' | 'target'): SFNClient {
    return this.track(new SFNClient(this.config(side, 'stepfunctions')));
  }

  auditTrail(side: 'source' | 'target'): DynamoDbAuditTrail {
    return new DynamoDbAuditTrail(this.track(new DynamoDBClient(this.config(side, 'dynamodb'))), this.output(side, 'AuditTableName'));
  }

  approvalStore(side: 'source' | 'target'): ApprovalStore {
    return new ApprovalStore(this.track(new DynamoDBClient(this.config(side, 'dynamodb'))), this.output(side, 'ApprovalTableName'));
  }

  migrationSide(side: 'source' | 'target'): MigrationSide {
    return {
      accountId: this.account(side),
      sfn: this.sfn(side),
      s3: this.track(new S3Client({ ...this.config(side, 's3'), forcePathStyle: true })),
      dynamodb: this.track(new DynamoDBClient(this.config(side, 'dynamodb'))),
      stateMachineArn: this.output(side, 'MigrationStateMachineArn'),
      bucketName: this.output(side, 'MigrationBucketName'),
      progressTableName: this.output(side, 'MigrationProgressTableName'),
    };
  }

  /** What the SNS sink holds, oldest first: the approval notifications with their links. */
  async notifications(): Promise<Notification[]> {
    const response = await fetch(`${this.descriptor.endpoints.sns}/_certflow/notifications`);
    if (!response.ok) throw new SandboxProcessFailed(`GET /_certflow/notifications answered ${response.status}`);
    return ((await response.json()) as { notifications: Notification[] }).notifications;
  }

  /** Replaces the IoT endpoint's injected faults until it restarts ({} removes them). */
  async setIotFaults(faults: FaultSettings): Promise<void> {
    const response = await fetch(`${this.descriptor.endpoints.iot}/_certflow/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(faults),
    });
    if (!response.ok) throw new SandboxProcessFailed(`PUT /_certflow/faults answered ${response.status}: ${await response.text()}`);
  }

  destroy(): void {
    for (const client of this.clients.splice(0)) client.destroy();
  }
}
