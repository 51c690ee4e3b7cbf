import {
  AcceptCertificateTransferCommand,
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CancelCertificateTransferCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DescribeCertificateCommand,
  DetachThingPrincipalCommand,
  ListCertificatesCommand,
  ListOutgoingCertificatesCommand,
  ListPrincipalThingsCommand,
  RejectCertificateTransferCommand,
  TransferCertificateCommand,
  UpdateCertificateCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { createCertificate, iotError, SOURCE, startIotFixture, STRANGER, TARGET, type IotEndpointFixture } from './iot-endpoint-fixture';

/** The four transfer Actions across two accounts, driven with the real SDK over HTTP. */
describe('certificate transfers on the local IoT endpoint', () => {
  let fixture: IotEndpointFixture;
  let source: IoTClient;
  let target: IoTClient;
  let stranger: IoTClient;
  beforeAll(async () => {
    fixture = await startIotFixture();
    source = fixture.client(SOURCE);
    target = fixture.client(TARGET);
    stranger = fixture.client(STRANGER);
  });
  afterAll(() => fixture.close());

  const describeAs = async (iot: IoTClient, certificateId: string) =>
    (await iot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription;
  const listedIds = async (iot: IoTClient) =>
    ((await iot.send(new ListCertificatesCommand({ pageSize: 250 }))).certificates ?? []).map((c) => c.certificateId);
  const offer = async (transferMessage?: string) => {
    const certificate = await createCertificate(source);
    await source.send(
      new TransferCertificateCommand({ certificateId: certificate.certificateId, targetAwsAccount: TARGET, transferMessage }),
    );
    return certificate;
  };

  describe('TransferCertificate', () => {
    it('offers an INACTIVE certificate to the target account and answers with its ARN there', async () => {
      const { certificateId } = await createCertificate(source);
      const answer = await source.send(
        new TransferCertificateCommand({ certificateId, targetAwsAccount: TARGET, transferMessage: 'yours now' }),
      );
      expect(answer.transferredCertificateArn).toBe(`arn:aws:iot:us-east-1:${TARGET}:cert/${certificateId}`);
      const described = await describeAs(source, certificateId);
      expect(described).toMatchObject({ status: 'PENDING_TRANSFER', ownedBy: SOURCE, transferData: { transferMessage: 'yours now' } });
      expect(described?.transferData?.transferDate).toBeInstanceOf(Date);
      const outgoing = await source.send(new ListOutgoingCertificatesCommand({}));
      expect(outgoing.outgoingCertificates).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ certificateId, transferredTo: TARGET, transferMessage: 'yours now', transferDate: expect.any(Date) }),
        ]),
      );
    });

    it('rejects a transfer whose certificate is ACTIVE with CertificateStateException (406)', async () => {
      const { certificateId } = await createCertificate(source, true);
      await expect(source.send(new TransferCertificateCommand({ certificateId, targetAwsAccount: TARGET }))).rejects.toMatchObject(
        iotError('CertificateStateException', 406),
      );
      expect((await describeAs(source, certificateId))?.status).toBe('ACTIVE');
    });

    it('rejects a transfer of a certificate with a policy attached with TransferConflictException (409)', async () => {
      const { certificateId, certificateArn } = await createCertificate(source);
      await source.send(
        new CreatePolicyCommand({ policyName: 'transfer-blocker', policyDocument: '{"Version":"2012-10-17","Statement":[]}' }),
      );
      await source.send(new AttachPolicyCommand({ policyName: 'transfer-blocker', target: certificateArn }));
      await expect(source.send(new TransferCertificateCommand({ certificateId, targetAwsAccount: TARGET }))).rejects.toMatchObject(
        iotError('TransferConflictException', 409),
      );
      expect((await describeAs(source, certificateId))?.status).toBe('INACTIVE');
    });

    // The developer guide: "The certificate must be deactivated and detached from all policies and things before initiating the transfer."
    it('rejects a transfer of a certificate still attached to a thing with TransferConflictException (409), changing nothing', async () => {
      const { certificateId, certificateArn } = await createCertificate(source);
      await source.send(new CreateThingCommand({ thingName: 'transfer-sensor' }));
      await source.send(new AttachThingPrincipalCommand({ thingName: 'transfer-sensor', principal: certificateArn }));
      await expect(source.send(new TransferCertificateCommand({ certificateId, targetAwsAccount: TARGET }))).rejects.toMatchObject({
        ...iotError('TransferConflictException', 409),
        message: expect.stringContaining('transfer-sensor'),
      });
      expect((await describeAs(source, certificateId))?.status).toBe('INACTIVE');
      expect(await listedIds(target)).not.toContain(certificateId);
    });

    it('transfers the certificate once it is detached from its things', async () => {
      const { certificateId, certificateArn } = await createCertificate(source);
      await source.send(new CreateThingCommand({ thingName: 'detached-sensor' }));
      await source.send(new AttachThingPrincipalCommand({ thingName: 'detached-sensor', principal: certificateArn }));
      await source.send(new DetachThingPrincipalCommand({ thingName: 'detached-sensor', principal: certificateArn }));
      await source.send(new TransferCertificateCommand({ certificateId, targetAwsAccount: TARGET }));
      await target.send(new AcceptCertificateTransferCommand({ certificateId }));
      expect((await describeAs(target, certificateId))?.ownedBy).toBe(TARGET);
    });

    it('refuses to attach a PENDING_TRANSFER certificate to a thing with InvalidRequestException', async () => {
      const { certificateArn } = await offer();
      await source.send(new CreateThingCommand({ thingName: 'too-late' }));
      await expect(
        source.send(new AttachThingPrincipalCommand({ thingName: 'too-late', principal: certificateArn })),
      ).rejects.toMatchObject(iotError('InvalidRequestException', 400));
    });

    it('refuses a second transfer of a certificate already PENDING_TRANSFER with CertificateStateException', async () => {
      const { certificateId } = await offer();
      await expect(source.send(new TransferCertificateCommand({ certificateId, targetAwsAccount: STRANGER }))).rejects.toMatchObject(
        iotError('CertificateStateException', 406),
      );
    });

    it('refuses a transfer to the owning account with InvalidRequestException naming targetAwsAccount', async () => {
      const { certificateId } = await createCertificate(source);
      await expect(source.send(new TransferCertificateCommand({ certificateId, targetAwsAccount: SOURCE }))).rejects.toMatchObject({
        ...iotError('InvalidRequestException', 400),
        message: expect.stringContaining('targetAwsAccount'),
      });
    });

    it('answers ResourceNotFoundException for a certificate of another account', async () => {
      const { certificateId } = await createCertificate(source);
      await expect(stranger.send(new TransferCertificateCommand({ certificateId, targetAwsAccount: TARGET }))).rejects.toMatchObject(
        iotError('ResourceNotFoundException', 404),
      );
    });

    it('validates targetAwsAccount and transferMessage with the field rules', async () => {
      const { certificateId } = await createCertificate(source);
      await expect(source.send(new TransferCertificateCommand({ certificateId, targetAwsAccount: '12345' }))).rejects.toMatchObject({
        ...iotError('InvalidRequestException', 400),
        message: 'targetAwsAccount: must be exactly 12 digits',
      });
      await expect(
        source.send(new TransferCertificateCommand({ certificateId, targetAwsAccount: TARGET, transferMessage: 'x'.repeat(129) })),
      ).rejects.toMatchObject({
        ...iotError('InvalidRequestException', 400),
        message: 'transferMessage: must be at most 128 characters long (got 129)',
      });
      expect((await describeAs(source, certificateId))?.status).toBe('INACTIVE');
    });
  });

  describe('visibility while a transfer is pending', () => {
    it('shows the offered certificate to the target in ListCertificates and DescribeCertificate as PENDING_TRANSFER', async () => {
      const { certificateId } = await offer('have it');
      expect(await listedIds(target)).toContain(certificateId);
      expect(await describeAs(target, certificateId)).toMatchObject({
        status: 'PENDING_TRANSFER',
        ownedBy: SOURCE,
        transferData: { transferMessage: 'have it' },
      });
      expect(await listedIds(source)).toContain(certificateId);
    });

    it('keeps the certificate invisible to an account that is neither side', async () => {
      const { certificateId } = await offer();
      expect(await listedIds(stranger)).not.toContain(certificateId);
      await expect(describeAs(stranger, certificateId)).rejects.toMatchObject(iotError('ResourceNotFoundException', 404));
      for (const command of [
        new AcceptCertificateTransferCommand({ certificateId }),
        new RejectCertificateTransferCommand({ certificateId }),
        new CancelCertificateTransferCommand({ certificateId }),
      ]) {
        await expect(stranger.send(command as AcceptCertificateTransferCommand)).rejects.toMatchObject(
          iotError('ResourceNotFoundException', 404),
        );
      }
    });

    it('refuses UpdateCertificate on a PENDING_TRANSFER certificate with CertificateStateException', async () => {
      const { certificateId } = await offer();
      await expect(source.send(new UpdateCertificateCommand({ certificateId, newStatus: 'ACTIVE' }))).rejects.toMatchObject(
        iotError('CertificateStateException', 406),
      );
      await expect(target.send(new UpdateCertificateCommand({ certificateId, newStatus: 'ACTIVE' }))).rejects.toMatchObject(
        iotError('CertificateStateException', 406),
      );
    });
  });

  describe('AcceptCertificateTransfer', () => {
    it('hands the certificate to the target as ACTIVE with setAsActive, and hides it from the source', async () => {
      const { certificateId } = await offer();
      await target.send(new AcceptCertificateTransferCommand({ certificateId, setAsActive: true }));
      const described = await describeAs(target, certificateId);
      expect(described).toMatchObject({
        status: 'ACTIVE',
        ownedBy: TARGET,
        previousOwnedBy: SOURCE,
        certificateArn: `arn:aws:iot:us-east-1:${TARGET}:cert/${certificateId}`,
      });
      expect(described?.transferData?.acceptDate).toBeInstanceOf(Date);
      await expect(describeAs(source, certificateId)).rejects.toMatchObject(iotError('ResourceNotFoundException', 404));
      expect(await listedIds(source)).not.toContain(certificateId);
      expect(await listedIds(target)).toContain(certificateId);
    });

    it('leaves the accepted certificate INACTIVE by default', async () => {
      const { certificateId } = await offer();
      await target.send(new AcceptCertificateTransferCommand({ certificateId }));
      expect((await describeAs(target, certificateId))?.status).toBe('INACTIVE');
    });

    it('hands the target a certificate attached to none of its things', async () => {
      const { certificateId } = await offer();
      await target.send(new AcceptCertificateTransferCommand({ certificateId }));
      const targetArn = `arn:aws:iot:us-east-1:${TARGET}:cert/${certificateId}`;
      expect((await target.send(new ListPrincipalThingsCommand({ principal: targetArn }))).things).toEqual([]);
    });

    it('refuses the source accepting its own offer with UnauthorizedException (401)', async () => {
      const { certificateId } = await offer();
      await expect(source.send(new AcceptCertificateTransferCommand({ certificateId }))).rejects.toMatchObject(
        iotError('UnauthorizedException', 401),
      );
      expect((await describeAs(source, certificateId))?.status).toBe('PENDING_TRANSFER');
    });

    it('answers TransferAlreadyCompletedException (410) to accepting, rejecting or cancelling an accepted transfer', async () => {
      const { certificateId } = await offer();
      await target.send(new AcceptCertificateTransferCommand({ certificateId }));
      await expect(target.send(new AcceptCertificateTransferCommand({ certificateId }))).rejects.toMatchObject(
        iotError('TransferAlreadyCompletedException', 410),
      );
      await expect(target.send(new RejectCertificateTransferCommand({ certificateId }))).rejects.toMatchObject(
        iotError('TransferAlreadyCompletedException', 410),
      );
      await expect(source.send(new CancelCertificateTransferCommand({ certificateId }))).rejects.toMatchObject(
        iotError('TransferAlreadyCompletedException', 410),
      );
    });

    it('answers InvalidRequestException for a certificate that was never offered', async () => {
      const { certificateId } = await createCertificate(source);
      await expect(source.send(new AcceptCertificateTransferCommand({ certificateId }))).rejects.toMatchObject(
        iotError('InvalidRequestException', 400),
      );
    });
  });

  describe('RejectCertificateTransfer', () => {
    it('returns the certificate to the source INACTIVE with the reject reason and date', async () => {
      const { certificateId } = await offer('please take it');
      await target.send(new RejectCertificateTransferCommand({ certificateId, rejectReason: 'not ours' }));
      const described = await describeAs(source, certificateId);
      expect(described).toMatchObject({
        status: 'INACTIVE',
        ownedBy: SOURCE,
        transferData: { rejectReason: 'not ours', transferMessage: 'please take it' },
      });
      expect(described?.transferData?.rejectDate).toBeInstanceOf(Date);
      expect(described?.previousOwnedBy).toBeUndefined();
    });

    it('hides the rejected certificate from the target', async () => {
      const { certificateId } = await offer();
      await target.send(new RejectCertificateTransferCommand({ certificateId }));
      await expect(describeAs(target, certificateId)).rejects.toMatchObject(iotError('ResourceNotFoundException', 404));
      expect(await listedIds(target)).not.toContain(certificateId);
      await expect(target.send(new AcceptCertificateTransferCommand({ certificateId }))).rejects.toMatchObject(
        iotError('ResourceNotFoundException', 404),
      );
    });

    it('refuses the source rejecting its own offer with UnauthorizedException', async () => {
      const { certificateId } = await offer();
      await expect(source.send(new RejectCertificateTransferCommand({ certificateId }))).rejects.toMatchObject(
        iotError('UnauthorizedException', 401),
      );
    });

    it('answers TransferAlreadyCompletedException when the source acts again on a rejected transfer', async () => {
      const { certificateId } = await offer();
      await target.send(new RejectCertificateTransferCommand({ certificateId }));
      await expect(source.send(new CancelCertificateTransferCommand({ certificateId }))).rejects.toMatchObject(
        iotError('TransferAlreadyCompletedException', 410),
      );
    });

    it('validates rejectReason with the field rules', async () => {
      const { certificateId } = await offer();
      await expect(
        target.send(new RejectCertificateTransferCommand({ certificateId, rejectReason: 'r'.repeat(200) })),
      ).rejects.toMatchObject({
        ...iotError('InvalidRequestException', 400),
        message: 'rejectReason: must be at most 128 characters long (got 200)',
      });
      expect((await describeAs(target, certificateId))?.status).toBe('PENDING_TRANSFER');
    });
  });

  describe('CancelCertificateTransfer', () => {
    it('returns the certificate to the source INACTIVE and hides it from the target', async () => {
      const { certificateId } = await offer();
      await source.send(new CancelCertificateTransferCommand({ certificateId }));
      expect((await describeAs(source, certificateId))?.status).toBe('INACTIVE');
      await expect(describeAs(target, certificateId)).rejects.toMatchObject(iotError('ResourceNotFoundException', 404));
      expect((await source.send(new ListOutgoingCertificatesCommand({}))).outgoingCertificates?.map((c) => c.certificateId)).not.toContain(
        certificateId,
      );
    });

    it('refuses the target cancelling with UnauthorizedException', async () => {
      const { certificateId } = await offer();
      await expect(target.send(new CancelCertificateTransferCommand({ certificateId }))).rejects.toMatchObject(
        iotError('UnauthorizedException', 401),
      );
      expect((await describeAs(target, certificateId))?.status).toBe('PENDING_TRANSFER');
    });

    it('lets the source offer the certificate again after a cancel', async () => {
      const { certificateId } = await offer();
      await source.send(new CancelCertificateTransferCommand({ certificateId }));
      await source.send(new TransferCertificateCommand({ certificateId, targetAwsAccount: TARGET }));
      expect((await describeAs(target, certificateId))?.status).toBe('PENDING_TRANSFER');
    });
  });
});
