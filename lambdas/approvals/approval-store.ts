import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { REMINDER_DUE, REMINDER_INDEX, type ApprovalDecision, type ApprovalRequest, type ApprovalStatus } from './approval-request';

export const APPROVAL_PARTITION_KEY = 'requestId';

/** Thrown when a request is no longer in the status a change requires; `current` says where it is. */
export class ApprovalStatusConflict extends Error {
  override readonly name = 'ApprovalStatusConflict';

  constructor(
    readonly requestId: string,
    readonly current: ApprovalStatus | undefined,
  ) {
    super(`approval request ${requestId} is ${current ?? 'missing'}`);
  }
}

/** A decision as the page claims it, in full: the workflow's verify step checks the callback against it. */
export interface DecisionClaim {
  decision: ApprovalDecision;
  decidedBy: string;
  decidedAt: string;
  rejectReason?: string;
  setAsActive: boolean;
  consentToPrepare: boolean;
  /** A random id of this claim: only its holder settles or releases it. */
  claimId: string;
  /** ISO time of the claim, the start of its lease. */
  claimedAt: string;
}

/** The fields a claim writes; a released claim removes them all. */
const CLAIM_FIELDS = [
  'decision',
  'decidedBy',
  'decidedAt',
  'rejectReason',
  'setAsActive',
  'consentToPrepare',
  'claimId',
  'claimedAt',
] as const;

/** Approval requests in DynamoDB; every status change is conditional on the status before it. */
export class ApprovalStore {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Stores a new request; a retried step whose request exists gets the stored one back. */
  async create(request: ApprovalRequest): Promise<{ request: ApprovalRequest; created: boolean }> {
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(request, { removeUndefinedValues: true }),
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': APPROVAL_PARTITION_KEY },
        }),
      );
      return { request, created: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.get(request.requestId);
      if (!existing) throw error;
      return { request: existing, created: false };
    }
  }

  async get(requestId: string): Promise<ApprovalRequest | undefined> {
    const { Item } = await this.dynamodb.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ [APPROVAL_PARTITION_KEY]: requestId }), ConsistentRead: true }),
    );
    return Item ? (unmarshall(Item) as ApprovalRequest) : undefined;
  }

  /**
   * A retried approval state issues a new task token: the pending request must answer
   * the new one, or a decision would be sent to a task that is over.
   */
  async replaceTaskToken(requestId: string, taskToken: string): Promise<ApprovalRequest> {
    return this.transition(requestId, ['PENDING'], 'PENDING', { taskToken });
  }

  /** Records one approver as notified, so that a retried step does not notify them again. */
  async markApproverNotified(requestId: string, approver: string): Promise<void> {
    await this.updateExisting(requestId, 'ADD notifiedApprovers :approver', { ':approver': new Set([approver]) });
  }

  /**
   * Records that every approver was notified. Unconditional on the status: a fast
   * approver may already have decided, and the request step must not fail for that.
   */
  async markNotified(requestId: string, notifiedAt: string): Promise<void> {
    await this.updateExisting(requestId, 'SET notifiedAt = :notifiedAt', { ':notifiedAt': notifiedAt });
  }

  /** Drops the request out of the sparse reminder index. */
  async clearReminder(requestId: string): Promise<void> {
    await this.updateExisting(requestId, 'REMOVE reminderDue, remindAt');
  }

  /** An update of a request that must exist, whatever its status. */
  private async updateExisting(requestId: string, updateExpression: string, values?: Record<string, unknown>): Promise<void> {
    await this.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ [APPROVAL_PARTITION_KEY]: requestId }),
        UpdateExpression: updateExpression,
        ConditionExpression: 'attribute_exists(#id)',
        ExpressionAttributeNames: { '#id': APPROVAL_PARTITION_KEY },
        ...(values ? { ExpressionAttributeValues: marshall(values) } : {}),
      }),
    );
  }

  /** Requests whose reminder is due at `now`, oldest first. */
  async dueReminders(now: Date): Promise<ApprovalRequest[]> {
    const requests: ApprovalRequest[] = [];
    let exclusiveStartKey: QueryCommand['input']['ExclusiveStartKey'];
    do {
      const page = await this.dynamodb.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: REMINDER_INDEX,
          KeyConditionExpression: 'reminderDue = :due AND remindAt <= :now',
          ExpressionAttributeValues: marshall({ ':due': REMINDER_DUE, ':now': now.toISOString() }),
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      requests.push(...(page.Items ?? []).map((item) => unmarshall(item) as ApprovalRequest));
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
    return requests;
  }

  /**
   * PENDING → DECIDING: only one decision can hold the claim. A DECIDING claim made at or
   * before `staleBefore` (or, from before claims were timed, without a time) is claimed
   * again: its holder died before telling the workflow.
   */
  async claimDecision(requestId: string, claim: DecisionClaim, staleBefore: string): Promise<ApprovalRequest> {
    const values: Record<string, unknown> = { ':pending': 'PENDING', ':deciding': 'DECIDING', ':staleBefore': staleBefore };
    const names: Record<string, string> = { '#status': 'status', '#claimedAt': 'claimedAt' };
    const sets = ['#status = :deciding'];
    const removes: string[] = [];
    for (const field of CLAIM_FIELDS) {
      names[`#${field}`] = field;
      if (claim[field] === undefined) {
        removes.push(`#${field}`);
      } else {
        values[`:${field}`] = claim[field];
        sets.push(`#${field} = :${field}`);
      }
    }
    try {
      const { Attributes } = await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ [APPROVAL_PARTITION_KEY]: requestId }),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression:
            '#status = :pending OR (#status = :deciding AND (attribute_not_exists(#claimedAt) OR #claimedAt <= :staleBefore))',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return unmarshall(Attributes ?? {}) as ApprovalRequest;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      throw new ApprovalStatusConflict(requestId, (await this.get(requestId))?.status);
    }
  }

  /** DECIDING → `to`, only while `claimId` still holds the claim. */
  async settleClaim(requestId: string, claimId: string, to: ApprovalStatus): Promise<ApprovalRequest> {
    try {
      const { Attributes } = await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ [APPROVAL_PARTITION_KEY]: requestId }),
          UpdateExpression: 'SET #status = :to',
          ConditionExpression: '#status = :deciding AND #claimId = :claimId',
          ExpressionAttributeNames: { '#status': 'status', '#claimId': 'claimId' },
          ExpressionAttributeValues: marshall({ ':to': to, ':deciding': 'DECIDING', ':claimId': claimId }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return unmarshall(Attributes ?? {}) as ApprovalRequest;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      throw new ApprovalStatusConflict(requestId, (await this.get(requestId))?.status);
    }
  }

  async settle(
    requestId: string,
    status: ApprovalStatus,
    from: ApprovalStatus[],
    fields: Record<string, unknown> = {},
  ): Promise<ApprovalRequest> {
    return this.transition(requestId, from, status, fields);
  }

  /**
   * DECIDING → PENDING, clearing the claim, when the workflow could not be told. A claim
   * that is no longer this one's (taken over after its lease) is left alone.
   */
  async releaseClaim(requestId: string, claimId: string): Promise<void> {
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ [APPROVAL_PARTITION_KEY]: requestId }),
          UpdateExpression: `SET #status = :pending REMOVE ${CLAIM_FIELDS.map((field) => `#${field}`).join(', ')}`,
          ConditionExpression: '#status = :deciding AND #claimId = :claimId',
          ExpressionAttributeNames: { '#status': 'status', ...Object.fromEntries(CLAIM_FIELDS.map((field) => [`#${field}`, field])) },
          ExpressionAttributeValues: marshall({ ':pending': 'PENDING', ':deciding': 'DECIDING', ':claimId': claimId }),
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private async transition(
    requestId: string,
    from: ApprovalStatus[],
    to: ApprovalStatus,
    fields: Record<string, unknown>,
  ): Promise<ApprovalRequest> {
    const assignments = Object.entries(fields).filter(([, value]) => value !== undefined);
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':to': to };
    from.forEach((status, index) => (values[`:from${index}`] = status));
    const sets = ['#status = :to'];
    assignments.forEach(([key, value], index) => {
      names[`#f${index}`] = key;
      values[`:f${index}`] = value;
      sets.push(`#f${index} = :f${index}`);
    });
    try {
      const { Attributes } = await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ [APPROVAL_PARTITION_KEY]: requestId }),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `#status IN (${from.map((_, index) => `:from${index}`).join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return unmarshall(Attributes ?? {}) as ApprovalRequest;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      throw new ApprovalStatusConflict(requestId, (await this.get(requestId))?.status);
    }
  }
}
