import { followTransfer } from '../outbound-workflow/follow-transfer';
import { followOffer, parseOfferFollowEvent, readFollowOutcome, type OfferFollowEvent } from '../outbound-workflow/offer-follow';
import { iotClient, workflowStepHandler } from './lambda-runtime';
import { accounts, proposalStore } from './transfer-exchange-runtime';

/**
 * The source's steps around an offer to a target that runs no certflow: put it in the
 * sweep's index and wait, read the outcome the sweep recorded, and (after a cancel at the
 * deadline found the transfer already decided) look once at where it ended.
 */
export const handler = workflowStepHandler('FollowOffer', parseOfferFollowEvent, async (event: OfferFollowEvent): Promise<unknown> => {
  switch (event.step) {
    case 'follow':
      return followOffer({ store: proposalStore(), accountId: accounts().ownAccount }, event.input);
    case 'readOutcome':
      return readFollowOutcome({ store: proposalStore() }, event.input);
    case 'checkAfterDeadline':
      // A single look: the deadline passed, so no further wait follows whatever it answers.
      return followTransfer(
        { iot: iotClient() },
        { ...event.input, transferDeadlineSeconds: 1, waitedSeconds: 1, pollSeconds: 1, minPollSeconds: 1, maxPollSeconds: 1 },
      );
  }
});
