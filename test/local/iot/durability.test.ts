import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  AcceptCertificateTransferCommand,
  AttachPolicyCommand,
  CreatePolicyCommand,
  DescribeCertificateCommand,
  ListAttachedPoliciesCommand,
  ListCertificatesCommand,
  TransferCertificateCommand,
} from '@aws-sdk/client-iot';
import { STATE_FILE_NAME } from '../../../local/iot/iot-state-file';
import { createCertificate, SOURCE, startIotFixture, TARGET } from './iot-endpoint-fixture';

describe('durability of the local IoT endpoint', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'certflow-iot-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps certificates, policies and transfer state across a restart on the same data folder', async () => {
    const before = await startIotFixture({ dataDir });
    const source = before.client(SOURCE);
    const pending = await createCertificate(source);
    await source.send(new TransferCertificateCommand({ certificateId: pending.certificateId, targetAwsAccount: TARGET, transferMessage: 'before restart' }));
    const accepted = await createCertificate(source);
    await source.send(new TransferCertificateCommand({ certificateId: accepted.certificateId, targetAwsAccount: TARGET }));
    await before.client(TARGET).send(new AcceptCertificateTransferCommand({ certificateId: accepted.certificateId, setAsActive: true }));
    const withPolicy = await createCertificate(source, true);
    await source.send(new CreatePolicyCommand({ policyName: 'kept', policyDocument: '{}' }));
    await source.send(new AttachPolicyCommand({ policyName: 'kept', target: withPolicy.certificateArn }));
    const pemBefore = (await source.send(new DescribeCertificateCommand({ certificateId: withPolicy.certificateId }))).certificateDescription?.certificatePem;
    await before.close();

    const after = await startIotFixture({ dataDir });
    try {
      const target = after.client(TARGET);
      expect((await target.send(new DescribeCertificateCommand({ certificateId: pending.certificateId }))).certificateDescription).toMatchObject({
        status: 'PENDING_TRANSFER',
        ownedBy: SOURCE,
        transferData: { transferMessage: 'before restart' },
      });
      expect((await target.send(new DescribeCertificateCommand({ certificateId: accepted.certificateId }))).certificateDescription).toMatchObject({
        status: 'ACTIVE',
        ownedBy: TARGET,
        previousOwnedBy: SOURCE,
      });
      const sourceAfter = after.client(SOURCE);
      expect((await sourceAfter.send(new DescribeCertificateCommand({ certificateId: withPolicy.certificateId }))).certificateDescription?.certificatePem).toBe(pemBefore);
      expect((await sourceAfter.send(new ListAttachedPoliciesCommand({ target: withPolicy.certificateArn }))).policies?.map((p) => p.policyName)).toEqual(['kept']);
      const listed = (await sourceAfter.send(new ListCertificatesCommand({}))).certificates?.map((c) => c.certificateId);
      expect(listed).toEqual([withPolicy.certificateId, pending.certificateId]);
      // New certificates keep coming after the restored ones.
      const newer = await createCertificate(sourceAfter);
      expect((await sourceAfter.send(new ListCertificatesCommand({ pageSize: 1 }))).certificates?.[0]?.certificateId).toBe(newer.certificateId);
    } finally {
      await after.close();
    }
  });

  it('writes the state as JSON through a temporary file, never storing device private keys', async () => {
    const fixture = await startIotFixture({ dataDir });
    const created = await createCertificate(fixture.client(SOURCE));
    await new Promise((resolve) => setTimeout(resolve, 120));
    const file = path.join(dataDir, STATE_FILE_NAME);
    const saved = readFileSync(file, 'utf8');
    expect(saved).toContain(created.certificateId);
    expect(saved).not.toMatch(/BEGIN EC PRIVATE KEY|BEGIN RSA PRIVATE KEY/);
    await fixture.close();
    expect(existsSync(`${file}.${process.pid}.tmp`)).toBe(false);
  });

  it('keeps state in memory when no data folder is given', async () => {
    const first = await startIotFixture();
    await createCertificate(first.client(SOURCE));
    await first.close();
    const second = await startIotFixture();
    try {
      expect((await second.client(SOURCE).send(new ListCertificatesCommand({}))).certificates).toEqual([]);
    } finally {
      await second.close();
    }
  });
});
