import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type QueryCommandOutput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type {
  CertificateLanded,
  CertificateOffered,
  LandingFailed,
  ProposalDecided,
  ProposalWithdrawn,
  TransferProposed,
} from './transfer-messages';

export const PROPOSAL_PARTITION_KEY = 'proposalId';
export const PROPOSALS_BY_CERTIFICATE_INDEX = 'byCertificate';
/** Sparse index: only records of offers the source still follows carry its key attribute. */
export const FOLLOWED_OFFERS_INDEX = 'followedOffers';
export const FOLLOWED_OFFER_ATTRIBUTE = 'followedOffer';
/** The one value of the sparse index's key: every followed offer is found by one Query. */
export const FOLLOWED = 'FOLLOWED';

/** What a side's workflow is waiting for the peer to send. */
export type AwaitedMessage = 'DECISION' | 'OFFER' | 'LANDING' | 'TRANSFER_DECIDED';

/**
 * Where one transfer stands on one side. The source: PROPOSED → DECIDED → OFFERED →
 * LANDED | LANDING_FAILED. The target: REVIEWING → APPROVED | DECLINED → OFFERED |
 * WITHDRAWN → LANDED | LANDING_FAILED. An offer to a target that runs no certflow (a record
 * of its own, no proposal): FOLLOWING → TRANSFER_DECIDED.
 */
export type ProposalState =
  | 'PROPOSED'
  | 'REVIEWING'
  | 'DECIDED'
  | 'APPROVED'
  | 'DECLINED'
  | 'OFFERED'
  | 'WITHDRAWN'
  | 'LANDED'
  | 'LANDING_FAILED'
  | 'FOLLOWING'
  | 'TRANSFER_DECIDED';

/** What the sweep found became of a followed offer. */
export interface FollowOutcome {
  state: 'ACCEPTED' | 'REJECTED' | 'CANCELLED';
  /** The target's reason when REJECTED (from the certificate's transferData), else null. */
  rejectReason: string | null;
  decidedAt: string;
}

/**
 * One side's record of a transfer it takes part in. Only this side's functions write it:
 * the workflow's steps, and its receiver when the peer's message arrives. The task token
 * of the waiting step stays here, never in a message.
 */
export interface ProposalRecord {
  proposalId: string;
  side: 'SOURCE' | 'TARGET';
  certificateId: string;
  sourceAwsAccount: string;
  targetAwsAccount: string;
  /** The execution of this side's workflow for the transfer. */
  executionId: string;
  state: ProposalState;
  /** Set while a workflow step waits for the peer's message. */
  awaiting?: AwaitedMessage;
  taskToken?: string;
  proposal?: TransferProposed;
  decision?: ProposalDecided;
  offer?: CertificateOffered;
  withdrawn?: ProposalWithdrawn;
  landed?: CertificateLanded;
  landingFailed?: LandingFailed;
  /** Present (always FOLLOWED) while the sweep still has to check the offer: the sparse index's key. */
  followedOffer?: typeof FOLLOWED;
  /** When the followed offer's transfer deadline passes (the sparse index's sort key). */
  followDeadline?: string;
  followOutcome?: FollowOutcome;
  createdAt: string;
  updatedAt: string;
}

/** The proposal id follows from the source's execution, so a retried step proposes the same transfer. */
export function proposalIdOf(executionId: string): string {
  return createHash('sha256').update(`proposal\n${executionId}`).digest('base64url').slice(0, 32);
}

/** The record is not where a step or message expects it; `current` says where it is. */
export class ProposalStateConflict extends Error {
  override readonly name = 'ProposalStateConflict';

  constructor(
    readonly proposalId: string,
    readonly current: ProposalRecord | undefined,
    expectation: string,
  ) {
    super(`transfer proposal ${proposalId} is ${current ? current.state : 'missing'}: ${expectation}`);
  }
}

/** The message field a receiver records, by what it answers. */
export const MESSAGE_FIELD = {
  ProposalDecided: 'decision',
  CertificateOffered: 'offer',
  ProposalWithdrawn: 'withdrawn',
  CertificateLanded: 'landed',
  LandingFailed: 'landingFailed',
} as const;

export type RecordedMessageType = keyof typeof MESSAGE_FIELD;

/** Transfer records in DynamoDB; every change is conditional on where the record stands. */
export class ProposalStore {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get(proposalId: string): Promise<ProposalRecord | undefined> {
    const { Item } = await this.dynamodb.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ [PROPOSAL_PARTITION_KEY]: proposalId }), ConsistentRead: true }),
    );
    return Item ? (unmarshall(Item) as ProposalRecord) : undefined;
  }

  /** Creates the record, or returns the one a retried step (or a duplicated message) created first. */
  async create(record: Omit<ProposalRecord, 'createdAt' | 'updatedAt'>): Promise<{ record: ProposalRecord; created: boolean }> {
    const at = this.now().toISOString();
    const item: ProposalRecord = { ...record, createdAt: at, updatedAt: at };
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: true }),
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': PROPOSAL_PARTITION_KEY },
        }),
      );
      return { record: item, created: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.get(record.proposalId);
      if (!existing) throw error;
      return { record: existing, created: false };
    }
  }

  /**
   * A workflow step starts waiting for the peer: its (new, on a retry) task token is kept
   * with what it waits for, provided the record is in one of the states the step follows.
   */
  async awaitMessage(
    proposalId: string,
    awaiting: AwaitedMessage,
    taskToken: string,
    fromStates: ProposalState[],
    set: Partial<ProposalRecord> = {},
  ): Promise<ProposalRecord> {
    return this.update(
      proposalId,
      fromStates,
      { ...set, awaiting, taskToken },
      `a step may wait for ${awaiting} only from ${fromStates.join(' or ')}`,
    );
  }

  /** Moves the record to `state`, from one of `fromStates`. */
  async transition(
    proposalId: string,
    fromStates: ProposalState[],
    state: ProposalState,
    set: Partial<ProposalRecord> = {},
  ): Promise<ProposalRecord> {
    return this.update(proposalId, fromStates, { ...set, state }, `it may become ${state} only from ${fromStates.join(' or ')}`);
  }

  /**
   * Records the peer's message if the record awaits it; the waiting step's token comes
   * back so the receiver can wake it. A message recorded before (a duplicate delivery)
   * is reported as such with the same token: waking the step again is harmless.
   */
  async recordMessage<T extends RecordedMessageType>(
    proposalId: string,
    type: T,
    awaited: AwaitedMessage,
    state: ProposalState,
    detail: unknown,
  ): Promise<{ record: ProposalRecord; duplicate: boolean }> {
    const field = MESSAGE_FIELD[type];
    try {
      const record = await this.update(proposalId, [], { state, [field]: detail, awaiting: undefined }, `it does not await ${awaited}`, {
        expression: '#awaiting = :awaited',
        names: { '#awaiting': 'awaiting' },
        values: { ':awaited': awaited },
      });
      return { record, duplicate: false };
    } catch (error) {
      if (!(error instanceof ProposalStateConflict)) throw error;
      const current = error.current;
      if (current && current[field] !== undefined && JSON.stringify(current[field]) === JSON.stringify(detail))
        return { record: current, duplicate: true };
      throw error;
    }
  }

  /** Records about one certificate, newest first (the target's poller asks this). */
  async forCertificate(certificateId: string): Promise<ProposalRecord[]> {
    const { Items } = await this.dynamodb.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: PROPOSALS_BY_CERTIFICATE_INDEX,
        KeyConditionExpression: '#certificate = :certificate',
        ExpressionAttributeNames: { '#certificate': 'certificateId' },
        ExpressionAttributeValues: marshall({ ':certificate': certificateId }),
        ScanIndexForward: false,
      }),
    );
    return (Items ?? []).map((item) => unmarshall(item) as ProposalRecord);
  }

  /** Every offer still followed, soonest deadline first: one Query of the sparse index (paged past 1 MB). */
  async followedOffers(): Promise<ProposalRecord[]> {
    const records: ProposalRecord[] = [];
    let startKey: QueryCommandOutput['LastEvaluatedKey'];
    do {
      const page = await this.dynamodb.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: FOLLOWED_OFFERS_INDEX,
          KeyConditionExpression: '#followed = :followed',
          ExpressionAttributeNames: { '#followed': FOLLOWED_OFFER_ATTRIBUTE },
          ExpressionAttributeValues: marshall({ ':followed': FOLLOWED }),
          ExclusiveStartKey: startKey,
        }),
      );
      records.push(...(page.Items ?? []).map((item) => unmarshall(item) as ProposalRecord));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }

  /** Records what became of a followed offer, once: only a FOLLOWING record takes an outcome. */
  async recordFollowOutcome(proposalId: string, outcome: FollowOutcome): Promise<ProposalRecord> {
    return this.transition(proposalId, ['FOLLOWING'], 'TRANSFER_DECIDED', { followOutcome: outcome, awaiting: undefined });
  }

  /** Takes a decided offer out of the sparse index: the sweep no longer looks at it. */
  async stopFollowing(proposalId: string): Promise<ProposalRecord> {
    return this.transition(proposalId, ['TRANSFER_DECIDED'], 'TRANSFER_DECIDED', { followedOffer: undefined });
  }

  private async update(
    proposalId: string,
    fromStates: ProposalState[],
    set: Partial<ProposalRecord>,
    expectation: string,
    extraCondition?: { expression: string; names: Record<string, string>; values: Record<string, unknown> },
  ): Promise<ProposalRecord> {
    const names: Record<string, string> = { '#id': PROPOSAL_PARTITION_KEY, '#updatedAt': 'updatedAt', ...extraCondition?.names };
    const values: Record<string, unknown> = { ':updatedAt': this.now().toISOString(), ...extraCondition?.values };
    const assignments = ['#updatedAt = :updatedAt'];
    const removals: string[] = [];
    Object.entries(set).forEach(([key, value], index) => {
      names[`#f${index}`] = key;
      if (value === undefined) {
        removals.push(`#f${index}`);
      } else {
        values[`:f${index}`] = value;
        assignments.push(`#f${index} = :f${index}`);
      }
    });
    const conditions = ['attribute_exists(#id)'];
    if (fromStates.length > 0) {
      names['#state'] = 'state';
      fromStates.forEach((state, index) => (values[`:from${index}`] = state));
      conditions.push(`#state IN (${fromStates.map((_, index) => `:from${index}`).join(', ')})`);
    }
    if (extraCondition) conditions.push(extraCondition.expression);
    try {
      const { Attributes } = await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ [PROPOSAL_PARTITION_KEY]: proposalId }),
          UpdateExpression: `SET ${assignments.join(', ')}${removals.length > 0 ? ` REMOVE ${removals.join(', ')}` : ''}`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true, convertClassInstanceToMap: true }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return unmarshall(Attributes ?? {}) as ProposalRecord;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      throw new ProposalStateConflict(proposalId, await this.get(proposalId), expectation);
    }
  }
}
