import { MESSAGE_MAX_LENGTH } from '../iot-api/field-rules';

/**
 * Every offer a migration makes carries this at the start of its transferMessage, so the
 * target's poller, which reviews offers made by hand one by one, leaves the migration's
 * offers to the migration. A forged marker only keeps an offer out of single review: no
 * certificate is accepted without an approval.
 */
export const MIGRATION_MESSAGE_PREFIX = '[certflow-migration]';

/** What is left of IoT's 128 characters for the requester's own message. */
export const MIGRATION_USER_MESSAGE_MAX = MESSAGE_MAX_LENGTH - MIGRATION_MESSAGE_PREFIX.length - 1;

export function migrationTransferMessage(message: string | null | undefined): string {
  return message ? `${MIGRATION_MESSAGE_PREFIX} ${message}` : MIGRATION_MESSAGE_PREFIX;
}

export function isMigrationOffer(transferMessage: string | null | undefined): boolean {
  return transferMessage?.startsWith(MIGRATION_MESSAGE_PREFIX) ?? false;
}
