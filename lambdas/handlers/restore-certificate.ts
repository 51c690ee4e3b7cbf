import { restoreCertificate } from '../outbound-workflow/prepare-certificate';
import { parseRestoreRequest } from '../outbound-workflow/step-requests';
import { certificateStepDeps, workflowStepHandler } from './lambda-runtime';

export const handler = workflowStepHandler('RestoreCertificate', parseRestoreRequest, (request) =>
  restoreCertificate(certificateStepDeps(), request),
);
