import { inspectCertificates } from '../migration/inspect-certificates';
import { parseInspectBatch } from '../migration/migration-requests';
import { workflowStepHandler } from './lambda-runtime';
import { migrationStepDeps } from './migration-runtime';

export const handler = workflowStepHandler('InspectCertificates', parseInspectBatch, (batch) =>
  inspectCertificates(migrationStepDeps(), batch),
);
