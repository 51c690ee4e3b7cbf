import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ProposalStore } from '../cross-account/proposal-store';
import type { MessageSenderDeps } from '../cross-account/send-transfer-message';
import { nameDeniedPermissions } from '../iot-api/iot-errors';
import { HANDLER_ENVIRONMENT, requiredEnvironment } from './handler-environment';
import { dynamoDbClient, tracedClient } from './lambda-runtime';

// Created on first use, once per container: each function builds only the clients it calls.
let events: EventBridgeClient | undefined;
let sfn: SFNClient | undefined;

export function proposalStore(): ProposalStore {
  return new ProposalStore(dynamoDbClient(), requiredEnvironment(HANDLER_ENVIRONMENT.proposalTableName));
}

export function messageSender(): MessageSenderDeps {
  if (!events) {
    events = tracedClient(new EventBridgeClient({}));
    nameDeniedPermissions(events, 'events');
  }
  return { events, busName: requiredEnvironment(HANDLER_ENVIRONMENT.eventBusName) };
}

export function stepFunctions(): SFNClient {
  if (!sfn) {
    sfn = tracedClient(new SFNClient({}));
    nameDeniedPermissions(sfn, 'states');
  }
  return sfn;
}

/** This side's account and the one peer account it exchanges messages with. */
export function accounts(): { ownAccount: string; peerAccount: string } {
  return {
    ownAccount: requiredEnvironment(HANDLER_ENVIRONMENT.accountId),
    peerAccount: requiredEnvironment(HANDLER_ENVIRONMENT.peerAccountId),
  };
}
