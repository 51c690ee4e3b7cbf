import { offerToTarget, readLanding, withdrawProposal } from '../outbound-workflow/offer-to-target';
import { proposeToTarget, readTargetDecision } from '../outbound-workflow/propose-to-target';
import { parseTargetExchangeEvent, type TargetExchangeEvent } from '../outbound-workflow/exchange-requests';
import { workflowStepHandler } from './lambda-runtime';
import { accounts, messageSender, proposalStore } from './transfer-exchange-runtime';

/** The source's steps that talk to the target: propose, read its decision, offer, read the landing, withdraw. */
const parse = (event: unknown) => parseTargetExchangeEvent(event, { peerAccount: accounts().peerAccount, unmanagedAccounts: [] });

export const handler = workflowStepHandler('ExchangeWithTarget', parse, async (event: TargetExchangeEvent): Promise<unknown> => {
  const deps = { store: proposalStore(), sender: messageSender(), accountId: accounts().ownAccount };
  switch (event.step) {
    case 'propose':
      return proposeToTarget(deps, event.input);
    case 'readDecision':
      return readTargetDecision(deps, event.input);
    case 'offer':
      return offerToTarget(deps, event.input);
    case 'readLanding':
      return readLanding(deps, event.input);
    case 'withdraw':
      return withdrawProposal(deps, event.input);
  }
});
