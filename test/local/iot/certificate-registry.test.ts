import { CertificateRegistry, type Caller } from '../../../local/iot/certificate-registry';
import { IotRegistry } from '../../../local/iot/iot-registry';
import { IotServiceError } from '../../../local/iot/iot-errors';

const SOURCE: Caller = { accountId: '111111111111', region: 'us-east-1' };
const TARGET: Caller = { accountId: '222222222222', region: 'us-east-1' };

function certificateIdFor(index: number): string {
  return index.toString(16).padStart(64, '0');
}

function registryWith(count: number, setAsActive = false): CertificateRegistry {
  const registry = new CertificateRegistry();
  for (let index = 1; index <= count; index += 1) {
    registry.addCertificate(
      SOURCE,
      { certificateId: certificateIdFor(index), certificatePem: 'PEM', notBefore: 0, notAfter: 1, setAsActive },
      index * 1000,
    );
  }
  return registry;
}

function failure(action: () => unknown): IotServiceError {
  try {
    action();
  } catch (error) {
    if (error instanceof IotServiceError) return error;
    throw error;
  }
  throw new Error('expected an IotServiceError');
}

describe('CertificateRegistry', () => {
  const id = certificateIdFor(1);

  it('runs a transfer from offer to acceptance, recording the dates', () => {
    const registry = registryWith(1);
    expect(registry.transferCertificate(SOURCE, id, TARGET.accountId, 'hello', 5000)).toBe(
      `arn:aws:iot:us-east-1:${TARGET.accountId}:cert/${id}`,
    );
    registry.acceptCertificateTransfer(TARGET, id, true, 6000);
    expect(registry.describeCertificate(TARGET, id)).toMatchObject({
      status: 'ACTIVE',
      ownedBy: TARGET.accountId,
      previousOwnedBy: SOURCE.accountId,
      customerVersion: 3,
      lastModifiedDate: 6000,
      transferData: { transferMessage: 'hello', transferDate: 5000, acceptDate: 6000 },
    });
    expect(failure(() => registry.describeCertificate(SOURCE, id)).type).toBe('ResourceNotFoundException');
  });

  it('names the refusals as AWS does', () => {
    const registry = registryWith(1, true);
    expect(failure(() => registry.transferCertificate(SOURCE, id, TARGET.accountId, undefined, 0))).toMatchObject({
      type: 'CertificateStateException',
      status: 406,
    });
    registry.updateCertificate(SOURCE, id, 'INACTIVE', 0);
    registry.transferCertificate(SOURCE, id, TARGET.accountId, undefined, 0);
    expect(failure(() => registry.cancelCertificateTransfer(TARGET, id, 0))).toMatchObject({ type: 'UnauthorizedException', status: 401 });
    registry.rejectCertificateTransfer(TARGET, id, 'no', 0);
    expect(failure(() => registry.rejectCertificateTransfer(TARGET, id, 'no', 0))).toMatchObject({
      type: 'ResourceNotFoundException',
      status: 404,
    });
    expect(failure(() => registry.cancelCertificateTransfer(SOURCE, id, 0))).toMatchObject({
      type: 'TransferAlreadyCompletedException',
      status: 410,
    });
  });

  it('logs the rows a change touched and nothing for reads or refusals', () => {
    const registry = registryWith(2);
    registry.store.drainChanges();
    registry.describeCertificate(SOURCE, id);
    registry.listCertificates(SOURCE, {});
    failure(() => registry.transferCertificate(SOURCE, id, SOURCE.accountId, undefined, 0));
    expect(registry.store.drainChanges()).toBeUndefined();
    registry.updateCertificate(SOURCE, id, 'ACTIVE', 0);
    const changeSet = registry.store.drainChanges();
    expect(changeSet?.changes).toEqual([
      { kind: 'certificate', key: id, value: expect.objectContaining({ certificateId: id, status: 'ACTIVE' }) },
    ]);
  });

  it('restores the same state from its snapshot', () => {
    const registry = new IotRegistry();
    for (let index = 1; index <= 3; index += 1) {
      registry.certificates.addCertificate(
        SOURCE,
        { certificateId: certificateIdFor(index), certificatePem: 'PEM', notBefore: 0, notAfter: 1 },
        index,
      );
    }
    registry.certificates.transferCertificate(SOURCE, certificateIdFor(2), TARGET.accountId, 'm', 0);
    const restored = new IotRegistry(JSON.parse(JSON.stringify(registry.snapshot()))).certificates;
    expect(restored.listCertificates(TARGET, {}).items.map((certificate) => certificate.certificateId)).toEqual([certificateIdFor(2)]);
    restored.addCertificate(
      SOURCE,
      { certificateId: certificateIdFor(4), certificatePem: 'PEM', notBefore: 0, notAfter: 1, setAsActive: false },
      0,
    );
    expect(restored.listCertificates(SOURCE, { pageSize: 1 }).items[0]?.certificateId).toBe(certificateIdFor(4));
  });

  it('keeps pages right when a certificate is deleted between two pages', () => {
    const registry = registryWith(5);
    const first = registry.listCertificates(SOURCE, { pageSize: 2 });
    expect(first.items.map((certificate) => certificate.sequence)).toEqual([5, 4]);
    registry.deleteCertificate(SOURCE, certificateIdFor(3), false);
    const second = registry.listCertificates(SOURCE, { pageSize: 2, marker: first.nextMarker });
    expect(second.items.map((certificate) => certificate.sequence)).toEqual([2, 1]);
    expect(second.nextMarker).toBeUndefined();
  });
});
