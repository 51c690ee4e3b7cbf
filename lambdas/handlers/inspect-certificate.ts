import { inspectCertificate } from '../outbound-workflow/inspect-certificate';
import { parseInspectRequest } from '../outbound-workflow/step-requests';
import { certificateStepDeps, workflowStepHandler } from './lambda-runtime';

export const handler = workflowStepHandler('InspectCertificate', parseInspectRequest, (request) => inspectCertificate(certificateStepDeps(), request));
