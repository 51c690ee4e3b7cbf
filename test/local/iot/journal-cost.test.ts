import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { IotRegistry } from '../../../local/iot/iot-registry';
import { IotStateJournal, type IotState } from '../../../local/iot/iot-state-file';

const CALLER = { accountId: '111111111111', region: 'us-east-1' };
const PEM = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(64).concat('\n').repeat(18)}-----END CERTIFICATE-----\n`;

/** Bytes the journal grows by for each of `mutations` status changes, with `certificates` certificates held. */
function journalBytesPerChange(certificates: number, mutations = 50): number {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'certflow-iot-journal-'));
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
    const journalFile = path.join(dataDir, 'iot-journal.ndjson');
    const before = statSync(journalFile).size;
    for (let index = 0; index < mutations; index += 1) {
      registry.certificates.updateCertificate(CALLER, ids[index % ids.length] ?? '', index % 2 === 0 ? 'ACTIVE' : 'INACTIVE', index);
      const changeSet = registry.store.drainChanges();
      if (changeSet) journal.append(changeSet);
    }
    const grown = statSync(journalFile).size - before;
    journal.close();
    return grown / mutations;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// The time it takes is measured by `node --import tsx test/local/iot/journal-cost.ts`, not here.
describe('keeping a change durable', () => {
  it('appends the same few bytes per change whether the emulator holds 100 or 5,000 certificates', () => {
    const small = journalBytesPerChange(100);
    const large = journalBytesPerChange(5_000);
    expect(small).toBeGreaterThan(0);
    // The changed row only (its PEM included), never the registry: at most a few KB, and not growing.
    expect(small).toBeLessThan(4_096);
    expect(Math.abs(large - small)).toBeLessThan(16);
  });
});
