import { prepareCertificate } from '../outbound-workflow/prepare-certificate';
import { parsePreparationRequest } from '../outbound-workflow/step-requests';
import { certificateStepDeps, workflowStepHandler } from './lambda-runtime';

export const handler = workflowStepHandler('PrepareCertificate', parsePreparationRequest, (request) =>
  prepareCertificate(certificateStepDeps(), request),
);
