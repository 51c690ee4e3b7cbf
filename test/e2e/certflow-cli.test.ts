import * as path from 'node:path';
import { DescribeCertificateCommand } from '@aws-sdk/client-iot';
import { runCli } from '../../cli/certflow-cli';
import { approvalLinkFor } from './approval-links';
import { createCertificate, eventually, startSandboxFixture, type SandboxFixture } from './sandbox-fixture';

describe('the certflow CLI against the sandbox', () => {
  let fixture: SandboxFixture;
  let cli: (...args: string[]) => Promise<unknown>;
  beforeAll(async () => {
    fixture = await startSandboxFixture();
    cli = (...args) => runCli([...args, '--sandbox-file', path.join(fixture.dataDir, 'sandbox.json')]);
  }, 180_000);
  afterAll(() => fixture?.close());

  it('starts a transfer, approves it from the link, shows it pending, cancels it and shows the audit trail', async () => {
    const { source, target } = fixture.sandbox.accounts;
    const { certificateId } = await createCertificate(fixture.iot(source));
    const started = (await cli('transfer', '--certificate-id', certificateId, '--to', target, '--requested-by', 'requester@example.com', '--message', 'from the CLI')) as { executionArn: string };
    expect(started.executionArn).toContain(':execution:');

    const link = await eventually('the approval link', async () => approvalLinkFor(fixture.sandbox, 'source-approver-1@example.com', certificateId));
    expect(await cli('approve', link)).toMatchObject({ httpStatus: 200, page: 'Approved' });
    await eventually('the offer', async () => {
      const offered = await fixture.iot(target).send(new DescribeCertificateCommand({ certificateId }));
      return offered.certificateDescription?.status === 'PENDING_TRANSFER' ? true : undefined;
    });
    expect(await cli('pending', '--side', 'source')).toContainEqual(expect.objectContaining({ executionArn: started.executionArn, certificateId, to: target }));
    expect(await cli('status', started.executionArn)).toMatchObject({ status: 'RUNNING' });

    await cli('cancel', '--certificate-id', certificateId, '--by', 'requester@example.com');
    const finished = await eventually('the workflow to end', async () => {
      const shown = (await cli('status', started.executionArn)) as { status: string; outcome?: string };
      return shown.status === 'RUNNING' ? undefined : shown;
    });
    expect(finished).toMatchObject({ status: 'SUCCEEDED', outcome: 'CANCELLED' });
    const audit = (await cli('audit', '--certificate-id', certificateId)) as Array<{ action: string; outcome: string }>;
    expect(audit.map((row) => `${row.action} ${row.outcome}`)).toEqual(['TransferCertificate SUCCEEDED', 'CancelCertificateTransfer SUCCEEDED']);
  });

  it('cancels a transfer still waiting for its source approval: the request is withdrawn and the workflow ends CANCELLED', async () => {
    const { source, target } = fixture.sandbox.accounts;
    const { certificateId } = await createCertificate(fixture.iot(source));
    const started = (await cli('transfer', '--certificate-id', certificateId, '--to', target, '--requested-by', 'requester@example.com')) as { executionArn: string };
    const link = await eventually('the approval link', async () => approvalLinkFor(fixture.sandbox, 'source-approver-1@example.com', certificateId));
    await expect(cli('cancel', '--certificate-id', certificateId, '--by', 'someone-else@example.com')).rejects.toThrow('cannot cancel the approval request: not-allowed');
    expect(await cli('cancel', '--certificate-id', certificateId, '--by', 'requester@example.com')).toEqual({ cancelled: 'approval request', executionArn: started.executionArn });
    const finished = await eventually('the workflow to end', async () => {
      const shown = (await cli('status', started.executionArn)) as { status: string; outcome?: string };
      return shown.status === 'RUNNING' ? undefined : shown;
    });
    expect(finished).toMatchObject({ status: 'SUCCEEDED', outcome: 'CANCELLED' });
    expect(await cli('approve', link)).toMatchObject({ httpStatus: 409 });
    expect((await fixture.iot(source).send(new DescribeCertificateCommand({ certificateId }))).certificateDescription?.status).toBe('INACTIVE');
    expect(await cli('audit', '--certificate-id', certificateId)).toEqual([]);
  });

  it('refuses bad input before calling anything, naming the field and the rule', async () => {
    await expect(cli('transfer', '--certificate-id', 'abc', '--to', '222222222222', '--requested-by', 'me@example.com')).rejects.toThrow('certificateId: must be exactly 64 characters long (got 3)');
    await expect(cli('transfer', '--certificate-id', 'a'.repeat(64), '--to', '12', '--requested-by', 'me@example.com')).rejects.toThrow('to: must be exactly 12 digits');
    await expect(cli('reject', 'http://127.0.0.1:1/approval?r=x')).rejects.toThrow('--reason: is required');
    await expect(cli('launch')).rejects.toThrow('unknown command launch');
  });

  it('says how to start the sandbox when there is none', async () => {
    await expect(runCli(['pending', '--sandbox-file', '/nonexistent/sandbox.json'])).rejects.toThrow('run `npm start` first');
  });
});
