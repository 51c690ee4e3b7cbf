import { DescribeCertificateCommand, ListCertificatesCommand, UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { createCertificate, iotError, SOURCE, startIotFixture, TARGET, type IotEndpointFixture } from './iot-endpoint-fixture';

describe('quotas, faults and the control endpoints of the local IoT endpoint', () => {
  let fixture: IotEndpointFixture;
  afterEach(() => fixture?.close());

  it('throttles an account above 10 requests per second with ThrottlingException and counts it', async () => {
    fixture = await startIotFixture({ quotas: {}, now: () => new Date('2030-01-01T00:00:00Z') });
    const iot = fixture.client(SOURCE);
    const { certificateId } = await createCertificate(iot);
    const attempts = await Promise.allSettled(
      Array.from({ length: 15 }, () => iot.send(new DescribeCertificateCommand({ certificateId }))),
    );
    const throttled = attempts.filter((attempt) => attempt.status === 'rejected');
    expect(attempts.length - throttled.length).toBe(10);
    for (const attempt of throttled) {
      expect((attempt as PromiseRejectedResult).reason).toMatchObject({
        ...iotError('ThrottlingException', 400),
        message: 'Rate exceeded',
      });
    }
    expect(fixture.endpoint.stats().accounts[SOURCE]?.DescribeCertificate).toEqual({ requests: 15, throttled: 5, faulted: 0 });
    // Another account has its own bucket; an Action without a quota is not limited.
    await fixture.client(TARGET).send(new ListCertificatesCommand({}));
    await createCertificate(iot);
  });

  it('changes nothing for a throttled request', async () => {
    fixture = await startIotFixture({ quotas: { UpdateCertificate: 1 }, now: () => new Date('2030-01-01T00:00:00Z') });
    const iot = fixture.client(SOURCE);
    const first = await createCertificate(iot);
    const second = await createCertificate(iot);
    await iot.send(new UpdateCertificateCommand({ certificateId: first.certificateId, newStatus: 'ACTIVE' }));
    await expect(
      iot.send(new UpdateCertificateCommand({ certificateId: second.certificateId, newStatus: 'ACTIVE' })),
    ).rejects.toMatchObject(iotError('ThrottlingException', 400));
    expect((await iot.send(new DescribeCertificateCommand({ certificateId: second.certificateId }))).certificateDescription?.status).toBe(
      'INACTIVE',
    );
  });

  it('refills the bucket as the injected clock advances', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    fixture = await startIotFixture({ quotas: { ListCertificates: 2 }, now: () => new Date(now) });
    const iot = fixture.client(SOURCE);
    await iot.send(new ListCertificatesCommand({}));
    await iot.send(new ListCertificatesCommand({}));
    await expect(iot.send(new ListCertificatesCommand({}))).rejects.toMatchObject(iotError('ThrottlingException', 400));
    now += 500;
    await iot.send(new ListCertificatesCommand({}));
  });

  it('replaces quotas at runtime through setQuotas and PUT /_certflow/quotas', async () => {
    fixture = await startIotFixture({ quotas: { ListCertificates: 1 }, now: () => new Date('2030-01-01T00:00:00Z') });
    const iot = fixture.client(SOURCE);
    await iot.send(new ListCertificatesCommand({}));
    await expect(iot.send(new ListCertificatesCommand({}))).rejects.toMatchObject(iotError('ThrottlingException', 400));
    fixture.endpoint.setQuotas(false);
    for (let index = 0; index < 20; index += 1) await iot.send(new ListCertificatesCommand({}));

    const response = await fetch(`${fixture.endpoint.url}/_certflow/quotas`, {
      method: 'PUT',
      body: JSON.stringify({ ListCertificates: 1 }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { quotas: Record<string, number> }).quotas).toMatchObject({
      ListCertificates: 1,
      TransferCertificate: 10,
    });
    await iot.send(new ListCertificatesCommand({}));
    await expect(iot.send(new ListCertificatesCommand({}))).rejects.toMatchObject(iotError('ThrottlingException', 400));

    const refused = await fetch(`${fixture.endpoint.url}/_certflow/quotas`, { method: 'PUT', body: JSON.stringify({ NoSuchAction: 1 }) });
    expect(refused.status).toBe(400);
  });

  it('injects errors at the configured rate with a deterministic random source, and changes nothing for them', async () => {
    const draws = [0.1, 0.9];
    let draw = 0;
    fixture = await startIotFixture({
      faults: { UpdateCertificate: { errorRate: 0.5, errorType: 'InternalFailureException' } },
      random: () => draws[draw++ % draws.length] ?? 0,
    });
    const iot = fixture.client(SOURCE);
    const { certificateId } = await createCertificate(iot);
    await expect(iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'ACTIVE' }))).rejects.toMatchObject(
      iotError('InternalFailureException', 500),
    );
    expect((await iot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription?.status).toBe('INACTIVE');
    await iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'ACTIVE' }));
    expect((await iot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription?.status).toBe('ACTIVE');
    expect(fixture.endpoint.stats().accounts[SOURCE]?.UpdateCertificate).toEqual({ requests: 2, throttled: 0, faulted: 1 });
  });

  it('answers ServiceUnavailableException (503) by default and adds latency', async () => {
    fixture = await startIotFixture();
    const iot = fixture.client(SOURCE);
    fixture.endpoint.setFaults({ ListCertificates: { errorRate: 1 } });
    await expect(iot.send(new ListCertificatesCommand({}))).rejects.toMatchObject(iotError('ServiceUnavailableException', 503));
    fixture.endpoint.setFaults({ ListCertificates: { latencyMs: 150 } });
    const started = Date.now();
    await iot.send(new ListCertificatesCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('serves stats, replaces faults and resets stats through the unsigned /_certflow endpoints', async () => {
    fixture = await startIotFixture();
    const iot = fixture.client(SOURCE);
    const faults = await fetch(`${fixture.endpoint.url}/_certflow/faults`, {
      method: 'PUT',
      body: JSON.stringify({ ListCertificates: { errorRate: 1, errorType: 'ThrottlingException' } }),
    });
    expect(faults.status).toBe(200);
    await expect(iot.send(new ListCertificatesCommand({}))).rejects.toMatchObject(iotError('ThrottlingException', 400));

    const stats = (await (await fetch(`${fixture.endpoint.url}/_certflow/stats`)).json()) as {
      total: { requests: number; faulted: number };
    };
    expect(stats.total).toEqual({ requests: 1, throttled: 0, faulted: 1 });

    expect((await fetch(`${fixture.endpoint.url}/_certflow/reset-stats`, { method: 'POST' })).status).toBe(200);
    expect(fixture.endpoint.stats().total).toEqual({ requests: 0, throttled: 0, faulted: 0 });

    const cleared = await fetch(`${fixture.endpoint.url}/_certflow/faults`, { method: 'PUT', body: '{}' });
    expect(cleared.status).toBe(200);
    await iot.send(new ListCertificatesCommand({}));

    const refused = await fetch(`${fixture.endpoint.url}/_certflow/faults`, {
      method: 'PUT',
      body: JSON.stringify({ ListCertificates: { errorRate: 2 } }),
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toBe('ListCertificates.errorRate: must be a number from 0 to 1');
  });
});
