import { finishOutboundMigration } from '../migration/finish-outbound-migration';
import { parseFinishOutboundRequest } from '../migration/migration-requests';
import { workflowStepHandler } from './lambda-runtime';
import { migrationStepDeps } from './migration-runtime';

export const handler = workflowStepHandler('FinishMigrationRun', parseFinishOutboundRequest, (request) =>
  finishOutboundMigration(migrationStepDeps(), request),
);
