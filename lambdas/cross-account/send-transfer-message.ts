import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { MigrationSourceMessages, MigrationTargetMessages } from './migration-messages';
import { SOURCE_EVENT_SOURCE, TARGET_EVENT_SOURCE, type SourceMessages, type TargetMessages } from './transfer-messages';

/** PutEvents refused the message (or EventBridge could not be reached); the step retries. */
export class TransferMessageNotSent extends Error {
  override readonly name = 'TransferMessageNotSent';
}

export interface MessageSenderDeps {
  events: EventBridgeClient;
  /** This side's own bus: a rule there forwards certflow's messages to the peer's bus. */
  busName: string;
}

type FromSource = SourceMessages & MigrationSourceMessages;
type FromTarget = TargetMessages & MigrationTargetMessages;
type Sendable =
  | { [K in keyof FromSource]: { from: 'SOURCE'; type: K; detail: FromSource[K] } }[keyof FromSource]
  | { [K in keyof FromTarget]: { from: 'TARGET'; type: K; detail: FromTarget[K] } }[keyof FromTarget];

/**
 * Puts one message on this side's bus. Delivery to the peer is at least once (EventBridge
 * retries), so every receiver is idempotent; a step that sends again after a retry is safe.
 */
export async function sendTransferMessage(deps: MessageSenderDeps, message: Sendable): Promise<{ eventId: string }> {
  let output;
  try {
    output = await deps.events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: deps.busName,
            Source: message.from === 'SOURCE' ? SOURCE_EVENT_SOURCE : TARGET_EVENT_SOURCE,
            DetailType: message.type,
            Detail: JSON.stringify(message.detail),
            Resources: [],
          },
        ],
      }),
    );
  } catch (error) {
    throw new TransferMessageNotSent(
      `PutEvents ${message.type} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      { cause: error },
    );
  }
  const [entry] = output.Entries ?? [];
  if ((output.FailedEntryCount ?? 0) > 0 || !entry?.EventId) {
    throw new TransferMessageNotSent(
      `PutEvents refused ${message.type}: ${entry?.ErrorCode ?? 'no event id'} ${entry?.ErrorMessage ?? ''}`.trim(),
    );
  }
  return { eventId: entry.EventId };
}
