import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { ApprovalLinkSigner } from '../approvals/approval-link-signer';
import { ApprovalStore } from '../approvals/approval-store';
import { parseApproverList } from '../approvals/approver-identity';
import type { ApprovalStepDeps } from '../approvals/decision-verification';
import type { RequestApprovalDeps } from '../approvals/request-approval';
import { readSigningKey } from '../approvals/signing-key';
import { DynamoDbAuditTrail } from '../audit-trail/audit-trail';
import { nameDeniedPermissions } from '../iot-api/iot-errors';
import { HANDLER_ENVIRONMENT, requiredEnvironment } from './handler-environment';
import { dynamoDbClient, tracedClient } from './lambda-runtime';

// Created on first use, once per container: each approval function builds only the clients it calls.
let secretsClient: SecretsManagerClient | undefined;
let sfnInstance: SFNClient | undefined;
let snsClient: SNSClient | undefined;

export function sfnClient(): SFNClient {
  if (!sfnInstance) {
    sfnInstance = tracedClient(new SFNClient({}));
    nameDeniedPermissions(sfnInstance, 'states');
  }
  return sfnInstance;
}

function secrets(): SecretsManagerClient {
  if (!secretsClient) {
    secretsClient = tracedClient(new SecretsManagerClient({}));
    nameDeniedPermissions(secretsClient, 'secretsmanager');
  }
  return secretsClient;
}

function sns(): SNSClient {
  if (!snsClient) {
    snsClient = tracedClient(new SNSClient({}));
    nameDeniedPermissions(snsClient, 'sns');
  }
  return snsClient;
}
const dynamodb = (): ReturnType<typeof dynamoDbClient> => dynamoDbClient();
let signer: Promise<ApprovalLinkSigner> | undefined;

export function approvalStore(): ApprovalStore {
  return new ApprovalStore(dynamodb(), requiredEnvironment(HANDLER_ENVIRONMENT.approvalTableName));
}

/** The signing key is read once per container; a failed read is retried on the next invocation. */
export function approvalLinkSigner(): Promise<ApprovalLinkSigner> {
  signer ??= readSigningKey(secrets(), requiredEnvironment(HANDLER_ENVIRONMENT.signingKeySecretArn)).then(
    (key) => new ApprovalLinkSigner(key),
    (error: unknown) => {
      signer = undefined;
      throw error;
    },
  );
  return signer;
}

export async function requestApprovalDeps(): Promise<RequestApprovalDeps> {
  return {
    store: approvalStore(),
    sns: sns(),
    signer: await approvalLinkSigner(),
    topicArn: requiredEnvironment(HANDLER_ENVIRONMENT.approvalTopicArn),
    approvers: parseApproverList(requiredEnvironment(HANDLER_ENVIRONMENT.approvers).split(','), HANDLER_ENVIRONMENT.approvers),
    approvalPageUrl: requiredEnvironment(HANDLER_ENVIRONMENT.approvalPageUrl),
    reminderLeadSeconds: Number(process.env[HANDLER_ENVIRONMENT.reminderLeadSeconds] ?? '3600'),
  };
}

/** The verify and close steps: the approval record, and the audit trail their decision rows go to. */
export function approvalStepDeps(): ApprovalStepDeps {
  return {
    store: approvalStore(),
    auditTrail: new DynamoDbAuditTrail(dynamodb(), requiredEnvironment(HANDLER_ENVIRONMENT.auditTableName)),
  };
}
