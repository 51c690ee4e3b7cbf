import { generateKeyPairSync } from 'node:crypto';
import {
  DescribeCACertificateCommand,
  DescribeCertificateCommand,
  GetRegistrationCodeCommand,
  ListCACertificatesCommand,
  ListCertificatesByCACommand,
  RegisterCACertificateCommand,
  RegisterCertificateCommand,
  RegisterCertificateWithoutCACommand,
  TransferCertificateCommand,
  UpdateCACertificateCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { LocalCertificateAuthority } from '../../../local/iot/x509-certificates';
import { listCertificates } from '../../../lambdas/migration/certificate-listing';
import { createCertificate, iotError, SOURCE, startIotFixture, TARGET, type IotEndpointFixture } from './iot-endpoint-fixture';

function devicePublicKey(): string {
  return generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'sec1', format: 'pem' },
  }).publicKey;
}

/** A customer CA registered in DEFAULT mode with a verification certificate made from the account's registration code. */
async function registerCa(
  iot: IoTClient,
  ca: LocalCertificateAuthority,
  options: { setAsActive?: boolean; allowAutoRegistration?: boolean } = {},
) {
  const { registrationCode } = await iot.send(new GetRegistrationCodeCommand({}));
  const verification = ca.issue(devicePublicKey(), new Date(), registrationCode ?? '');
  return iot.send(
    new RegisterCACertificateCommand({
      caCertificate: ca.material.certificatePem,
      verificationCertificate: verification.certificatePem,
      setAsActive: options.setAsActive ?? true,
      allowAutoRegistration: options.allowAutoRegistration,
    }),
  );
}

describe('CA certificates and registered device certificates on the local IoT endpoint', () => {
  let fixture: IotEndpointFixture;
  let iot: IoTClient;
  let other: IoTClient;
  let customerCa: LocalCertificateAuthority;
  let caCertificateId: string;
  beforeAll(async () => {
    fixture = await startIotFixture();
    iot = fixture.client(SOURCE);
    other = fixture.client(TARGET);
    customerCa = await LocalCertificateAuthority.create(new Date(), 'Customer Root CA');
    caCertificateId = (await registerCa(iot, customerCa, { allowAutoRegistration: true })).certificateId ?? '';
  });
  afterAll(() => fixture.close());

  describe('RegisterCACertificate', () => {
    it('registers a CA proven with a verification certificate and describes it', async () => {
      const described = await iot.send(new DescribeCACertificateCommand({ certificateId: caCertificateId }));
      expect(described.certificateDescription).toMatchObject({
        certificateArn: `arn:aws:iot:us-east-1:${SOURCE}:cacert/${caCertificateId}`,
        certificateId: caCertificateId,
        status: 'ACTIVE',
        certificatePem: customerCa.material.certificatePem,
        ownedBy: SOURCE,
        autoRegistrationStatus: 'ENABLE',
        customerVersion: 1,
        certificateMode: 'DEFAULT',
      });
      expect(described.certificateDescription?.validity?.notAfter).toBeInstanceOf(Date);
      await expect(other.send(new DescribeCACertificateCommand({ certificateId: caCertificateId }))).rejects.toMatchObject(
        iotError('ResourceNotFoundException', 404),
      );
    });

    it('keeps one registration code per account', async () => {
      const first = await iot.send(new GetRegistrationCodeCommand({}));
      expect(first.registrationCode).toMatch(/^[0-9a-f]{64}$/);
      expect((await iot.send(new GetRegistrationCodeCommand({}))).registrationCode).toBe(first.registrationCode);
      expect((await other.send(new GetRegistrationCodeCommand({}))).registrationCode).not.toBe(first.registrationCode);
    });

    it('refuses the same CA twice with ResourceAlreadyExistsException', async () => {
      await expect(registerCa(iot, customerCa)).rejects.toMatchObject({
        ...iotError('ResourceAlreadyExistsException', 409),
        resourceId: caCertificateId,
      });
    });

    it('refuses a verification certificate whose common name is not the registration code with RegistrationCodeValidationException', async () => {
      const ca = await LocalCertificateAuthority.create(new Date(), 'Wrong Code CA');
      const verification = ca.issue(devicePublicKey(), new Date(), 'f'.repeat(64));
      await expect(
        iot.send(
          new RegisterCACertificateCommand({
            caCertificate: ca.material.certificatePem,
            verificationCertificate: verification.certificatePem,
          }),
        ),
      ).rejects.toMatchObject(iotError('RegistrationCodeValidationException', 400));
    });

    it('refuses a verification certificate another CA signed, and a certificate that is no CA, with CertificateValidationException', async () => {
      const { registrationCode } = await iot.send(new GetRegistrationCodeCommand({}));
      const ca = await LocalCertificateAuthority.create(new Date(), 'Unproven CA');
      const signedByAnother = customerCa.issue(devicePublicKey(), new Date(), registrationCode ?? '');
      await expect(
        iot.send(
          new RegisterCACertificateCommand({
            caCertificate: ca.material.certificatePem,
            verificationCertificate: signedByAnother.certificatePem,
          }),
        ),
      ).rejects.toMatchObject(iotError('CertificateValidationException', 400));
      const device = customerCa.issue(devicePublicKey(), new Date());
      await expect(
        iot.send(new RegisterCACertificateCommand({ caCertificate: device.certificatePem, certificateMode: 'SNI_ONLY' })),
      ).rejects.toMatchObject(iotError('CertificateValidationException', 400));
      await expect(
        iot.send(new RegisterCACertificateCommand({ caCertificate: 'not a pem', certificateMode: 'SNI_ONLY' })),
      ).rejects.toMatchObject(iotError('CertificateValidationException', 400));
    });

    it('requires a verification certificate in DEFAULT mode and none in SNI_ONLY mode', async () => {
      const ca = await LocalCertificateAuthority.create(new Date(), 'SNI CA');
      await expect(iot.send(new RegisterCACertificateCommand({ caCertificate: ca.material.certificatePem }))).rejects.toMatchObject({
        ...iotError('InvalidRequestException', 400),
        message: 'verificationCertificate: is required when certificateMode is DEFAULT',
      });
      await expect(
        iot.send(
          new RegisterCACertificateCommand({
            caCertificate: ca.material.certificatePem,
            certificateMode: 'SNI_ONLY',
            verificationCertificate: ca.material.certificatePem,
          }),
        ),
      ).rejects.toMatchObject({ message: 'verificationCertificate: must be empty when certificateMode is SNI_ONLY' });
      const registered = await iot.send(
        new RegisterCACertificateCommand({ caCertificate: ca.material.certificatePem, certificateMode: 'SNI_ONLY' }),
      );
      expect(
        (await iot.send(new DescribeCACertificateCommand({ certificateId: registered.certificateId }))).certificateDescription,
      ).toMatchObject({
        status: 'INACTIVE',
        autoRegistrationStatus: 'DISABLE',
        certificateMode: 'SNI_ONLY',
      });
    });

    it('lists the account CA certificates newest first, pages them and updates their status', async () => {
      const fresh = await startIotFixture();
      try {
        const own = fresh.client(SOURCE);
        const ids: string[] = [];
        for (const name of ['List CA 1', 'List CA 2', 'List CA 3']) {
          ids.push((await registerCa(own, await LocalCertificateAuthority.create(new Date(), name))).certificateId ?? '');
        }
        const first = await own.send(new ListCACertificatesCommand({ pageSize: 2 }));
        expect(first.certificates?.map((ca) => ca.certificateId)).toEqual([ids[2], ids[1]]);
        expect(first.certificates?.[0]).toMatchObject({
          status: 'ACTIVE',
          certificateArn: `arn:aws:iot:us-east-1:${SOURCE}:cacert/${ids[2]}`,
        });
        expect(
          (await own.send(new ListCACertificatesCommand({ marker: first.nextMarker }))).certificates?.map((ca) => ca.certificateId),
        ).toEqual([ids[0]]);
        expect(
          (await own.send(new ListCACertificatesCommand({ ascendingOrder: true }))).certificates?.map((ca) => ca.certificateId),
        ).toEqual(ids);
        await own.send(
          new UpdateCACertificateCommand({ certificateId: ids[0], newStatus: 'INACTIVE', newAutoRegistrationStatus: 'ENABLE' }),
        );
        expect((await own.send(new DescribeCACertificateCommand({ certificateId: ids[0] }))).certificateDescription).toMatchObject({
          status: 'INACTIVE',
          autoRegistrationStatus: 'ENABLE',
          customerVersion: 2,
        });
        expect((await fresh.client(TARGET).send(new ListCACertificatesCommand({}))).certificates).toEqual([]);
      } finally {
        await fresh.close();
      }
    });
  });

  describe('RegisterCertificate and ListCertificatesByCA', () => {
    it('registers device certificates the CA signed, with or without caCertificatePem, and shows caCertificateId', async () => {
      const found = customerCa.issue(devicePublicKey(), new Date());
      const registered = await iot.send(new RegisterCertificateCommand({ certificatePem: found.certificatePem, status: 'ACTIVE' }));
      expect(registered).toEqual(
        expect.objectContaining({
          certificateId: found.certificateId,
          certificateArn: `arn:aws:iot:us-east-1:${SOURCE}:cert/${found.certificateId}`,
        }),
      );
      expect((await iot.send(new DescribeCertificateCommand({ certificateId: found.certificateId }))).certificateDescription).toMatchObject(
        {
          caCertificateId,
          status: 'ACTIVE',
          certificateMode: 'DEFAULT',
          ownedBy: SOURCE,
          certificatePem: found.certificatePem,
        },
      );
      const given = customerCa.issue(devicePublicKey(), new Date());
      await iot.send(
        new RegisterCertificateCommand({ certificatePem: given.certificatePem, caCertificatePem: customerCa.material.certificatePem }),
      );
      expect((await iot.send(new DescribeCertificateCommand({ certificateId: given.certificateId }))).certificateDescription).toMatchObject(
        {
          caCertificateId,
          status: 'INACTIVE',
        },
      );
      await expect(iot.send(new RegisterCertificateCommand({ certificatePem: given.certificatePem }))).rejects.toMatchObject(
        iotError('ResourceAlreadyExistsException', 409),
      );
    });

    it('refuses a certificate no registered CA of the account signed with CertificateValidationException', async () => {
      const stranger = await LocalCertificateAuthority.create(new Date(), 'Unregistered CA');
      await expect(
        iot.send(new RegisterCertificateCommand({ certificatePem: stranger.issue(devicePublicKey(), new Date()).certificatePem })),
      ).rejects.toMatchObject(iotError('CertificateValidationException', 400));
      await expect(
        other.send(new RegisterCertificateCommand({ certificatePem: customerCa.issue(devicePublicKey(), new Date()).certificatePem })),
      ).rejects.toMatchObject(iotError('CertificateValidationException', 400));
    });

    it('refuses registering with an INACTIVE CA with CertificateStateException', async () => {
      const ca = await LocalCertificateAuthority.create(new Date(), 'Inactive CA');
      await registerCa(iot, ca, { setAsActive: false });
      await expect(
        iot.send(new RegisterCertificateCommand({ certificatePem: ca.issue(devicePublicKey(), new Date()).certificatePem })),
      ).rejects.toMatchObject(iotError('CertificateStateException', 406));
    });

    it('registers a certificate without a CA in SNI_ONLY mode and validates status', async () => {
      const unknownIssuer = await LocalCertificateAuthority.create(new Date(), 'Any CA');
      const device = unknownIssuer.issue(devicePublicKey(), new Date());
      await iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: device.certificatePem, status: 'ACTIVE' }));
      const described = (await iot.send(new DescribeCertificateCommand({ certificateId: device.certificateId }))).certificateDescription;
      expect(described).toMatchObject({ status: 'ACTIVE', certificateMode: 'SNI_ONLY' });
      expect(described?.caCertificateId).toBeUndefined();
      await expect(
        iot.send(
          new RegisterCertificateWithoutCACommand({
            certificatePem: unknownIssuer.issue(devicePublicKey(), new Date()).certificatePem,
            status: 'PENDING_TRANSFER',
          }),
        ),
      ).rejects.toMatchObject({ ...iotError('InvalidRequestException', 400), message: 'status: must be one of ACTIVE, INACTIVE, REVOKED' });
    });

    it('lists the certificates of one CA with GET /certificates-by-ca/{caCertificateId}, paged and ordered', async () => {
      const fresh = await startIotFixture();
      try {
        const own = fresh.client(SOURCE);
        const ca = await LocalCertificateAuthority.create(new Date(), 'Paged CA');
        const caId = (await registerCa(own, ca)).certificateId ?? '';
        await createCertificate(own);
        const ids: string[] = [];
        for (let index = 0; index < 3; index += 1) {
          const device = ca.issue(devicePublicKey(), new Date());
          await own.send(new RegisterCertificateCommand({ certificatePem: device.certificatePem }));
          ids.push(device.certificateId);
        }
        const first = await own.send(new ListCertificatesByCACommand({ caCertificateId: caId, pageSize: 2 }));
        expect(first.certificates?.map((c) => c.certificateId)).toEqual([ids[2], ids[1]]);
        expect(first.certificates?.[0]).toMatchObject({ status: 'INACTIVE', certificateMode: 'DEFAULT' });
        const second = await own.send(new ListCertificatesByCACommand({ caCertificateId: caId, pageSize: 2, marker: first.nextMarker }));
        expect(second.certificates?.map((c) => c.certificateId)).toEqual([ids[0]]);
        expect(second.nextMarker).toBeUndefined();
        expect(
          (await own.send(new ListCertificatesByCACommand({ caCertificateId: caId, ascendingOrder: true }))).certificates?.map(
            (c) => c.certificateId,
          ),
        ).toEqual(ids);
        expect((await fresh.client(TARGET).send(new ListCertificatesByCACommand({ caCertificateId: caId }))).certificates).toEqual([]);
        await expect(own.send(new ListCertificatesByCACommand({ caCertificateId: 'not-hex' }))).rejects.toMatchObject(
          iotError('InvalidRequestException', 400),
        );

        // certflow's migration selector { caCertificateId } lists through the same Action.
        expect([...(await listCertificates(own, caId)).keys()].sort()).toEqual([...ids].sort());
        // After a transfer the certificate is no longer the source's.
        await own.send(new TransferCertificateCommand({ certificateId: ids[0], targetAwsAccount: TARGET }));
        expect((await listCertificates(own, caId)).get(ids[0] ?? '')?.status).toBe('PENDING_TRANSFER');
      } finally {
        await fresh.close();
      }
    });
  });
});
