import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ProposalStore } from '../cross-account/proposal-store';
import type { MessageSenderDeps } from '../cross-account/send-transfer-message';
import { HANDLER_ENVIRONMENT, requiredEnvironment } from './handler-environment';

// Created on first use, once per container: each function builds only the clients it calls.
let dynamodb: DynamoDBClient | undefined;
let events: EventBridgeClient | undefined;
let sfn: SFNClient | undefined;

export function proposalStore(): ProposalStore {
  dynamodb ??= new DynamoDBClient({});
  return new ProposalStore(dynamodb, requiredEnvironment(HANDLER_ENVIRONMENT.proposalTableName));
}

export function messageSender(): MessageSenderDeps {
  events ??= new EventBridgeClient({});
  return { events, busName: requiredEnvironment(HANDLER_ENVIRONMENT.eventBusName) };
}

export function stepFunctions(): SFNClient {
  sfn ??= new SFNClient({});
  return sfn;
}

/** This side's account and the one peer account it exchanges messages with. */
export function accounts(): { ownAccount: string; peerAccount: string } {
  return { ownAccount: requiredEnvironment(HANDLER_ENVIRONMENT.accountId), peerAccount: requiredEnvironment(HANDLER_ENVIRONMENT.peerAccountId) };
}
