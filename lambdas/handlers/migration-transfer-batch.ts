import { parseTransferBatch } from '../migration/migration-requests';
import { transferCertificates } from '../migration/transfer-certificates';
import { workflowStepHandler } from './lambda-runtime';
import { migrationStepDeps } from './migration-runtime';

export const handler = workflowStepHandler('TransferCertificates', parseTransferBatch, (batch) =>
  transferCertificates(migrationStepDeps(), batch),
);
