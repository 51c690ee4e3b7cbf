import { parseOutboundMigrationRequest } from '../migration/migration-requests';
import { planOutboundMigration } from '../migration/plan-outbound-migration';
import { workflowStepHandler } from './lambda-runtime';
import { migrationBatchSize, migrationStepDeps } from './migration-runtime';

export const handler = workflowStepHandler('PlanOutboundMigration', parseOutboundMigrationRequest, (request) =>
  planOutboundMigration({ ...migrationStepDeps(), batchSize: migrationBatchSize() }, request),
);
