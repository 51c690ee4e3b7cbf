import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  ListCertificatesCommand,
  UpdateCertificateCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { createCertificate, iotError, SOURCE, startIotFixture, TARGET, type IotEndpointFixture } from './iot-endpoint-fixture';

describe('certificates on the local IoT endpoint', () => {
  let fixture: IotEndpointFixture;
  let iot: IoTClient;
  beforeAll(async () => {
    fixture = await startIotFixture({ now: () => new Date('2030-01-02T03:04:05.678Z') });
    iot = fixture.client(SOURCE);
  });
  afterAll(() => fixture.close());

  describe('CreateKeysAndCertificate', () => {
    it('issues a real X.509 certificate whose id is the SHA-256 of its DER and whose key pair matches it', async () => {
      const created = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
      const certificate = new X509Certificate(created.certificatePem ?? '');
      expect(created.certificateId).toBe(createHash('sha256').update(certificate.raw).digest('hex'));
      expect(created.certificateArn).toBe(`arn:aws:iot:us-east-1:${SOURCE}:cert/${created.certificateId}`);
      expect(certificate.subject).toBe('CN=AWS IoT Certificate');
      expect(certificate.validTo).toBe('Dec 31 23:59:59 2049 GMT');
      expect(certificate.publicKey.export({ type: 'spki', format: 'pem' })).toBe(created.keyPair?.PublicKey);
      expect(certificate.checkPrivateKey(createPrivateKey(created.keyPair?.PrivateKey ?? ''))).toBe(true);
    });

    it('creates RSA 2048 key pairs by default, as AWS does', async () => {
      const rsaFixture = await startIotFixture({ keyAlgorithm: undefined });
      try {
        const created = await rsaFixture.client(SOURCE).send(new CreateKeysAndCertificateCommand({}));
        const key = new X509Certificate(created.certificatePem ?? '').publicKey;
        expect(key.asymmetricKeyType).toBe('rsa');
        expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
        expect(created.keyPair?.PrivateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
      } finally {
        await rsaFixture.close();
      }
    });

    it('takes the region of the ARN from the SigV4 credential scope', async () => {
      const created = await createCertificate(fixture.client(SOURCE, { region: 'eu-west-1' }));
      expect(created.certificateArn).toBe(`arn:aws:iot:eu-west-1:${SOURCE}:cert/${created.certificateId}`);
    });
  });

  describe('DescribeCertificate', () => {
    it('describes the certificate with the members of CertificateDescription, dates parsed by the SDK', async () => {
      const created = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: false }));
      const described = (await iot.send(new DescribeCertificateCommand({ certificateId: created.certificateId }))).certificateDescription;
      expect(described).toMatchObject({
        certificateArn: created.certificateArn,
        certificateId: created.certificateId,
        status: 'INACTIVE',
        certificatePem: created.certificatePem,
        ownedBy: SOURCE,
        customerVersion: 1,
        certificateMode: 'DEFAULT',
        creationDate: new Date('2030-01-02T03:04:05.678Z'),
        lastModifiedDate: new Date('2030-01-02T03:04:05.678Z'),
        validity: { notBefore: new Date('2030-01-02T03:04:05Z'), notAfter: new Date('2049-12-31T23:59:59Z') },
      });
      expect(described?.generationId).toEqual(expect.any(String));
    });

    it('answers ResourceNotFoundException (404) for an unknown certificate', async () => {
      await expect(iot.send(new DescribeCertificateCommand({ certificateId: 'a'.repeat(64) }))).rejects.toMatchObject(
        iotError('ResourceNotFoundException', 404),
      );
    });

    it('answers InvalidRequestException naming certificateId when it breaks the field rules', async () => {
      await expect(iot.send(new DescribeCertificateCommand({ certificateId: 'abc' }))).rejects.toMatchObject({
        ...iotError('InvalidRequestException', 400),
        message: 'certificateId: must be exactly 64 characters long (got 3)',
      });
      await expect(iot.send(new DescribeCertificateCommand({ certificateId: 'z'.repeat(64) }))).rejects.toMatchObject({
        message: 'certificateId: must match the pattern (0x)?[a-fA-F0-9]+',
      });
    });
  });

  describe('ListCertificates', () => {
    it('pages with pageSize and an opaque marker, newest first, then oldest first with isAscendingOrder', async () => {
      const lister = fixture.client('444444444444');
      const created: string[] = [];
      for (let index = 0; index < 5; index += 1) created.push((await createCertificate(lister)).certificateId);
      const pages: string[][] = [];
      let marker: string | undefined;
      do {
        const page = await lister.send(new ListCertificatesCommand({ pageSize: 2, marker }));
        pages.push((page.certificates ?? []).map((certificate) => certificate.certificateId ?? ''));
        marker = page.nextMarker;
        if (marker) expect(marker).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
      } while (marker);
      expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
      expect(pages.flat()).toEqual([...created].reverse());
      const ascending = await lister.send(new ListCertificatesCommand({ ascendingOrder: true }));
      expect(ascending.certificates?.map((certificate) => certificate.certificateId)).toEqual(created);
      expect(ascending.nextMarker).toBeUndefined();
      expect(ascending.certificates?.[0]).toMatchObject({ status: 'INACTIVE', certificateMode: 'DEFAULT', creationDate: expect.any(Date) });
    });

    it('validates pageSize from 1 to 250 and the marker', async () => {
      await expect(iot.send(new ListCertificatesCommand({ pageSize: 0 }))).rejects.toMatchObject({
        ...iotError('InvalidRequestException', 400),
        message: 'pageSize: must be an integer from 1 to 250',
      });
      await expect(iot.send(new ListCertificatesCommand({ pageSize: 251 }))).rejects.toMatchObject({
        message: 'pageSize: must be an integer from 1 to 250',
      });
      await expect(iot.send(new ListCertificatesCommand({ marker: 'bm90LWEtbWFya2Vy' }))).rejects.toMatchObject({
        message: 'marker: is not a marker this endpoint returned',
      });
      await expect(iot.send(new ListCertificatesCommand({ marker: '!!' }))).rejects.toMatchObject({
        message: expect.stringMatching(/^marker: must match the pattern/),
      });
    });

    it('lists only the caller account certificates', async () => {
      const { certificateId } = await createCertificate(iot);
      const seenByTarget = await fixture.client(TARGET).send(new ListCertificatesCommand({ pageSize: 250 }));
      expect(seenByTarget.certificates?.map((certificate) => certificate.certificateId)).not.toContain(certificateId);
    });
  });

  describe('UpdateCertificate', () => {
    it('moves a certificate between ACTIVE and INACTIVE, bumping customerVersion and lastModifiedDate', async () => {
      const { certificateId } = await createCertificate(iot);
      await iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'ACTIVE' }));
      const described = (await iot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription;
      expect(described).toMatchObject({ status: 'ACTIVE', customerVersion: 2 });
      await iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'ACTIVE' }));
      expect((await iot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription?.customerVersion).toBe(2);
    });

    it('refuses newStatus PENDING_TRANSFER and PENDING_ACTIVATION, which only AWS IoT sets', async () => {
      const { certificateId } = await createCertificate(iot);
      for (const newStatus of ['PENDING_TRANSFER', 'PENDING_ACTIVATION'] as const) {
        await expect(iot.send(new UpdateCertificateCommand({ certificateId, newStatus }))).rejects.toMatchObject({
          ...iotError('InvalidRequestException', 400),
          message: expect.stringContaining('newStatus'),
        });
      }
    });

    it('refuses an unknown newStatus naming the field and the allowed values', async () => {
      const { certificateId } = await createCertificate(iot);
      await expect(iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'BROKEN' as 'ACTIVE' }))).rejects.toMatchObject({
        message: 'newStatus: must be one of ACTIVE, INACTIVE, REVOKED, PENDING_TRANSFER, REGISTER_INACTIVE, PENDING_ACTIVATION',
      });
    });

    it('keeps a REVOKED certificate revoked', async () => {
      const { certificateId } = await createCertificate(iot);
      await iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'REVOKED' }));
      await expect(iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'ACTIVE' }))).rejects.toMatchObject(
        iotError('CertificateStateException', 406),
      );
    });
  });

  describe('DeleteCertificate', () => {
    it('deletes an INACTIVE certificate with nothing attached', async () => {
      const { certificateId } = await createCertificate(iot);
      await iot.send(new DeleteCertificateCommand({ certificateId }));
      await expect(iot.send(new DescribeCertificateCommand({ certificateId }))).rejects.toMatchObject(
        iotError('ResourceNotFoundException', 404),
      );
    });

    it('refuses to delete an ACTIVE certificate with CertificateStateException', async () => {
      const { certificateId } = await createCertificate(iot, true);
      await expect(iot.send(new DeleteCertificateCommand({ certificateId }))).rejects.toMatchObject(
        iotError('CertificateStateException', 406),
      );
    });

    it('refuses to delete a certificate with a policy or thing attached with DeleteConflictException, forceDelete lifting only the policy', async () => {
      const { certificateId, certificateArn } = await createCertificate(iot);
      await iot.send(new CreatePolicyCommand({ policyName: 'delete-blocker', policyDocument: '{}' }));
      await iot.send(new AttachPolicyCommand({ policyName: 'delete-blocker', target: certificateArn }));
      await expect(iot.send(new DeleteCertificateCommand({ certificateId }))).rejects.toMatchObject(
        iotError('DeleteConflictException', 409),
      );
      await iot.send(new CreateThingCommand({ thingName: 'delete-blocker' }));
      await iot.send(new AttachThingPrincipalCommand({ thingName: 'delete-blocker', principal: certificateArn }));
      await expect(iot.send(new DeleteCertificateCommand({ certificateId, forceDelete: true }))).rejects.toMatchObject(
        iotError('DeleteConflictException', 409),
      );
    });
  });

  describe('the wire protocol', () => {
    it('answers an unsigned request with 403 MissingAuthenticationTokenException', async () => {
      const response = await fetch(`${fixture.endpoint.url}/certificates`);
      expect(response.status).toBe(403);
      expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
      expect(response.headers.get('x-amzn-requestid')).toEqual(expect.any(String));
      expect(await response.json()).toEqual({ message: 'Missing Authentication Token' });
    });

    it('answers a signature without an account in its access key with 403 UnrecognizedClientException', async () => {
      const response = await fetch(`${fixture.endpoint.url}/certificates`, {
        headers: {
          authorization: 'AWS4-HMAC-SHA256 Credential=AKIDNOACCOUNT/20300101/us-east-1/iot/aws4_request, SignedHeaders=host, Signature=00',
        },
      });
      expect(response.status).toBe(403);
      expect(response.headers.get('x-amzn-errortype')).toBe('UnrecognizedClientException');
    });

    it('accepts a request the AWS CLI v2 signs for service execute-api', async () => {
      const response = await fetch(`${fixture.endpoint.url}/certificates?pageSize=1`, {
        headers: {
          authorization: `AWS4-HMAC-SHA256 Credential=AKIA${SOURCE}LOCL/20300101/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00`,
        },
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { certificates: Array<{ creationDate: unknown }> };
      expect(body.certificates).toHaveLength(1);
      expect(typeof body.certificates[0]?.creationDate).toBe('number');
    });

    it('answers an unknown route with 404 UnknownOperationException', async () => {
      const response = await fetch(`${fixture.endpoint.url}/no-such-thing`, { method: 'POST' });
      expect(response.status).toBe(404);
      expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    });

    // A label is never empty, so `/certificates/` is neither DescribeCertificate nor ListCertificates (AWS's own answer is undocumented).
    it('answers GET /certificates/ with its empty certificateId label as an unknown route (404 UnknownOperationException)', async () => {
      await createCertificate(iot);
      const response = await fetch(`${fixture.endpoint.url}/certificates/`, {
        headers: {
          authorization: `AWS4-HMAC-SHA256 Credential=AKIA${SOURCE}LOCL/20300101/us-east-1/iot/aws4_request, SignedHeaders=host, Signature=00`,
        },
      });
      expect(response.status).toBe(404);
      expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
      expect(await response.json()).not.toHaveProperty('certificates');
    });

    it('answers a malformed JSON body with 400 SerializationException', async () => {
      const { certificateId } = await createCertificate(iot);
      const response = await fetch(`${fixture.endpoint.url}/transfer-certificate/${certificateId}?targetAwsAccount=${TARGET}`, {
        method: 'PATCH',
        headers: {
          authorization: `AWS4-HMAC-SHA256 Credential=AKIA${SOURCE}LOCL/20300101/us-east-1/iot/aws4_request, SignedHeaders=host, Signature=00`,
        },
        body: '{"transferMessage": ',
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('x-amzn-errortype')).toBe('SerializationException');
      expect((await iot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription?.status).toBe('INACTIVE');
    });
  });
});
