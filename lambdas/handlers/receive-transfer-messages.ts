import type { Context } from 'aws-lambda';
import { MIGRATION_MESSAGE_TYPES } from '../cross-account/migration-messages';
import { receiveMigrationSourceMessage } from '../cross-account/receive-migration-source-message';
import { receiveMigrationTargetMessage } from '../cross-account/receive-migration-target-message';
import { receiveSourceMessage } from '../cross-account/receive-source-message';
import { MigrationProgress } from '../migration/migration-progress';
import { S3MigrationObjects } from '../migration/migration-objects';
import { receiveTargetMessage, type ReceiveResult } from '../cross-account/receive-target-message';
import { HANDLER_ENVIRONMENT, requiredEnvironment } from './handler-environment';
import { dynamoDbClient, logger } from './lambda-runtime';
import { migrationS3 } from './migration-runtime';
import { migrationExchangeStore } from './migration-target-runtime';
import { accounts, proposalStore, stepFunctions } from './transfer-exchange-runtime';

/**
 * EventBridge's target for the peer's messages, on either side (the source receives the
 * target's, the target the source's). A message that cannot be accepted is logged and
 * dropped; only an unreachable table or Step Functions throws, so EventBridge retries.
 */
export const handler = async (event: unknown, context: Context): Promise<ReceiveResult> => {
  logger.addContext(context);
  const deps = { store: proposalStore(), sfn: stepFunctions(), ...accounts() };
  const reviewStateMachineArn = process.env[HANDLER_ENVIRONMENT.reviewStateMachineArn];
  const isMigration = MIGRATION_MESSAGE_TYPES.includes(String((event as Record<string, unknown> | null)?.['detail-type']));
  let result: ReceiveResult;
  if (reviewStateMachineArn && isMigration) {
    result = await receiveMigrationSourceMessage(
      {
        ...deps,
        store: migrationExchangeStore(),
        migrationStateMachineArn: requiredEnvironment(HANDLER_ENVIRONMENT.migrationStateMachineArn),
      },
      event,
    );
  } else if (reviewStateMachineArn) {
    result = await receiveSourceMessage({ ...deps, reviewStateMachineArn }, event);
  } else if (isMigration) {
    result = await receiveMigrationTargetMessage(
      {
        ...deps,
        store: migrationExchangeStore(),
        objects: new S3MigrationObjects(migrationS3(), requiredEnvironment(HANDLER_ENVIRONMENT.migrationBucketName)),
        progress: new MigrationProgress(dynamoDbClient(), requiredEnvironment(HANDLER_ENVIRONMENT.migrationProgressTableName)),
      },
      event,
    );
  } else {
    result = await receiveTargetMessage(deps, event);
  }
  const fields = {
    kind: result.kind,
    ...('type' in result ? { messageType: result.type } : {}),
    ...('proposalId' in result ? { proposalId: result.proposalId } : {}),
  };
  if (result.kind === 'ignored')
    logger.warn('transfer message ignored', { ...fields, reason: result.reason, metric: 'IgnoredTransferMessages' });
  else logger.info('transfer message received', fields);
  return result;
};
