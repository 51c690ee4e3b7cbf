import type { IoTClient } from '@aws-sdk/client-iot';
import { SFNClient } from '@aws-sdk/client-sfn';
import { startInboundReviews } from '../inbound-workflow/start-inbound-reviews';
import { HANDLER_ENVIRONMENT, listEnvironment, requiredEnvironment } from './handler-environment';
import { logger, tracedClient, workflowStepHandler } from './lambda-runtime';
import { pacedIotClientFromEnvironment } from './paced-iot-client';
import { proposalStore } from './transfer-exchange-runtime';

let sfn: SFNClient | undefined;
// Paced: during a migration hundreds of offers may be pending at once, and the poller describes each.
let iot: IoTClient | undefined;

/** One CloudWatch metric through the embedded metric format: a log line, no extra client. */
function untrustedOffersMetric(count: number): void {
  if (count === 0) return;
  logger.warn('offers from untrusted accounts ignored', {
    UntrustedOffers: count,
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{ Namespace: 'certflow', Dimensions: [[]], Metrics: [{ Name: 'UntrustedOffers', Unit: 'Count' }] }],
    },
  });
}

export const handler = workflowStepHandler(
  'StartInboundReviews',
  () => undefined,
  async () => {
    const store = proposalStore();
    const result = await startInboundReviews({
      iot: (iot ??= pacedIotClientFromEnvironment()),
      sfn: (sfn ??= tracedClient(new SFNClient({}))),
      accountId: requiredEnvironment(HANDLER_ENVIRONMENT.accountId),
      stateMachineArn: requiredEnvironment(HANDLER_ENVIRONMENT.inboundStateMachineArn),
      trustedSourceAccounts: listEnvironment(HANDLER_ENVIRONMENT.trustedSourceAccounts),
      belongsToProposal: async (certificateId, sourceAwsAccount) =>
        (await store.forCertificate(certificateId)).some(
          (record) => record.sourceAwsAccount === sourceAwsAccount && record.state !== 'DECLINED',
        ),
    });
    untrustedOffersMetric(result.untrusted);
    if (result.untrusted > 0) logger.warn('untrusted offer accounts', { untrustedAccounts: result.untrustedAccounts });
    return result;
  },
);
