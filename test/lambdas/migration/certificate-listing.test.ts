import { IoTClient, ListCertificatesByCACommand, ListCertificatesCommand, ListOutgoingCertificatesCommand } from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { listCertificates, outgoingOffers } from '../../../lambdas/migration/certificate-listing';
import { certificateArnOf, certificateIdOf, iotError, OTHER_ACCOUNT, TARGET_ACCOUNT } from './migration-fixtures';

const iot = mockClient(IoTClient);
const CA_ID = 'ca'.repeat(32);

beforeEach(() => iot.reset());

const listed = (n: number, status: 'ACTIVE' | 'INACTIVE' | 'PENDING_TRANSFER') => ({
  certificateId: certificateIdOf(n),
  certificateArn: certificateArnOf(certificateIdOf(n)),
  status,
});

describe('listCertificates', () => {
  it('lists every certificate of the account by id, 250 a page, through every page', async () => {
    iot.on(ListCertificatesCommand).resolves({ certificates: [listed(1, 'ACTIVE')], nextMarker: 'cGFnZTI=' });
    iot.on(ListCertificatesCommand, { marker: 'cGFnZTI=' }).resolves({ certificates: [listed(2, 'PENDING_TRANSFER')] });
    const certificates = await listCertificates(new IoTClient({}));
    expect([...certificates]).toEqual([
      [certificateIdOf(1), { certificateArn: certificateArnOf(certificateIdOf(1)), status: 'ACTIVE' }],
      [certificateIdOf(2), { certificateArn: certificateArnOf(certificateIdOf(2)), status: 'PENDING_TRANSFER' }],
    ]);
    expect(iot).toHaveReceivedCommandWith(ListCertificatesCommand, { pageSize: 250 });
    expect(iot).toHaveReceivedCommandTimes(ListCertificatesCommand, 2);
  });

  it('lists the certificates of one CA with ListCertificatesByCA when given the CA', async () => {
    iot.on(ListCertificatesByCACommand, { caCertificateId: CA_ID }).resolves({ certificates: [listed(3, 'INACTIVE')] });
    expect([...(await listCertificates(new IoTClient({}), CA_ID)).keys()]).toEqual([certificateIdOf(3)]);
    expect(iot).not.toHaveReceivedCommand(ListCertificatesCommand);
  });

  it('skips an entry without an id, an ARN or a status', async () => {
    iot.on(ListCertificatesCommand).resolves({
      certificates: [{ certificateId: certificateIdOf(1) }, listed(2, 'INACTIVE'), { ...listed(3, 'ACTIVE'), status: undefined }],
    });
    expect([...(await listCertificates(new IoTClient({}))).keys()]).toEqual([certificateIdOf(2)]);
  });

  it('fails with the IoT error name, so that the step is retried when it is worth it', async () => {
    iot.on(ListCertificatesCommand).rejects(iotError('ThrottlingException', 'Rate exceeded'));
    await expect(listCertificates(new IoTClient({}))).rejects.toMatchObject({ name: 'ThrottlingException', retryable: true });
  });
});

describe('outgoingOffers', () => {
  it('names the account each pending offer went to, through every page', async () => {
    iot
      .on(ListOutgoingCertificatesCommand)
      .resolves({ outgoingCertificates: [{ certificateId: certificateIdOf(1), transferredTo: TARGET_ACCOUNT }], nextMarker: 'b3V0Mg==' });
    iot.on(ListOutgoingCertificatesCommand, { marker: 'b3V0Mg==' }).resolves({
      outgoingCertificates: [{ certificateId: certificateIdOf(2), transferredTo: OTHER_ACCOUNT }, { certificateId: certificateIdOf(3) }],
    });
    expect([...(await outgoingOffers(new IoTClient({})))]).toEqual([
      [certificateIdOf(1), TARGET_ACCOUNT],
      [certificateIdOf(2), OTHER_ACCOUNT],
    ]);
    expect(iot).toHaveReceivedCommandWith(ListOutgoingCertificatesCommand, { pageSize: 250 });
  });

  it('fails with the IoT error name when the offers cannot be listed', async () => {
    iot.on(ListOutgoingCertificatesCommand).rejects(iotError('UnauthorizedException', 'not allowed'));
    await expect(outgoingOffers(new IoTClient({}))).rejects.toMatchObject({ name: 'UnauthorizedException', retryable: false });
  });
});
