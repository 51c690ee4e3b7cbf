import { planInboundMigration } from '../migration/plan-inbound-migration';
import { parsePlanInboundRequest } from '../migration/target-migration-requests';
import { workflowStepHandler } from './lambda-runtime';
import { migrationStepDeps } from './migration-runtime';
import { awsRegion, exchangeS3, landingConfig, migrationExchangeStore } from './migration-target-runtime';

/** The target run's first step: the proposal as received, its certificate list checked, the landing checked per policy. */
export const handler = workflowStepHandler('PlanInboundMigration', parsePlanInboundRequest, (request) => {
  const deps = migrationStepDeps();
  return planInboundMigration(
    {
      store: migrationExchangeStore(),
      s3: exchangeS3(),
      objects: deps.objects,
      iot: deps.iot,
      progress: deps.progress,
      landingConfig: landingConfig(),
      region: awsRegion(),
    },
    request,
  );
});
