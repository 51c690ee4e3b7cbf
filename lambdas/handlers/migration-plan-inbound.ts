import { parseInboundMigrationRequest } from '../migration/migration-requests';
import { planInboundMigration } from '../migration/plan-inbound-migration';
import { workflowStepHandler } from './lambda-runtime';
import { migrationStepDeps } from './migration-runtime';

export const handler = workflowStepHandler('PlanInboundMigration', parseInboundMigrationRequest, (request) =>
  planInboundMigration(migrationStepDeps(), request),
);
