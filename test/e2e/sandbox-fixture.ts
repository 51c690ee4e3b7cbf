import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateKeysAndCertificateCommand, IoTClient } from '@aws-sdk/client-iot';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { ApprovalStore } from '../../lambdas/approvals/approval-store';
import { DynamoDbAuditTrail } from '../../lambdas/audit-trail/audit-trail';
import type { AuditRow } from '../../lambdas/audit-trail/audit-row';
import { PROJECT_ROOT } from '../../local/cloudformation/cloud-assembly';
import { ANY_FREE_PORTS, startSandbox, type Sandbox, type SandboxOptions } from '../../local/sandbox';
import { credentialsFor, principalCredentialsFor } from '../../local/sandbox-accounts';
import { startWorkflowExecution } from '../../cli/start-request-client';
import { StartRequestStore } from '../../lambdas/start-requests/start-request-store';
import type { StartableWorkflow } from '../../lambdas/start-requests/start-request-rules';

/**
 * Deadlines short enough to pass in a test, with time running 500 times faster:
 * the 60-minute approval deadline passes in 7.2 s, the 120-minute transfer deadline
 * after 14.4 s of polling, and the 60-second first poll takes 0.12 s.
 */
export const E2E_CONTEXT = {
  'certflow:approvalDeadlineMinutes': '60',
  'certflow:reminderLeadMinutes': '10',
  'certflow:transferDeadlineMinutes': '120',
  'certflow:minPollSeconds': '60',
  'certflow:maxPollSeconds': '600',
  // Migrations pace themselves to this quota; their test raises the emulator's quotas to match.
  'certflow:iotRequestsPerSecond': '100',
  // Small batches, so that a migration test can stop a run between them.
  'certflow:migrationBatchSize': '10',
  // A migration's batches wait for their offers up to this long: scaled, 600 minutes are 72 s, room for a loaded CI machine.
  'certflow:cutoverTimeoutMinutes': '600',
};
export const E2E_TIME_SCALE = 0.002;
export const E2E_ASSEMBLY = path.join(PROJECT_ROOT, 'cdk.out.e2e');

/** Emulator quotas for E2E_CONTEXT's 100 requests per second: a few hundred certificates migrate in seconds. */
export const E2E_MIGRATION_QUOTAS = Object.fromEntries(
  [
    'TransferCertificate',
    'AcceptCertificateTransfer',
    'RejectCertificateTransfer',
    'CancelCertificateTransfer',
    'DescribeCertificate',
    'ListCertificates',
    'ListOutgoingCertificates',
    'UpdateCertificate',
    'ListAttachedPolicies',
    'ListPrincipalThings',
    'AttachPolicy',
    'DetachPolicy',
    'ListPolicies',
    'ListTargetsForPolicy',
    'GetPolicy',
    'DescribeThing',
    'DescribeThingType',
    'CreateThing',
    'AttachThingPrincipal',
    'DetachThingPrincipal',
  ].map((action) => [action, 100]),
);

export interface SandboxFixture {
  sandbox: Sandbox;
  dataDir: string;
  iot(account: string, maxAttempts?: number): IoTClient;
  sfn(account: string): SFNClient;
  auditTrail(account: string, stackName: string): DynamoDbAuditTrail;
  /** The stack's approval request table, where task tokens are kept server-side. */
  approvalStore(account: string, stackName: string): ApprovalStore;
  /** The source stack's start-request table (what the start API recorded). */
  startRequestStore(account: string): StartRequestStore;
  close(): Promise<void>;
}

/** A whole sandbox on free ports with its own data folder, and real SDK clients for each account. */
export async function startSandboxFixture(options: Partial<SandboxOptions> = {}): Promise<SandboxFixture> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'certflow-e2e-'));
  const sandbox = await startSandbox({
    ports: ANY_FREE_PORTS,
    dataDir,
    assemblyDir: E2E_ASSEMBLY,
    context: E2E_CONTEXT,
    timeScale: E2E_TIME_SCALE,
    schedules: false,
    descriptorFile: path.join(dataDir, 'sandbox.json'),
    ...options,
  });
  const clients: Array<{ destroy(): void }> = [];
  const track = <Client extends { destroy(): void }>(client: Client): Client => {
    clients.push(client);
    return client;
  };
  const base = (account: string) => ({ region: sandbox.region, credentials: credentialsFor(account) });
  return {
    sandbox,
    dataDir,
    iot: (account, maxAttempts) => track(new IoTClient({ ...base(account), endpoint: sandbox.endpoints.iot, maxAttempts })),
    sfn: (account) => track(new SFNClient({ ...base(account), endpoint: sandbox.endpoints.stepfunctions })),
    auditTrail: (account, stackName) => {
      const tableName = sandbox.stacks[stackName]?.outputs.AuditTableName;
      if (!tableName) throw new Error(`${stackName} has no AuditTableName output`);
      return new DynamoDbAuditTrail(track(new DynamoDBClient({ ...base(account), endpoint: sandbox.endpoints.dynamodb })), tableName);
    },
    approvalStore: (account, stackName) => {
      const resources = sandbox.stacks[stackName]?.resources;
      const table = resources
        ?.resourcesOfType('AWS::DynamoDB::Table')
        .find(([, resource]) => JSON.stringify(resource.Properties?.KeySchema).includes('"requestId"'));
      if (!resources || !table) throw new Error(`${stackName} has no approval table`);
      return new ApprovalStore(
        track(new DynamoDBClient({ ...base(account), endpoint: sandbox.endpoints.dynamodb })),
        resources.physicalName(table[0]),
      );
    },
    startRequestStore: (account) => {
      const resources = sandbox.stacks.CertflowSource?.resources;
      const table = resources
        ?.resourcesOfType('AWS::DynamoDB::Table')
        .find(([, resource]) => JSON.stringify(resource.Properties?.KeySchema).includes('"startRequestId"'));
      if (!resources || !table) throw new Error('CertflowSource has no start-request table');
      return new StartRequestStore(
        track(new DynamoDBClient({ ...base(account), endpoint: sandbox.endpoints.dynamodb })),
        resources.physicalName(table[0]),
      );
    },
    close: async () => {
      for (const client of clients) client.destroy();
      await sandbox.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value (not undefined), or fails with what it last saw. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}${lastError instanceof Error ? ` (last error: ${lastError.message})` : ''}`);
}

export async function createCertificate(iot: IoTClient, setAsActive = false): Promise<{ certificateId: string; certificateArn: string }> {
  const created = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive }));
  return { certificateId: created.certificateId ?? '', certificateArn: created.certificateArn ?? '' };
}

/** A person in the sandbox: a role session of the account named after their e-mail address, as IAM Identity Center names it. */
export function operatorArn(account: string, email: string): string {
  return `arn:aws:sts::${account}:assumed-role/CertflowOperator/${email}`;
}

/**
 * Starts a source workflow as `callerArn` through the start API (SigV4-signed with the
 * sandbox key of that principal), as people start them: the requester is the caller.
 */
export async function startThroughApi(
  sandbox: Sandbox,
  callerArn: string,
  workflow: StartableWorkflow,
  input: Record<string, unknown>,
  name?: string,
): Promise<string> {
  const apiUrl = sandbox.stacks.CertflowSource?.outputs.StartApiUrl;
  if (!apiUrl) throw new Error('CertflowSource has no StartApiUrl output');
  const started = await startWorkflowExecution({
    apiUrl,
    region: sandbox.region,
    credentials: principalCredentialsFor(callerArn),
    workflow,
    input,
    name,
  });
  return started.executionArn;
}

export async function startExecution(sfn: SFNClient, stateMachineArn: string | undefined, input: unknown, name?: string): Promise<string> {
  if (!stateMachineArn) throw new Error('no state machine ARN');
  const started = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), name }));
  return started.executionArn ?? '';
}

export function finishedExecution(sfn: SFNClient, executionArn: string, timeoutMs = 45_000): Promise<DescribeExecutionCommandOutput> {
  return eventually(
    `execution ${executionArn} to finish`,
    async () => {
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return described.status === 'RUNNING' ? undefined : described;
    },
    timeoutMs,
  );
}

/** An audit row reduced to what a test compares: which Action, how it ended, and on what. */
export function auditSummary(rows: AuditRow[]): string[] {
  return [...rows]
    .sort((a, b) => a.recordedAt.localeCompare(b.recordedAt))
    .map((row) => [row.action, row.outcome, row.policyName ?? row.certificateStatus ?? row.errorName ?? ''].join(' ').trim());
}
