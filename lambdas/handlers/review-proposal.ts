import { answerProposal, openProposalReview, readOffer, reportLanded, reportLandingFailed } from '../inbound-workflow/proposal-review';
import { parseProposalReviewEvent, type ProposalReviewEvent } from '../inbound-workflow/review-requests';
import { parseLandingConfig } from '../landing/plan-landing';
import { HANDLER_ENVIRONMENT, requiredEnvironment } from './handler-environment';
import { iotClient, workflowStepHandler } from './lambda-runtime';
import { accounts, messageSender, proposalStore } from './transfer-exchange-runtime';

/** The target's proposal review steps: open it (landing checked), answer, read the offer, report the landing. */
export const handler = workflowStepHandler(
  'ReviewProposal',
  parseProposalReviewEvent,
  async (event: ProposalReviewEvent): Promise<unknown> => {
    const deps = { store: proposalStore(), sender: messageSender(), accountId: accounts().ownAccount };
    switch (event.step) {
      case 'open':
        return openProposalReview(
          {
            ...deps,
            iot: iotClient(),
            landingConfig: parseLandingConfig(JSON.parse(requiredEnvironment(HANDLER_ENVIRONMENT.landingConfig))),
          },
          event.input,
        );
      case 'answer':
        return answerProposal(deps, event.input);
      case 'readOffer':
        return readOffer(deps, event.input);
      case 'reportLanded':
        return reportLanded(deps, event.input);
      case 'reportLandingFailed':
        return reportLandingFailed(deps, event.input);
    }
  },
);
