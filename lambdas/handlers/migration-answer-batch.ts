import { answerOffers } from '../migration/answer-offers';
import { parseAnswerBatch } from '../migration/migration-requests';
import { workflowStepHandler } from './lambda-runtime';
import { migrationStepDeps } from './migration-runtime';

export const handler = workflowStepHandler('AnswerOffers', parseAnswerBatch, (batch) => answerOffers(migrationStepDeps(), batch));
