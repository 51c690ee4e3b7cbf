import { parseLandingRequest } from '../inbound-workflow/review-requests';
import { landCertificate } from '../landing/land-certificate';
import { certificateStepDeps, workflowStepHandler } from './lambda-runtime';

/** After the accept: attaches the planned policies and recreates the things, each call audited. */
export const handler = workflowStepHandler('LandCertificate', parseLandingRequest, (request) =>
  landCertificate(certificateStepDeps(), request),
);
