import { summarizeInspection } from '../migration/inspect-certificates';
import { parseSummarizeRequest } from '../migration/migration-requests';
import { workflowStepHandler } from './lambda-runtime';
import { migrationStepDeps } from './migration-runtime';

export const handler = workflowStepHandler('SummarizeInspection', parseSummarizeRequest, (request) =>
  summarizeInspection(migrationStepDeps(), request),
);
