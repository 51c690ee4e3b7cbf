import { ValidationError } from '../iot-api/field-rules';
import { parseAwaitLandings, parseProposeMigration, parseRunNameRequest } from '../migration/migration-requests';
import { awaitLandings, proposeMigration, readTargetDecision, type SourceMigrationDeps } from '../migration/source-migration-steps';
import { workflowStepHandler } from './lambda-runtime';
import { migrationBucketNameFromEnvironment, migrationS3, migrationStepDeps } from './migration-runtime';
import { migrationExchangeStore } from './migration-target-runtime';
import { messageSender, stepFunctions } from './transfer-exchange-runtime';

function deps(): SourceMigrationDeps {
  const shared = migrationStepDeps();
  return {
    store: migrationExchangeStore(),
    sfn: stepFunctions(),
    s3: migrationS3(),
    objects: shared.objects,
    bucket: migrationBucketNameFromEnvironment(),
    sender: messageSender(),
    accountId: shared.accountId,
  };
}

const STEPS = ['ProposeMigration', 'ReadTargetDecision', 'AwaitLandings'] as const;

/** The source migration's steps that talk to the target: `step` says which. */
export const handler = workflowStepHandler(
  'ExchangeMigrationWithTarget',
  (event: unknown) => {
    const step = (event as { step?: unknown } | null)?.step;
    if (typeof step !== 'string' || !(STEPS as readonly string[]).includes(step))
      throw new ValidationError('step', `must be one of ${STEPS.join(', ')}`);
    return { step: step as (typeof STEPS)[number], event };
  },
  async ({ step, event }): Promise<unknown> => {
    if (step === 'ProposeMigration') return proposeMigration(deps(), parseProposeMigration(event));
    if (step === 'ReadTargetDecision') return readTargetDecision(deps(), parseRunNameRequest(event));
    return awaitLandings(deps(), parseAwaitLandings(event));
  },
);
