import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
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
const SINGLE = 'arn:aws:states:us-east-1:111111111111:execution:Outbound:single';
const MIGRATION = 'arn:aws:states:us-east-1:111111111111:execution:Outbound:migration';
const NOT_YET_APPROVED = 'arn:aws:states:us-east-1:111111111111:execution:Outbound:resolving';
const STARTED = new Date('2026-11-24T10:00:00Z');

const dir = mkdtempSync(path.join(tmpdir(), 'certflow-cli-pending-'));
const sandboxFile = path.join(dir, 'sandbox.json');
// A deployment with both sides' migration workflows, for `migrate`.
const migrationSandboxFile = path.join(dir, 'migration-sandbox.json');
const manifestFile = path.join(dir, 'certs.csv');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  const descriptor: SandboxDescriptor = {
    region: 'us-east-1',
    accounts: { source: '111111111111', target: '222222222222' },
    credentials: { source: { accessKeyId: 'AKIA111111111111LOCL', secretAccessKey: 's' }, target: { accessKeyId: 'AKIA222222222222LOCL', secretAccessKey: 's' } },
    endpoints: { iot: 'x', dynamodb: 'http://127.0.0.1:7702', stepfunctions: 'http://127.0.0.1:7703', sns: 'x', apigateway: 'x', secretsmanager: 'x', lambda: 'x', s3: 'x' },
    outputs: { CertflowSource: { OutboundStateMachineArn: STATE_MACHINE, ApprovalTableName: 'source-approvals' } },
  };
  writeFileSync(sandboxFile, JSON.stringify(descriptor));
  const migrationOutputs = (account: string, stack: string) => ({
    MigrationStateMachineArn: `arn:aws:states:us-east-1:${account}:stateMachine:${stack}-Migration`,
    MigrationBucketName: `${stack.toLowerCase()}-migration-files`,
    MigrationProgressTableName: `${stack}-MigrationProgress`,
  });
  writeFileSync(
    migrationSandboxFile,
    JSON.stringify({ ...descriptor, outputs: { CertflowSource: migrationOutputs('111111111111', 'CertflowSource'), CertflowTarget: migrationOutputs('222222222222', 'CertflowTarget') } }),
  );
  writeFileSync(manifestFile, `certificateId\n${'c'.repeat(64)}\n`);
});

beforeEach(() => {
  sfnMock.reset();
  dynamoMock.reset();
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  sfnMock.on(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE }).resolves({
    executions: [SINGLE, MIGRATION, NOT_YET_APPROVED].map((executionArn) => ({ executionArn, stateMachineArn: STATE_MACHINE, name: 'x', status: 'RUNNING', startDate: STARTED })),
  });
  const inputs: Record<string, object> = {
    [SINGLE]: { certificateId: 'c'.repeat(64), sourceAwsAccount: '111111111111', targetAwsAccount: '222222222222' },
    [MIGRATION]: { migrationId: 'eu-fleet-2026_11', sourceAwsAccount: '111111111111', targetAwsAccount: '222222222222' },
    [NOT_YET_APPROVED]: { migrationId: 'eu-fleet-late', sourceAwsAccount: '111111111111', targetAwsAccount: '222222222222' },
  };
  for (const [executionArn, input] of Object.entries(inputs)) {
    sfnMock.on(DescribeExecutionCommand, { executionArn }).resolves({ executionArn, input: JSON.stringify(input) });
  }
  const migrationApproval: Partial<ApprovalRequest> = { requestId: approvalRequestId(MIGRATION, 'SOURCE'), executionId: MIGRATION, status: 'PENDING', migration: migrationSummary() };
  dynamoMock.on(GetItemCommand).resolves({});
  dynamoMock
    .on(GetItemCommand, { TableName: 'source-approvals', Key: marshall({ requestId: approvalRequestId(MIGRATION, 'SOURCE') }) })
    .resolves({ Item: marshall(migrationApproval) });
});

describe('certflow pending', () => {
  it('lists a single certificate by its id and a migration by its id and certificate count', async () => {
    const listed = await runCli(['pending', '--side', 'source', '--sandbox-file', sandboxFile]);
    expect(listed).toEqual([
      { side: 'source', executionArn: SINGLE, startDate: STARTED, certificateId: 'c'.repeat(64), from: '111111111111', to: '222222222222' },
      { side: 'source', executionArn: MIGRATION, startDate: STARTED, migrationId: 'eu-fleet-2026_11', certificateCount: 10000, from: '111111111111', to: '222222222222' },
      { side: 'source', executionArn: NOT_YET_APPROVED, startDate: STARTED, migrationId: 'eu-fleet-late', from: '111111111111', to: '222222222222' },
    ]);
  });

  it('looks up no approval request for a single certificate', async () => {
    await runCli(['pending', '--side', 'source', '--sandbox-file', sandboxFile]);
    expect(dynamoMock).toHaveReceivedCommandTimes(GetItemCommand, 2);
    for (const call of dynamoMock.commandCalls(GetItemCommand)) {
      expect(call.args[0].input.Key).not.toEqual(marshall({ requestId: approvalRequestId(SINGLE, 'SOURCE') }));
    }
  });
});

describe('certflow migrate', () => {
  const migrate = (...extra: string[]) => runCli(['migrate', '--manifest', manifestFile, '--to', '222222222222', '--sandbox-file', migrationSandboxFile, ...extra]);

  it.each([
    ['requestedBy', ['--requested-by', 'r'.repeat(257)]],
    ['reason', ['--requested-by', 'alice', '--reason', 'r'.repeat(257)]],
    ['transferMessage', ['--requested-by', 'alice', '--message', 'm'.repeat(129)]],
  ])('refuses, naming %s, what the workflow would refuse, before uploading or starting anything', async (field, options) => {
    await expect(migrate(...options)).rejects.toMatchObject({ name: 'ValidationError', field });
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});
