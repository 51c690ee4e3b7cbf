import { DescribeCertificateCommand, IoTClient, ListCertificatesCommand } from '@aws-sdk/client-iot';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { inboundExecutionName, startInboundReviews } from '../../../lambdas/inbound-workflow/start-inbound-reviews';

const iotMock = mockClient(IoTClient);
const sfnMock = mockClient(SFNClient);
const TARGET = '222222222222';
const SOURCE = '111111111111';
const MACHINE = 'arn:aws:states:us-east-1:222222222222:stateMachine:Inbound';
const TRANSFER_DATE = new Date('2026-11-24T09:00:00Z');
const UNTRUSTED = '333333333333';
const deps = {
  iot: new IoTClient({ region: 'us-east-1' }),
  sfn: new SFNClient({ region: 'us-east-1' }),
  accountId: TARGET,
  stateMachineArn: MACHINE,
  trustedSourceAccounts: [SOURCE],
  belongsToProposal: async () => false,
};
const id = (c: string) => c.repeat(64);

beforeEach(() => {
  iotMock.reset();
  sfnMock.reset();
  iotMock
    .on(ListCertificatesCommand)
    .resolvesOnce({
      $metadata: {},
      certificates: [
        { certificateId: id('1'), status: 'PENDING_TRANSFER' },
        { certificateId: id('2'), status: 'ACTIVE' },
      ],
      nextMarker: 'next',
    })
    .resolvesOnce({ $metadata: {}, certificates: [{ certificateId: id('3'), status: 'PENDING_TRANSFER' }] });
  iotMock.on(DescribeCertificateCommand, { certificateId: id('1') }).resolves({
    $metadata: {},
    certificateDescription: {
      certificateId: id('1'),
      status: 'PENDING_TRANSFER',
      ownedBy: SOURCE,
      transferData: { transferMessage: 'fleet move', transferDate: TRANSFER_DATE },
    },
  });
  // An offer this account made itself: not for review here.
  iotMock.on(DescribeCertificateCommand, { certificateId: id('3') }).resolves({
    $metadata: {},
    certificateDescription: {
      certificateId: id('3'),
      status: 'PENDING_TRANSFER',
      ownedBy: TARGET,
      transferData: { transferDate: TRANSFER_DATE },
    },
  });
});

describe('startInboundReviews', () => {
  it('starts one review per certificate offered by another account, named after the offer', async () => {
    sfnMock.on(StartExecutionCommand).resolves({ $metadata: {}, executionArn: 'arn' });

    const result = await startInboundReviews(deps);

    const name = `in-${id('1')}-${TRANSFER_DATE.getTime() / 1000}`;
    expect(result).toEqual({ pending: 1, started: [name], alreadyStarted: 0, untrusted: 0, untrustedAccounts: [], reviewedElsewhere: 0 });
    expect(name.length).toBeLessThanOrEqual(80);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: MACHINE,
      name,
      input: JSON.stringify({
        certificateId: id('1'),
        sourceAwsAccount: SOURCE,
        transferMessage: 'fleet move',
        transferDate: TRANSFER_DATE.toISOString(),
      }),
    });
  });

  it('counts an offer whose review already started instead of starting another', async () => {
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    expect(await startInboundReviews(deps)).toEqual({
      pending: 1,
      started: [],
      alreadyStarted: 1,
      untrusted: 0,
      untrustedAccounts: [],
      reviewedElsewhere: 0,
    });
  });

  it('counts an offer from an account that is not a trusted source and starts no review for it', async () => {
    iotMock.on(DescribeCertificateCommand, { certificateId: id('1') }).resolves({
      $metadata: {},
      certificateDescription: {
        certificateId: id('1'),
        status: 'PENDING_TRANSFER',
        ownedBy: UNTRUSTED,
        transferData: { transferMessage: 'Open this link', transferDate: TRANSFER_DATE },
      },
    });
    const result = await startInboundReviews(deps);
    expect(result).toMatchObject({ pending: 0, started: [], untrusted: 1, untrustedAccounts: [UNTRUSTED] });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('leaves an offer that belongs to a proposal to the proposal review', async () => {
    const result = await startInboundReviews({ ...deps, belongsToProposal: async (certificateId) => certificateId === id('1') });
    expect(result).toMatchObject({ pending: 0, started: [], reviewedElsewhere: 1 });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('leaves a migration offer to the migration', async () => {
    iotMock.on(DescribeCertificateCommand, { certificateId: id('1') }).resolves({
      $metadata: {},
      certificateDescription: {
        certificateId: id('1'),
        status: 'PENDING_TRANSFER',
        ownedBy: SOURCE,
        transferData: { transferMessage: '[certflow-migration] fleet move', transferDate: TRANSFER_DATE },
      },
    });
    expect(await startInboundReviews(deps)).toMatchObject({ pending: 0, reviewedElsewhere: 1 });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('names a new offer of the same certificate differently', () => {
    expect(inboundExecutionName(id('1'), TRANSFER_DATE)).not.toBe(inboundExecutionName(id('1'), new Date(TRANSFER_DATE.getTime() + 1000)));
  });
});
