import {
  AttachPolicyCommand,
  DescribeCertificateCommand,
  DescribeThingCommand,
  DetachThingPrincipalCommand,
  AttachThingPrincipalCommand,
  DetachPolicyCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListPrincipalThingsCommand,
  ResourceNotFoundException,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { followTransfer } from '../../../lambdas/outbound-workflow/follow-transfer';
import { inspectCertificate } from '../../../lambdas/outbound-workflow/inspect-certificate';
import { prepareCertificate, restoreCertificate } from '../../../lambdas/outbound-workflow/prepare-certificate';
import { InMemoryAuditTrail } from '../audit-trail/in-memory-audit-trail';

const iotMock = mockClient(IoTClient);
const iot = new IoTClient({ region: 'us-east-1' });
const ACCOUNT = '111111111111';
const CERTIFICATE_ID = 'e'.repeat(64);
const CERTIFICATE_ARN = `arn:aws:iot:us-east-1:${ACCOUNT}:cert/${CERTIFICATE_ID}`;
const NOW = new Date('2026-11-24T10:00:00Z');
const context = { invocationId: 'inv-1', executionId: 'exec-1', requestedBy: 'alice', approvedBy: 'bob' };

beforeEach(() => iotMock.reset());

function describes(certificate: Record<string, unknown>): void {
  iotMock.on(DescribeCertificateCommand).resolves({
    $metadata: {},
    certificateDescription: { certificateId: CERTIFICATE_ID, certificateArn: CERTIFICATE_ARN, ownedBy: ACCOUNT, ...certificate },
  });
}

describe('inspectCertificate', () => {
  it('lists what must change before the transfer: deactivation, policies, and the things using it', async () => {
    describes({ status: 'ACTIVE' });
    iotMock
      .on(ListAttachedPoliciesCommand)
      .resolvesOnce({ $metadata: {}, policies: [{ policyName: 'p1' }], nextMarker: 'm' })
      .resolvesOnce({ $metadata: {}, policies: [{ policyName: 'p2' }] });
    iotMock.on(ListPrincipalThingsCommand).resolves({ $metadata: {}, things: ['sensor-1'] });
    iotMock
      .on(DescribeThingCommand, { thingName: 'sensor-1' })
      .resolves({ $metadata: {}, thingName: 'sensor-1', thingTypeName: 'sensor', attributes: { floor: '3' } });

    const inspection = await inspectCertificate(
      { iot, accountId: ACCOUNT },
      { certificateId: CERTIFICATE_ID, targetAwsAccount: '222222222222' },
    );

    expect(inspection).toEqual({
      certificateId: CERTIFICATE_ID,
      certificateArn: CERTIFICATE_ARN,
      status: 'ACTIVE',
      preparation: { deactivate: true, detachPolicies: ['p1', 'p2'], attachedThings: ['sensor-1'] },
      facts: expect.objectContaining({
        certificateId: CERTIFICATE_ID,
        certificateArn: CERTIFICATE_ARN,
        status: 'ACTIVE',
        policies: ['p1', 'p2'],
        things: [{ thingName: 'sensor-1', thingTypeName: 'sensor', attributes: { floor: '3' } }],
      }),
    });
    expect(iotMock).toHaveReceivedCommandWith(ListAttachedPoliciesCommand, { target: CERTIFICATE_ARN, marker: 'm' });
  });

  it.each(['REVOKED', 'PENDING_TRANSFER', 'PENDING_ACTIVATION'])(
    'fails early with CertificateNotTransferable for a %s certificate',
    async (status) => {
      describes({ status });
      await expect(
        inspectCertificate({ iot, accountId: ACCOUNT }, { certificateId: CERTIFICATE_ID, targetAwsAccount: '222222222222' }),
      ).rejects.toMatchObject({
        name: 'CertificateNotTransferable',
        message: `certificate ${CERTIFICATE_ID} is ${status}; only an ACTIVE or INACTIVE certificate can be transferred`,
      });
    },
  );

  it('fails early when the target is this account', async () => {
    await expect(
      inspectCertificate({ iot, accountId: ACCOUNT }, { certificateId: CERTIFICATE_ID, targetAwsAccount: ACCOUNT }),
    ).rejects.toMatchObject({ name: 'CertificateNotTransferable' });
    expect(iotMock.calls()).toHaveLength(0);
  });

  it('reports a missing certificate as ResourceNotFoundException', async () => {
    iotMock.on(DescribeCertificateCommand).rejects(new ResourceNotFoundException({ message: 'no such certificate', $metadata: {} }));
    await expect(
      inspectCertificate({ iot, accountId: ACCOUNT }, { certificateId: CERTIFICATE_ID, targetAwsAccount: '222222222222' }),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('prepareCertificate and restoreCertificate', () => {
  const preparation = { deactivate: true, detachPolicies: ['p1', 'p2'], attachedThings: [] };

  it('deactivates, detaches each policy, and audits each change with what it was', async () => {
    const auditTrail = new InMemoryAuditTrail();
    iotMock.on(UpdateCertificateCommand).resolves({ $metadata: { requestId: 'r-update' } });
    iotMock.on(DetachPolicyCommand).resolves({ $metadata: { requestId: 'r-detach' } });

    const changes = await prepareCertificate(
      { iot, auditTrail, accountId: ACCOUNT, now: () => NOW },
      { ...context, certificateId: CERTIFICATE_ID, certificateArn: CERTIFICATE_ARN, preparation, consentToPrepare: true },
    );

    expect(changes).toEqual({ deactivated: true, detachedPolicies: ['p1', 'p2'], detachedThings: [], deactivatedAt: NOW.toISOString() });
    expect(iotMock).toHaveReceivedCommandWith(UpdateCertificateCommand, { certificateId: CERTIFICATE_ID, newStatus: 'INACTIVE' });
    expect(iotMock).toHaveReceivedCommandWith(DetachPolicyCommand, { policyName: 'p2', target: CERTIFICATE_ARN });
    expect(auditTrail.rows.map((row) => [row.action, row.outcome, row.previousStatus ?? row.policyName])).toEqual([
      ['UpdateCertificate', 'SUCCEEDED', 'ACTIVE'],
      ['DetachPolicy', 'SUCCEEDED', 'p1'],
      ['DetachPolicy', 'SUCCEEDED', 'p2'],
    ]);
    expect(new Set(auditTrail.rows.map((row) => row.rowId)).size).toBe(3);
  });

  it('detaches the things too when asked, and records each as its own change', async () => {
    const auditTrail = new InMemoryAuditTrail();
    iotMock.on(UpdateCertificateCommand).resolves({ $metadata: {} });
    iotMock.on(DetachPolicyCommand).resolves({ $metadata: {} });
    iotMock.on(DetachThingPrincipalCommand).resolves({ $metadata: { requestId: 'r-thing' } });
    const changes = await prepareCertificate(
      { iot, auditTrail, accountId: ACCOUNT, now: () => NOW },
      {
        ...context,
        certificateId: CERTIFICATE_ID,
        certificateArn: CERTIFICATE_ARN,
        preparation: { ...preparation, attachedThings: ['sensor-1'] },
        consentToPrepare: true,
        detachThings: true,
      },
    );
    expect(changes.detachedThings).toEqual(['sensor-1']);
    expect(iotMock).toHaveReceivedCommandWith(DetachThingPrincipalCommand, { thingName: 'sensor-1', principal: CERTIFICATE_ARN });
    expect(auditTrail.rows.at(-1)).toMatchObject({
      action: 'DetachThingPrincipal',
      outcome: 'SUCCEEDED',
      thingName: 'sensor-1',
      awsRequestId: 'r-thing',
    });
  });

  it('leaves the things attached when not asked (the migration path)', async () => {
    iotMock.on(UpdateCertificateCommand).resolves({ $metadata: {} });
    iotMock.on(DetachPolicyCommand).resolves({ $metadata: {} });
    const changes = await prepareCertificate(
      { iot, auditTrail: new InMemoryAuditTrail(), accountId: ACCOUNT },
      {
        ...context,
        certificateId: CERTIFICATE_ID,
        certificateArn: CERTIFICATE_ARN,
        preparation: { ...preparation, attachedThings: ['sensor-1'] },
        consentToPrepare: true,
      },
    );
    expect(changes.detachedThings).toEqual([]);
    expect(iotMock).not.toHaveReceivedCommand(DetachThingPrincipalCommand);
  });

  it('re-attaches the things a restore finds detached', async () => {
    const auditTrail = new InMemoryAuditTrail();
    iotMock.on(AttachThingPrincipalCommand).resolves({ $metadata: {} });
    await restoreCertificate(
      { iot, auditTrail, accountId: ACCOUNT },
      {
        ...context,
        certificateId: CERTIFICATE_ID,
        certificateArn: CERTIFICATE_ARN,
        changes: { deactivated: false, detachedPolicies: [], detachedThings: ['sensor-1'] },
      },
    );
    expect(iotMock).toHaveReceivedCommandWith(AttachThingPrincipalCommand, { thingName: 'sensor-1', principal: CERTIFICATE_ARN });
    expect(auditTrail.rows.map((row) => row.action)).toEqual(['AttachThingPrincipal']);
  });

  it('refuses to change anything without the approver consent', async () => {
    await expect(
      prepareCertificate(
        { iot, auditTrail: new InMemoryAuditTrail(), accountId: ACCOUNT },
        { ...context, certificateId: CERTIFICATE_ID, certificateArn: CERTIFICATE_ARN, preparation, consentToPrepare: false },
      ),
    ).rejects.toMatchObject({ name: 'ValidationError', field: 'consentToPrepare' });
    expect(iotMock.calls()).toHaveLength(0);
  });

  it('treats a policy already detached on a re-run as done', async () => {
    const auditTrail = new InMemoryAuditTrail();
    iotMock.on(DetachPolicyCommand).rejects(new ResourceNotFoundException({ message: 'not attached', $metadata: {} }));
    iotMock.on(ListAttachedPoliciesCommand).resolves({ $metadata: {}, policies: [] });
    await prepareCertificate(
      { iot, auditTrail, accountId: ACCOUNT },
      {
        ...context,
        certificateId: CERTIFICATE_ID,
        certificateArn: CERTIFICATE_ARN,
        preparation: { deactivate: false, detachPolicies: ['p1'], attachedThings: [] },
        consentToPrepare: true,
      },
    );
    expect(auditTrail.rows).toEqual([expect.objectContaining({ action: 'DetachPolicy', outcome: 'SUCCEEDED', alreadyApplied: true })]);
  });

  it('restores the policies, then ACTIVE', async () => {
    const auditTrail = new InMemoryAuditTrail();
    iotMock.on(AttachPolicyCommand).resolves({ $metadata: {} });
    iotMock.on(UpdateCertificateCommand).resolves({ $metadata: {} });
    await restoreCertificate(
      { iot, auditTrail, accountId: ACCOUNT },
      {
        ...context,
        certificateId: CERTIFICATE_ID,
        certificateArn: CERTIFICATE_ARN,
        changes: { deactivated: true, detachedPolicies: ['p1'] },
      },
    );
    expect(iotMock).toHaveReceivedCommandWith(AttachPolicyCommand, { policyName: 'p1', target: CERTIFICATE_ARN });
    expect(iotMock).toHaveReceivedCommandWith(UpdateCertificateCommand, { newStatus: 'ACTIVE' });
    expect(auditTrail.rows.map((row) => row.action)).toEqual(['AttachPolicy', 'UpdateCertificate']);
  });
});

describe('followTransfer', () => {
  const request = {
    certificateId: CERTIFICATE_ID,
    transferDeadlineSeconds: 86400,
    waitedSeconds: 60,
    pollSeconds: 60,
    minPollSeconds: 30,
    maxPollSeconds: 900,
  };
  const follow = (change = {}) => followTransfer({ iot }, { ...request, ...change });

  it('reports PENDING and doubles the wait, within its bounds', async () => {
    describes({ status: 'PENDING_TRANSFER' });
    expect(await follow()).toEqual({ state: 'PENDING', rejectReason: null, nextPollSeconds: 120, waitedSeconds: 60 });
    expect(await follow({ pollSeconds: 600 })).toEqual({ state: 'PENDING', rejectReason: null, nextPollSeconds: 900, waitedSeconds: 60 });
  });

  it('reports DEADLINE_PASSED once the workflow has waited out the transfer deadline', async () => {
    describes({ status: 'PENDING_TRANSFER' });
    expect((await follow({ transferDeadlineSeconds: 3600, waitedSeconds: 3599 })).state).toBe('PENDING');
    expect((await follow({ transferDeadlineSeconds: 3600, waitedSeconds: 3600 })).state).toBe('DEADLINE_PASSED');
  });

  it('reports ACCEPTED once the source can no longer describe the certificate', async () => {
    iotMock.on(DescribeCertificateCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    expect((await follow()).state).toBe('ACCEPTED');
  });

  it('reports REJECTED with the reason, and CANCELLED without a reject date', async () => {
    describes({ status: 'INACTIVE', transferData: { transferDate: NOW, rejectDate: NOW, rejectReason: 'unknown device' } });
    expect(await follow()).toMatchObject({ state: 'REJECTED', rejectReason: 'unknown device' });
    describes({ status: 'INACTIVE', transferData: { transferDate: NOW } });
    expect((await follow()).state).toBe('CANCELLED');
  });
});
