import { parseAnswerMigrationProposalRequest } from '../migration/target-migration-requests';
import { answerMigrationProposal } from '../migration/target-migration-steps';
import { workflowStepHandler } from './lambda-runtime';
import { migrationExchangeStore } from './migration-target-runtime';
import { messageSender } from './transfer-exchange-runtime';

/** Sends the target approvers' decision on a migration run to the source. */
export const handler = workflowStepHandler('AnswerMigrationProposal', parseAnswerMigrationProposalRequest, (request) =>
  answerMigrationProposal({ store: migrationExchangeStore(), sender: messageSender() }, request),
);
