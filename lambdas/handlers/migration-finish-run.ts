import { finishMigrationRun } from '../migration/finish-migration-run';
import { parseFinishRunRequest } from '../migration/migration-requests';
import { workflowStepHandler } from './lambda-runtime';
import { migrationStepDeps } from './migration-runtime';

export const handler = workflowStepHandler('FinishMigrationRun', parseFinishRunRequest, (request) =>
  finishMigrationRun(migrationStepDeps(), request),
);
