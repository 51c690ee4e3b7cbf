/**
 * Measures what keeping one change durable costs at a given number of certificates:
 * the journal (what the endpoint does before answering) against rewriting the whole
 * snapshot (what it did before), and an UpdateCertificate over HTTP with a data folder.
 * Run: node --import tsx test/local/iot/journal-cost.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { IoTClient, UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { startIotEndpoint } from '../../../local/iot/iot-endpoint';
import { IotRegistry } from '../../../local/iot/iot-registry';
import { IotStateJournal, type IotState } from '../../../local/iot/iot-state-file';
import { LocalCertificateAuthority } from '../../../local/iot/x509-certificates';

const CALLER = { accountId: '111111111111', region: 'us-east-1' };
/** About the size of a real device certificate PEM (RSA 2048, ~1.2 KB). */
const PEM = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(64).concat('\n').repeat(18)}-----END CERTIFICATE-----\n`;

export interface PersistenceCost {
  certificates: number;
  journalMsPerMutation: number;
  snapshotMsPerMutation: number;
}

export function measurePersistenceCost(certificates: number, mutations = 200): PersistenceCost {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'certflow-iot-cost-'));
  try {
    const registry = new IotRegistry();
    const ids: string[] = [];
    for (let index = 0; index < certificates; index += 1) {
      const certificateId = index.toString(16).padStart(64, '0');
      registry.certificates.addCertificate(CALLER, { certificateId, certificatePem: PEM, notBefore: 0, notAfter: 1 }, index);
      ids.push(certificateId);
    }
    registry.store.drainChanges();
    const state = (): IotState => ({
      version: 1,
      certificateAuthority: { certificatePem: PEM, privateKeyPem: PEM },
      registry: registry.snapshot(),
    });
    const journal = new IotStateJournal(dataDir);
    journal.compact(state());

    const mutate = (index: number) =>
      registry.certificates.updateCertificate(CALLER, ids[index % ids.length] ?? '', index % 2 === 0 ? 'ACTIVE' : 'INACTIVE', index);
    let started = performance.now();
    for (let index = 0; index < mutations; index += 1) {
      mutate(index);
      const changeSet = registry.store.drainChanges();
      if (changeSet) journal.append(changeSet);
      if (journal.needsCompaction) journal.compact(state());
    }
    const journalMsPerMutation = (performance.now() - started) / mutations;

    const snapshotMutations = Math.max(5, Math.floor(mutations / 20));
    started = performance.now();
    for (let index = 0; index < snapshotMutations; index += 1) {
      mutate(index);
      registry.store.drainChanges();
      journal.compact(state());
    }
    const snapshotMsPerMutation = (performance.now() - started) / snapshotMutations;
    journal.close();
    return { certificates, journalMsPerMutation, snapshotMsPerMutation };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Mean milliseconds of an UpdateCertificate over HTTP, with a data folder, at that many certificates. */
export async function measureUpdateRequest(certificates: number, requests = 300): Promise<number> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'certflow-iot-cost-'));
  const registry = new IotRegistry();
  for (let index = 0; index < certificates; index += 1) {
    registry.certificates.addCertificate(
      CALLER,
      { certificateId: index.toString(16).padStart(64, '0'), certificatePem: PEM, notBefore: 0, notAfter: 1 },
      index,
    );
  }
  const authority = await LocalCertificateAuthority.create(new Date());
  new IotStateJournal(dataDir).compact({ version: 1, certificateAuthority: authority.material, registry: registry.snapshot() });
  const endpoint = await startIotEndpoint({ dataDir, quotas: false, keyAlgorithm: 'EC-P256' });
  const iot = new IoTClient({
    region: 'us-east-1',
    endpoint: endpoint.url,
    credentials: { accessKeyId: `AKIA${CALLER.accountId}LOCL`, secretAccessKey: 'x' },
  });
  try {
    const update = (index: number) =>
      iot.send(
        new UpdateCertificateCommand({
          certificateId: (index % certificates).toString(16).padStart(64, '0'),
          newStatus: index % 2 === 0 ? 'ACTIVE' : 'INACTIVE',
        }),
      );
    for (let index = 0; index < 20; index += 1) await update(index);
    const started = performance.now();
    for (let index = 0; index < requests; index += 1) await update(index);
    return (performance.now() - started) / requests;
  } finally {
    iot.destroy();
    await endpoint.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  for (const certificates of [1_000, 10_000]) {
    const cost = measurePersistenceCost(certificates, 2_000);
    const request = await measureUpdateRequest(certificates);
    console.log(
      `${certificates} certificates: journal ${cost.journalMsPerMutation.toFixed(3)} ms per mutation, ` +
        `whole snapshot ${cost.snapshotMsPerMutation.toFixed(1)} ms per mutation, UpdateCertificate over HTTP ${request.toFixed(2)} ms`,
    );
  }
}

if (require.main === module) void main();
