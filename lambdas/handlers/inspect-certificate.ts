import { inspectCertificate } from '../outbound-workflow/inspect-certificate';
import { parseOutboundTransferRequest } from '../outbound-workflow/step-requests';
import { HANDLER_ENVIRONMENT, listEnvironment, requiredEnvironment } from './handler-environment';
import { certificateStepDeps, workflowStepHandler } from './lambda-runtime';

const peers = () => ({
  peerAccount: requiredEnvironment(HANDLER_ENVIRONMENT.peerAccountId),
  unmanagedAccounts: listEnvironment(HANDLER_ENVIRONMENT.unmanagedTargetAccounts),
});

/** The outbound workflow's first step: validates the whole input and looks at the certificate. */
export const handler = workflowStepHandler(
  'InspectCertificate',
  (event) => parseOutboundTransferRequest(event, peers()),
  async (request) => ({ request, certificate: await inspectCertificate(certificateStepDeps(), request) }),
);
