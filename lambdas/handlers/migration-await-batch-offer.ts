import { parseAwaitBatchOfferRequest } from '../migration/target-migration-requests';
import { awaitBatchOffer } from '../migration/target-migration-steps';
import { workflowStepHandler } from './lambda-runtime';
import { migrationExchangeStore } from './migration-target-runtime';
import { stepFunctions } from './transfer-exchange-runtime';

/** A `.waitForTaskToken` step: batch k's map item waits for the source's offer of the batch. */
export const handler = workflowStepHandler('AwaitBatchOffer', parseAwaitBatchOfferRequest, (request) =>
  awaitBatchOffer({ store: migrationExchangeStore(), sfn: stepFunctions() }, request),
);
