import { inspectCertificate } from '../outbound-workflow/inspect-certificate';
import { parseOutboundTransferRequest } from '../outbound-workflow/step-requests';
import { certificateStepDeps, workflowStepHandler } from './lambda-runtime';

/** The outbound workflow's first step: validates the whole input and looks at the certificate. */
export const handler = workflowStepHandler('InspectCertificate', parseOutboundTransferRequest, async (request) => ({
  request,
  certificate: await inspectCertificate(certificateStepDeps(), request),
}));
