import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { runCli } from '../../cli/certflow-cli';
import type { SandboxDescriptor } from '../../cli/cli-target';
import { approvalRequestId, type ApprovalRequest } from '../../lambdas/approvals/approval-request';
import { migrationSummary } from '../lambdas/approvals/migration-summary-fixture';

const sfnMock = mockClient(SFNClient);
const dynamoMock = mockClient(DynamoDBClient);
const s3Mock = mockClient(S3Client);
const STATE_MACHINE = 'arn:aws:states:us-east-1:111111111111:stateMachine:Outbound';
const INBOUND = 'arn:aws:states:us-east-1:222222222222:stateMachine:Inbound';
const SINGLE = 'arn:aws:states:us-east-1:111111111111:execution:Outbound:single';
const MIGRATION = 'arn:aws:states:us-east-1:111111111111:execution:Outbound:migration';
const NOT_YET_APPROVED = 'arn:aws:states:us-east-1:111111111111:execution:Outbound:resolving';
const TARGET_REVIEW = 'arn:aws:states:us-east-1:222222222222:execution:Inbound:review';
const STARTED = new Date('2026-11-24T10:00:00Z');

const dir = mkdtempSync(path.join(tmpdir(), 'certflow-cli-pending-'));
const sandboxFile = path.join(dir, 'sandbox.json');
// A deployment with both sides' migration workflows, for `migrate`.
const migrationSandboxFile = path.join(dir, 'migration-sandbox.json');
const manifestFile = path.join(dir, 'certs.csv');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI as the process would, capturing what it writes. */
async function certflow(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = { stdout: '', stderr: '' };
  const code = await runCli(argv, { stdout: (text) => (output.stdout += text), stderr: (text) => (output.stderr += text) });
  return { code, ...output };
}

beforeAll(() => {
  const descriptor: SandboxDescriptor = {
    region: 'us-east-1',
    accounts: { source: '111111111111', target: '222222222222' },
    credentials: {
      source: { accessKeyId: 'AKIA111111111111LOCL', secretAccessKey: 's' },
      target: { accessKeyId: 'AKIA222222222222LOCL', secretAccessKey: 's' },
    },
    endpoints: {
      iot: 'x',
      dynamodb: 'http://127.0.0.1:7702',
      stepfunctions: 'http://127.0.0.1:7703',
      sns: 'x',
      apigateway: 'x',
      secretsmanager: 'x',
      lambda: 'x',
      s3: 'x',
      events: 'x',
    },
    outputs: {
      CertflowSource: { OutboundStateMachineArn: STATE_MACHINE, ApprovalTableName: 'source-approvals' },
      CertflowTarget: { InboundStateMachineArn: INBOUND, ApprovalTableName: 'target-approvals' },
    },
  };
  writeFileSync(sandboxFile, JSON.stringify(descriptor));
  const migrationOutputs = (account: string, stack: string) => ({
    MigrationStateMachineArn: `arn:aws:states:us-east-1:${account}:stateMachine:${stack}-Migration`,
    MigrationBucketName: `${stack.toLowerCase()}-migration-files`,
    MigrationProgressTableName: `${stack}-MigrationProgress`,
  });
  writeFileSync(
    migrationSandboxFile,
    JSON.stringify({
      ...descriptor,
      outputs: {
        CertflowSource: migrationOutputs('111111111111', 'CertflowSource'),
        CertflowTarget: migrationOutputs('222222222222', 'CertflowTarget'),
      },
    }),
  );
  writeFileSync(manifestFile, `certificateId\n${'c'.repeat(64)}\n`);
});

const sourceApproval: Partial<ApprovalRequest> = {
  requestId: approvalRequestId(SINGLE, 'SOURCE'),
  executionId: SINGLE,
  certificateId: 'c'.repeat(64),
  status: 'PENDING',
  approvers: ['requester@example.com', 'source-approver-1@example.com', 'source-approver-2@example.com'],
  requestedBy: 'requester@example.com',
  sourceAwsAccount: '111111111111',
  targetAwsAccount: '222222222222',
  expiresAt: Date.parse('2026-11-24T11:00:00Z') / 1000,
};

beforeEach(() => {
  sfnMock.reset();
  dynamoMock.reset();
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });
  sfnMock.on(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE }).resolves({
    executions: [SINGLE, MIGRATION, NOT_YET_APPROVED].map((executionArn) => ({
      executionArn,
      stateMachineArn: STATE_MACHINE,
      name: 'x',
      status: 'RUNNING',
      startDate: STARTED,
    })),
  });
  sfnMock.on(ListExecutionsCommand, { stateMachineArn: INBOUND }).resolves({
    executions: [{ executionArn: TARGET_REVIEW, stateMachineArn: INBOUND, name: 'review', status: 'RUNNING', startDate: STARTED }],
  });
  const inputs: Record<string, object> = {
    [SINGLE]: { certificateId: 'c'.repeat(64), sourceAwsAccount: '111111111111', targetAwsAccount: '222222222222' },
    [MIGRATION]: { migrationId: 'eu-fleet-2026_11', sourceAwsAccount: '111111111111', targetAwsAccount: '222222222222' },
    [NOT_YET_APPROVED]: { migrationId: 'eu-fleet-late', sourceAwsAccount: '111111111111', targetAwsAccount: '222222222222' },
    [TARGET_REVIEW]: { certificateId: 'd'.repeat(64), sourceAwsAccount: '111111111111' },
  };
  for (const [executionArn, input] of Object.entries(inputs)) {
    sfnMock.on(DescribeExecutionCommand, { executionArn }).resolves({ executionArn, input: JSON.stringify(input), status: 'RUNNING' });
  }
  sfnMock.on(GetExecutionHistoryCommand).resolves({
    events: [{ id: 3, timestamp: STARTED, type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'InspectCertificate' } }],
  });
  const migrationApproval: Partial<ApprovalRequest> = {
    ...sourceApproval,
    requestId: approvalRequestId(MIGRATION, 'SOURCE'),
    executionId: MIGRATION,
    certificateId: undefined,
    status: 'APPROVED',
    decision: 'APPROVED',
    decidedBy: 'source-approver-2@example.com',
    migration: migrationSummary(),
  };
  dynamoMock.on(GetItemCommand).resolves({});
  for (const request of [sourceApproval, migrationApproval]) {
    dynamoMock
      .on(GetItemCommand, { TableName: 'source-approvals', Key: marshall({ requestId: request.requestId }) })
      .resolves({ Item: marshall(request, { removeUndefinedValues: true }) });
  }
});

describe('certflow pending', () => {
  it('lists each running workflow with its approval state, deadline and the approvers it waits for (not the requester)', async () => {
    const { code, stdout } = await certflow('pending', '--side', 'source', '--json', '--sandbox-file', sandboxFile);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([
      expect.objectContaining({
        side: 'source',
        executionArn: SINGLE,
        certificateId: 'c'.repeat(64),
        state: 'waiting for approval',
        approval: expect.objectContaining({
          status: 'PENDING',
          deadline: '2026-11-24T11:00:00.000Z',
          waitingFor: ['source-approver-1@example.com', 'source-approver-2@example.com'],
        }),
      }),
      expect.objectContaining({
        executionArn: MIGRATION,
        migrationId: 'eu-fleet-2026_11',
        certificateCount: 10000,
        state: 'InspectCertificate',
        approval: expect.objectContaining({ status: 'APPROVED', waitingFor: [], decidedBy: 'source-approver-2@example.com' }),
      }),
      {
        side: 'source',
        executionArn: NOT_YET_APPROVED,
        startDate: STARTED.toISOString(),
        migrationId: 'eu-fleet-late',
        from: '111111111111',
        to: '222222222222',
        state: 'InspectCertificate',
      },
    ]);
  });

  it('shows both sides by default, as text: the state, the deadline and who may decide', async () => {
    const { code, stdout } = await certflow('pending', '--sandbox-file', sandboxFile);
    expect(code).toBe(0);
    expect(stdout).toContain(`source  certificate ${'c'.repeat(64)}`);
    expect(stdout).toMatch(/^ {2}state +waiting for approval$/m);
    expect(stdout).toMatch(/^ {2}deadline +2026-11-24T11:00:00Z \(.* ago\)$/m);
    expect(stdout).toMatch(/^ {2}waits for +one of source-approver-1@example.com, source-approver-2@example.com$/m);
    expect(stdout).toContain(`target  certificate ${'d'.repeat(64)}`);
    expect(dynamoMock.commandCalls(GetItemCommand).map((call) => call.args[0].input.TableName)).toContain('target-approvals');
  });
});

describe('certflow status', () => {
  it('asks the side whose account the ARN names, without --side', async () => {
    sfnMock.on(DescribeExecutionCommand, { executionArn: TARGET_REVIEW }).resolves({
      executionArn: TARGET_REVIEW,
      status: 'SUCCEEDED',
      startDate: STARTED,
      stopDate: STARTED,
      input: '{}',
      output: JSON.stringify({
        outcome: 'REJECTED',
        approval: { decision: 'REJECTED', approvedBy: 'target-approver-1@example.com', rejectReason: 'not ours', setAsActive: false },
      }),
    });
    const { code, stdout } = await certflow('status', TARGET_REVIEW, '--sandbox-file', sandboxFile);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^workflow +Inbound \(target 222222222222\)$/m);
    expect(stdout).toMatch(/^approval +REJECTED by target-approver-1@example.com$/m);
    expect(stdout).toMatch(/^ {2}why +not ours$/m);
    const client = sfnMock.commandCalls(DescribeExecutionCommand)[0]?.thisValue as SFNClient;
    expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'AKIA222222222222LOCL' });
  });

  it('exits 1 for a FAILED execution and shows its error and the parsed cause', async () => {
    sfnMock.on(DescribeExecutionCommand, { executionArn: SINGLE }).resolves({
      executionArn: SINGLE,
      status: 'FAILED',
      input: '{}',
      error: 'CertificateNotTransferable',
      cause: JSON.stringify({ errorType: 'CertificateNotTransferable', errorMessage: 'the certificate is REVOKED' }),
    });
    const { code, stdout, stderr } = await certflow('status', SINGLE, '--json', '--sandbox-file', sandboxFile);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      status: 'FAILED',
      error: 'CertificateNotTransferable',
      cause: { errorMessage: 'the certificate is REVOKED' },
    });
    expect(stderr).toBe(
      'certflow: the execution ended FAILED: CertificateNotTransferable (CertificateNotTransferable: the certificate is REVOKED)\n',
    );
  });

  it("exits 2 for an ARN of another account, naming both sides' accounts", async () => {
    const { code, stderr } = await certflow('status', 'arn:aws:states:us-east-1:333333333333:execution:X:y', '--sandbox-file', sandboxFile);
    expect(code).toBe(2);
    expect(stderr).toContain("names account 333333333333, which is neither side's account (source 111111111111, target 222222222222)");
    expect(sfnMock).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });
});

describe('certflow audit', () => {
  it.each([
    [[], 'audit: give one of --certificate-id, --requested-by, --approved-by, --execution'],
    [['--requested-by', 'a@example.com', '--approved-by', 'b@example.com'], 'give only one of'],
  ])('exits 2 unless exactly one search is given (%j)', async (options, message) => {
    const { code, stderr } = await certflow('audit', ...options, '--sandbox-file', sandboxFile);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});

describe('certflow usage', () => {
  it.each([
    [['transfer', '--certificate-id', 'c'.repeat(64), '--to', '222222222222', '--colour', 'red'], "unknown option '--colour'"],
    [['transfer', '--to', '222222222222'], "required option '--certificate-id <id>' not specified"],
    [['pending', '--side', 'both'], "'both' is invalid. Allowed choices are source, target"],
    [['launch'], "unknown command 'launch'"],
    [[], 'Usage: certflow'],
  ])('exits 2 for %j', async (argv, message) => {
    const { code, stderr } = await certflow(...argv);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('names the bad field and the rule before looking for a sandbox', async () => {
    const { code, stderr } = await certflow(
      'transfer',
      '--certificate-id',
      'abc',
      '--to',
      '222222222222',
      '--sandbox-file',
      '/nonexistent/sandbox.json',
    );
    expect(code).toBe(2);
    expect(stderr).toBe('certflow: certificateId: must be exactly 64 characters long (got 3)\n');
  });

  it("refuses transfer --requested-by, saying the requester is the caller's AWS identity, before looking for a sandbox", async () => {
    const { code, stderr } = await certflow(
      'transfer',
      '--certificate-id',
      'c'.repeat(64),
      '--to',
      '222222222222',
      '--requested-by',
      'someone-else@example.com',
      '--sandbox-file',
      '/nonexistent/sandbox.json',
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(/^certflow: --requested-by: no longer taken: the requester is the caller's AWS identity/);
  });

  it('exits 2 for links against AWS, which has no notification sink to read', async () => {
    const outputs = path.join(dir, 'cdk-outputs.json');
    writeFileSync(outputs, JSON.stringify({ CertflowSource: { ApprovalTableName: 'approvals' } }));
    const { code, stderr } = await certflow('links', '--profile', 'prod', '--outputs', outputs, '--region', 'eu-west-1');
    delete process.env.AWS_PROFILE;
    expect(code).toBe(2);
    expect(stderr).toBe("certflow: links: reads the sandbox's notifications; against AWS the links are in the approvers' e-mail\n");
  });

  it("shows each command's own help, with the global options, and exits 0", async () => {
    const { code, stdout } = await certflow('audit', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: certflow audit [options]');
    expect(stdout).toContain('--approved-by <email>');
    expect(stdout).toContain('Global Options:');
  });

  it('ends a command with 130 when interrupted', async () => {
    const interrupt = new AbortController();
    sfnMock.on(ListExecutionsCommand).callsFake(() => {
      interrupt.abort();
      return new Promise(() => undefined);
    });
    const output = { stdout: '', stderr: '' };
    const code = await runCli(['pending', '--sandbox-file', sandboxFile], {
      stdout: (text) => (output.stdout += text),
      stderr: (text) => (output.stderr += text),
      interrupt: interrupt.signal,
    });
    expect(code).toBe(130);
    expect(output.stderr).toBe('certflow: interrupted\n');
  });
});

describe('certflow migrate', () => {
  const migrate = (...extra: string[]) =>
    certflow('migrate', '--manifest', manifestFile, '--to', '222222222222', '--sandbox-file', migrationSandboxFile, ...extra);

  it("refuses --requested-by, saying the requester is the caller's AWS identity, before uploading or starting anything", async () => {
    const { code, stderr } = await migrate('--requested-by', 'alice');
    expect(code).toBe(2);
    expect(stderr).toMatch(/^certflow: --requested-by: no longer taken: the requester is the caller's AWS identity/);
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it.each([
    ['reason', ['--reason', 'r'.repeat(257)]],
    ['transferMessage', ['--message', 'm'.repeat(129)]],
  ])('exits 2, naming %s, for what the workflow would refuse, before uploading or starting anything', async (field, options) => {
    const { code, stderr } = await migrate(...options);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`^certflow: ${field}: `));
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('exits 2 naming a manifest file that does not exist', async () => {
    const { code, stderr } = await certflow(
      'migrate',
      '--manifest',
      path.join(dir, 'nope.csv'),
      '--to',
      '222222222222',
      '--sandbox-file',
      migrationSandboxFile,
    );
    expect(code).toBe(2);
    expect(stderr).toContain(`--manifest: ${path.join(dir, 'nope.csv')} does not exist`);
  });
});
