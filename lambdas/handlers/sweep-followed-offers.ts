import { sweepFollowedOffers } from '../outbound-workflow/followed-offer-sweep';
import { iotClient, workflowStepHandler } from './lambda-runtime';
import { proposalStore, stepFunctions } from './transfer-exchange-runtime';

/** Scheduled: checks every offer the source follows and wakes the steps whose offer was decided. */
export const handler = workflowStepHandler(
  'SweepFollowedOffers',
  () => undefined,
  () => sweepFollowedOffers({ store: proposalStore(), iot: iotClient(), sfn: stepFunctions() }),
);
