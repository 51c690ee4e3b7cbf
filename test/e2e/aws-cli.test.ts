import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { approvalRequestId } from '../../lambdas/approvals/approval-request';
import { credentialsFor } from '../../local/sandbox-accounts';
import { eventually, operatorArn, startSandboxFixture, startThroughApi, type SandboxFixture } from './sandbox-fixture';

const run = promisify(execFile);
/** The AWS CLI v2 from Debian's `awscli` package; `.ci/run` installs it. */
const AWS_CLI_V2 = '/usr/bin/aws';

describe('the AWS CLI v2 against the sandbox', () => {
  let fixture: SandboxFixture;
  beforeAll(async () => {
    fixture = await startSandboxFixture();
  }, 180_000);
  afterAll(() => fixture?.close());

  /** Runs `aws` as the given account; resolves with its parsed JSON, or rejects with its exit code and stderr. */
  async function aws(account: string, service: 'iot' | 'stepfunctions', args: string[]): Promise<Record<string, unknown>> {
    const keys = credentialsFor(account);
    const endpoint = service === 'iot' ? fixture.sandbox.endpoints.iot : fixture.sandbox.endpoints.stepfunctions;
    const { stdout } = await run(AWS_CLI_V2, [service, ...args, '--endpoint-url', endpoint, '--output', 'json'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        AWS_ACCESS_KEY_ID: keys.accessKeyId,
        AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
        AWS_DEFAULT_REGION: fixture.sandbox.region,
        AWS_CONFIG_FILE: '/nonexistent/config',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
        AWS_PAGER: '',
        AWS_MAX_ATTEMPTS: '1',
      },
    });
    return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
  }

  it('is the CLI v2 that Debian installs', async () => {
    expect(existsSync(AWS_CLI_V2)).toBe(true);
    const { stdout } = await run(AWS_CLI_V2, ['--version']);
    expect(stdout).toMatch(/^aws-cli\/2\./);
  });

  it('drives the four transfer Actions across two accounts, and shows IoT errors by name', async () => {
    const { source, target } = fixture.sandbox.accounts;
    const created = await aws(source, 'iot', ['create-keys-and-certificate', '--no-set-as-active']);
    const certificateId = String(created.certificateId);
    expect(certificateId).toMatch(/^[0-9a-f]{64}$/);

    await aws(source, 'iot', [
      'transfer-certificate',
      '--certificate-id',
      certificateId,
      '--target-aws-account',
      target,
      '--transfer-message',
      'from the CLI',
    ]);
    const offered = (await aws(target, 'iot', ['describe-certificate', '--certificate-id', certificateId]))
      .certificateDescription as Record<string, unknown>;
    expect(offered).toMatchObject({ status: 'PENDING_TRANSFER', ownedBy: source });

    await aws(target, 'iot', ['reject-certificate-transfer', '--certificate-id', certificateId, '--reject-reason', 'try again']);
    await aws(source, 'iot', ['transfer-certificate', '--certificate-id', certificateId, '--target-aws-account', target]);
    await aws(source, 'iot', ['cancel-certificate-transfer', '--certificate-id', certificateId]);
    await aws(source, 'iot', ['transfer-certificate', '--certificate-id', certificateId, '--target-aws-account', target]);
    await aws(target, 'iot', ['accept-certificate-transfer', '--certificate-id', certificateId, '--set-as-active']);
    const accepted = (await aws(target, 'iot', ['describe-certificate', '--certificate-id', certificateId]))
      .certificateDescription as Record<string, unknown>;
    expect(accepted).toMatchObject({ status: 'ACTIVE', ownedBy: target, previousOwnedBy: source });

    const active = await aws(source, 'iot', ['create-keys-and-certificate', '--set-as-active']);
    await expect(
      aws(source, 'iot', ['transfer-certificate', '--certificate-id', String(active.certificateId), '--target-aws-account', target]),
    ).rejects.toMatchObject({ code: 254, stderr: expect.stringContaining('CertificateStateException') });
  });

  it('completes a waiting approval task with `stepfunctions send-task-success`, and the workflow refuses the unverified decision', async () => {
    const { source, target } = fixture.sandbox.accounts;
    const created = await aws(source, 'iot', ['create-keys-and-certificate', '--no-set-as-active']);
    // Started as people start it (the start API); the AWS CLI then plays the forger of the callback.
    const executionArn = await startThroughApi(fixture.sandbox, operatorArn(source, 'requester@example.com'), 'transfer', {
      certificateId: String(created.certificateId),
      targetAwsAccount: target,
    });
    const store = fixture.approvalStore(source, 'CertflowSource');
    const request = await eventually('the approval request', () => store.get(approvalRequestId(executionArn, 'SOURCE')));

    const decision = JSON.stringify({
      decision: 'REJECTED',
      approvedBy: 'ops@example.com',
      rejectReason: 'from the CLI',
      setAsActive: false,
      consentToPrepare: false,
    });
    await aws(source, 'stepfunctions', ['send-task-success', '--task-token', request.taskToken, '--task-output', decision]);
    const finished = await eventually('the execution to finish', async () => {
      const described = await aws(source, 'stepfunctions', ['describe-execution', '--execution-arn', executionArn]);
      return described.status === 'RUNNING' ? undefined : described;
    });
    // The CLI's callback reached the task; no approver decided in the approval record, so the workflow stops.
    expect(finished).toMatchObject({ status: 'FAILED', error: 'UnverifiedDecision' });
  });
});
