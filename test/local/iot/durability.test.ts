import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import {
  AcceptCertificateTransferCommand,
  AttachPolicyCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DescribeCertificateCommand,
  DescribeThingCommand,
  ListAttachedPoliciesCommand,
  ListCertificatesCommand,
  TransferCertificateCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { IotRegistry } from '../../../local/iot/iot-registry';
import { IotStateJournal, JOURNAL_FILE_NAME, STATE_FILE_NAME } from '../../../local/iot/iot-state-file';
import { createCertificate, iotClientFor, SOURCE, startIotFixture, TARGET } from './iot-endpoint-fixture';

const ENDPOINT_PROCESS = path.join(__dirname, 'iot-endpoint-process.ts');

interface EndpointProcess {
  url: string;
  child: ChildProcessWithoutNullStreams;
}

/** Starts the endpoint in a child process on `dataDir` and waits until it listens. */
async function startEndpointProcess(dataDir: string): Promise<EndpointProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENDPOINT_PROCESS, dataDir], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const firstLine = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`endpoint process exited with ${String(code)} before listening: ${errors}`)));
  });
  return { url: (JSON.parse(firstLine) as { url: string }).url, child };
}

function kill(endpoint: EndpointProcess): Promise<void> {
  return new Promise((resolve) => {
    endpoint.child.once('exit', () => resolve());
    endpoint.child.kill('SIGKILL');
  });
}

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
    await source.send(
      new TransferCertificateCommand({ certificateId: pending.certificateId, targetAwsAccount: TARGET, transferMessage: 'before restart' }),
    );
    const accepted = await createCertificate(source);
    await source.send(new TransferCertificateCommand({ certificateId: accepted.certificateId, targetAwsAccount: TARGET }));
    await before.client(TARGET).send(new AcceptCertificateTransferCommand({ certificateId: accepted.certificateId, setAsActive: true }));
    const withPolicy = await createCertificate(source, true);
    await source.send(new CreatePolicyCommand({ policyName: 'kept', policyDocument: '{}' }));
    await source.send(new AttachPolicyCommand({ policyName: 'kept', target: withPolicy.certificateArn }));
    const pemBefore = (await source.send(new DescribeCertificateCommand({ certificateId: withPolicy.certificateId })))
      .certificateDescription?.certificatePem;
    await before.close();

    const after = await startIotFixture({ dataDir });
    try {
      const target = after.client(TARGET);
      expect(
        (await target.send(new DescribeCertificateCommand({ certificateId: pending.certificateId }))).certificateDescription,
      ).toMatchObject({
        status: 'PENDING_TRANSFER',
        ownedBy: SOURCE,
        transferData: { transferMessage: 'before restart' },
      });
      expect(
        (await target.send(new DescribeCertificateCommand({ certificateId: accepted.certificateId }))).certificateDescription,
      ).toMatchObject({
        status: 'ACTIVE',
        ownedBy: TARGET,
        previousOwnedBy: SOURCE,
      });
      const sourceAfter = after.client(SOURCE);
      expect(
        (await sourceAfter.send(new DescribeCertificateCommand({ certificateId: withPolicy.certificateId }))).certificateDescription
          ?.certificatePem,
      ).toBe(pemBefore);
      expect(
        (await sourceAfter.send(new ListAttachedPoliciesCommand({ target: withPolicy.certificateArn }))).policies?.map((p) => p.policyName),
      ).toEqual(['kept']);
      const listed = (await sourceAfter.send(new ListCertificatesCommand({}))).certificates?.map((c) => c.certificateId);
      expect(listed).toEqual([withPolicy.certificateId, pending.certificateId]);
      // New certificates keep coming after the restored ones.
      const newer = await createCertificate(sourceAfter);
      expect((await sourceAfter.send(new ListCertificatesCommand({ pageSize: 1 }))).certificates?.[0]?.certificateId).toBe(
        newer.certificateId,
      );
    } finally {
      await after.close();
    }
  });

  it('journals each answered change as one line before answering, and folds the journal into the snapshot on close', async () => {
    const fixture = await startIotFixture({ dataDir });
    const journalFile = path.join(dataDir, JOURNAL_FILE_NAME);
    const created = await createCertificate(fixture.client(SOURCE));
    const lines = readFileSync(journalFile, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ changes: [{ kind: 'certificate', key: created.certificateId }] });
    await fixture.client(SOURCE).send(new ListCertificatesCommand({}));
    expect(readFileSync(journalFile, 'utf8').trim().split('\n')).toHaveLength(1);

    await fixture.close();
    expect(readFileSync(journalFile, 'utf8')).toBe('');
    const snapshot = readFileSync(path.join(dataDir, STATE_FILE_NAME), 'utf8');
    expect(snapshot).toContain(created.certificateId);
    expect(snapshot).not.toMatch(/BEGIN EC PRIVATE KEY|BEGIN RSA PRIVATE KEY/);
    expect(readdirSync(dataDir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps an answered TransferCertificate when the process is killed right after answering', async () => {
    const first = await startEndpointProcess(dataDir);
    const source = iotClientFor(first.url, SOURCE);
    let certificateId = '';
    try {
      ({ certificateId } = await createCertificate(source));
      await source.send(new TransferCertificateCommand({ certificateId, targetAwsAccount: TARGET, transferMessage: 'survives SIGKILL' }));
    } finally {
      source.destroy();
      await kill(first);
    }

    const second = await startEndpointProcess(dataDir);
    const target = iotClientFor(second.url, TARGET);
    try {
      expect((await target.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription).toMatchObject({
        status: 'PENDING_TRANSFER',
        ownedBy: SOURCE,
        transferData: { transferMessage: 'survives SIGKILL' },
      });
    } finally {
      target.destroy();
      await kill(second);
    }
  }, 60_000);

  it('ignores a last journal line torn by a crash and replays the lines before it', async () => {
    const before = await startIotFixture({ dataDir });
    const { certificateId } = await createCertificate(before.client(SOURCE));
    await before.client(SOURCE).send(new CreateThingCommand({ thingName: 'replayed' }));
    // Keep the journal as a crash would leave it: copy it before close() folds it in.
    const journal = readFileSync(path.join(dataDir, JOURNAL_FILE_NAME), 'utf8');
    await before.close();
    rmSync(path.join(dataDir, STATE_FILE_NAME));
    appendFileSync(path.join(dataDir, JOURNAL_FILE_NAME), `${journal}{"sequence":9,"chan`);
    // The snapshot is gone, so a fresh CA is made; the registry comes back from the journal alone.
    const after = await startIotFixture({ dataDir });
    try {
      await after.client(SOURCE).send(new UpdateCertificateCommand({ certificateId, newStatus: 'ACTIVE' }));
      expect((await after.client(SOURCE).send(new DescribeThingCommand({ thingName: 'replayed' }))).thingName).toBe('replayed');
    } finally {
      await after.close();
    }
  });

  it('gives the same registry when journal lines the snapshot already holds are replayed again', () => {
    const registry = new IotRegistry();
    const caller = { accountId: SOURCE, region: 'us-east-1' };
    registry.certificates.addCertificate(caller, { certificateId: 'a'.repeat(64), certificatePem: 'PEM', notBefore: 0, notAfter: 1 }, 1);
    const first = registry.store.drainChanges();
    registry.certificates.updateCertificate(caller, 'a'.repeat(64), 'ACTIVE', 2);
    const second = registry.store.drainChanges();
    const replayed = new IotRegistry(JSON.parse(JSON.stringify(registry.snapshot())));
    for (const changeSet of [first, second]) if (changeSet) replayed.store.apply(JSON.parse(JSON.stringify(changeSet)));
    expect(replayed.snapshot()).toEqual(JSON.parse(JSON.stringify(registry.snapshot())));
  });

  it('asks for compaction once the journal outgrows its threshold and the snapshot', () => {
    const journal = new IotStateJournal(dataDir, 150);
    journal.append({ sequence: 1, changes: [{ kind: 'thing', key: 'x', value: { pad: 'p'.repeat(50) } }] });
    expect(journal.needsCompaction).toBe(false);
    journal.append({ sequence: 2, changes: [{ kind: 'thing', key: 'y', value: { pad: 'p'.repeat(50) } }] });
    expect(journal.needsCompaction).toBe(true);
    journal.compact({
      version: 1,
      certificateAuthority: { certificatePem: '', privateKeyPem: '' },
      registry: new IotRegistry().snapshot(),
    });
    expect(journal.needsCompaction).toBe(false);
    expect(journal.journalSize).toBe(0);
    journal.close();
    expect(existsSync(path.join(dataDir, STATE_FILE_NAME))).toBe(true);
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
