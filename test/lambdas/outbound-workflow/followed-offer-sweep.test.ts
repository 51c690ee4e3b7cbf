import {
  DescribeCertificateCommand,
  IoTClient,
  ListOutgoingCertificatesCommand,
  ResourceNotFoundException,
  type CertificateDescription,
} from '@aws-sdk/client-iot';
import { SFNClient, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { proposalTableFixture, type ProposalTableFixture } from '../cross-account/proposal-table-fixture';
import type { ProposalStore } from '../../../lambdas/cross-account/proposal-store';
import { OUTGOING_PAGE_SIZE, sweepFollowedOffers } from '../../../lambdas/outbound-workflow/followed-offer-sweep';
import { followIdOf, followOffer, parseOfferFollowEvent, readFollowOutcome } from '../../../lambdas/outbound-workflow/offer-follow';
import { UnverifiedMessage } from '../../../lambdas/outbound-workflow/propose-to-target';

const SOURCE = '111111111111';
const TARGET = '222222222222';
const DAY = 86400;

const iotMock = mockClient(IoTClient);
const sfnMock = mockClient(SFNClient);
let tables: ProposalTableFixture;
let certificates = 0;

const proposalTable = (): Promise<ProposalStore> => tables.newStore();

function newCertificateId(): string {
  certificates += 1;
  return certificates.toString(16).padStart(64, 'a');
}

/** An offer the workflow's FollowOffer step recorded, waiting with `token`. */
async function followed(store: ProposalStore, certificateId: string, token = `token-${certificateId.slice(-4)}`) {
  const executionId = `arn:aws:states:us-east-1:${SOURCE}:execution:CertflowSource-OutboundTransfer:${certificateId.slice(-8)}`;
  await followOffer(
    { store, accountId: SOURCE },
    { taskToken: token, executionId, certificateId, targetAwsAccount: TARGET, transferDeadlineSeconds: 7 * DAY },
  );
  return { executionId, token };
}

function outgoing(...certificateIds: string[]) {
  return {
    $metadata: {},
    outgoingCertificates: certificateIds.map((certificateId) => ({ certificateId, transferredTo: TARGET })),
  };
}

function backInSource(certificateId: string, transferData: CertificateDescription['transferData']) {
  iotMock
    .on(DescribeCertificateCommand, { certificateId })
    .resolves({ $metadata: {}, certificateDescription: { certificateId, status: 'INACTIVE', ownedBy: SOURCE, transferData } });
}

beforeAll(async () => {
  tables = await proposalTableFixture();
});

afterAll(() => tables.close());

beforeEach(() => {
  iotMock.reset();
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({ $metadata: {} });
  iotMock.on(ListOutgoingCertificatesCommand).resolves(outgoing());
});

const sweep = (store: ProposalStore) =>
  sweepFollowedOffers({ store, iot: iotMock as unknown as IoTClient, sfn: sfnMock as unknown as SFNClient });

describe('the sweep of followed offers', () => {
  it('records an accepted transfer (no longer describable), wakes the step and stops following it', async () => {
    const store = await proposalTable();
    const certificateId = newCertificateId();
    const { executionId, token } = await followed(store, certificateId);
    iotMock
      .on(DescribeCertificateCommand, { certificateId })
      .rejects(new ResourceNotFoundException({ $metadata: {}, message: 'not found' }));

    expect(await sweep(store)).toEqual({ followed: 1, pending: [], decided: [{ certificateId, state: 'ACCEPTED' }] });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: token });
    expect(await readFollowOutcome({ store }, { executionId })).toEqual({ state: 'ACCEPTED', rejectReason: null });
    expect(await store.followedOffers()).toEqual([]);
  });

  it('records a rejection with the reason from transferData', async () => {
    const store = await proposalTable();
    const certificateId = newCertificateId();
    const { executionId } = await followed(store, certificateId);
    backInSource(certificateId, {
      transferDate: new Date('2026-01-01T00:00:00Z'),
      rejectDate: new Date('2026-01-02T00:00:00Z'),
      rejectReason: 'unknown device type',
    });

    expect((await sweep(store)).decided).toEqual([{ certificateId, state: 'REJECTED' }]);
    expect(await readFollowOutcome({ store }, { executionId })).toEqual({ state: 'REJECTED', rejectReason: 'unknown device type' });
  });

  it('records a cancel (back INACTIVE without a reject after the transfer)', async () => {
    const store = await proposalTable();
    const certificateId = newCertificateId();
    const { executionId } = await followed(store, certificateId);
    backInSource(certificateId, { transferDate: new Date('2026-01-01T00:00:00Z') });

    expect((await sweep(store)).decided).toEqual([{ certificateId, state: 'CANCELLED' }]);
    expect(await readFollowOutcome({ store }, { executionId })).toEqual({ state: 'CANCELLED', rejectReason: null });
  });

  it('leaves an offer still listed as outgoing pending: no describe, no wake', async () => {
    const store = await proposalTable();
    const certificateId = newCertificateId();
    const { executionId } = await followed(store, certificateId);
    iotMock.on(ListOutgoingCertificatesCommand).resolves(outgoing(certificateId));

    expect(await sweep(store)).toEqual({ followed: 1, pending: [certificateId], decided: [] });
    expect(iotMock).toHaveReceivedCommandTimes(DescribeCertificateCommand, 0);
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
    expect(await store.followedOffers()).toHaveLength(1);
    await expect(readFollowOutcome({ store }, { executionId })).rejects.toThrow(UnverifiedMessage);
  });

  it('checks many offers with one listing pass of 250 a page, describing only those no longer listed', async () => {
    const store = await proposalTable();
    const pendingId = newCertificateId();
    const decidedId = newCertificateId();
    await followed(store, pendingId);
    await followed(store, decidedId);
    iotMock.on(ListOutgoingCertificatesCommand, { marker: undefined }).resolves({ ...outgoing(newCertificateId()), nextMarker: 'page-2' });
    iotMock.on(ListOutgoingCertificatesCommand, { marker: 'page-2' }).resolves(outgoing(pendingId));
    backInSource(decidedId, { transferDate: new Date('2026-01-01T00:00:00Z') });

    const result = await sweep(store);
    expect(result.pending).toEqual([pendingId]);
    expect(result.decided).toEqual([{ certificateId: decidedId, state: 'CANCELLED' }]);
    expect(iotMock).toHaveReceivedCommandTimes(ListOutgoingCertificatesCommand, 2);
    expect(iotMock).toHaveReceivedCommandWith(ListOutgoingCertificatesCommand, { pageSize: OUTGOING_PAGE_SIZE });
    expect(iotMock).toHaveReceivedCommandTimes(DescribeCertificateCommand, 1);
  });

  it('makes no IoT call when no offer is followed', async () => {
    const store = await proposalTable();
    expect(await sweep(store)).toEqual({ followed: 0, pending: [], decided: [] });
    expect(iotMock).toHaveReceivedCommandTimes(ListOutgoingCertificatesCommand, 0);
  });

  it('stops following an offer whose step is already over (timed out at the deadline)', async () => {
    const store = await proposalTable();
    const certificateId = newCertificateId();
    await followed(store, certificateId);
    backInSource(certificateId, { transferDate: new Date('2026-01-01T00:00:00Z') });
    sfnMock.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ $metadata: {}, message: 'timed out' }));

    expect((await sweep(store)).decided).toEqual([{ certificateId, state: 'CANCELLED' }]);
    expect(await store.followedOffers()).toEqual([]);
  });

  it('wakes on the next sweep an offer decided by a sweep that stopped before the wake', async () => {
    const store = await proposalTable();
    const certificateId = newCertificateId();
    const { executionId, token } = await followed(store, certificateId);
    await store.recordFollowOutcome(followIdOf(executionId), {
      state: 'ACCEPTED',
      rejectReason: null,
      decidedAt: '2026-01-01T00:00:00.000Z',
    });

    expect((await sweep(store)).decided).toEqual([{ certificateId, state: 'ACCEPTED' }]);
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: token });
    expect(iotMock).toHaveReceivedCommandTimes(DescribeCertificateCommand, 0);
  });
});

describe('the follow steps', () => {
  it('fails the read step with UnverifiedMessage on a forged wake (no recorded outcome)', async () => {
    const store = await proposalTable();
    const { executionId } = await followed(store, newCertificateId());
    await expect(readFollowOutcome({ store }, { executionId })).rejects.toThrow(UnverifiedMessage);
    await expect(readFollowOutcome({ store }, { executionId: `${executionId}-other` })).rejects.toThrow(UnverifiedMessage);
  });

  it('keeps one record per execution, a retried step replacing the waiting token', async () => {
    const store = await proposalTable();
    const certificateId = newCertificateId();
    const { executionId } = await followed(store, certificateId, 'first-token');
    await followed(store, certificateId, 'second-token');
    const records = await store.followedOffers();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ executionId, taskToken: 'second-token', state: 'FOLLOWING' });
  });

  it('rejects a follow request without a deadline, naming the field', () => {
    expect(() =>
      parseOfferFollowEvent({ step: 'follow', taskToken: 't', executionId: 'e', certificateId: 'a'.repeat(64), targetAwsAccount: TARGET }),
    ).toThrow(expect.objectContaining({ field: 'transferDeadlineSeconds' }));
  });
});
