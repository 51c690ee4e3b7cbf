import { PROPOSAL_DECISIONS, parseLandingPlan, parseProposalId, type ProposalDecision } from '../cross-account/transfer-messages';
import type { LandingPlan } from '../cutover/certificate-facts';
import { ValidationError, parseAwsAccountId, parseCertificateId, parseOptionalBoolean } from '../iot-api/field-rules';
import type { LandingRequest } from '../landing/land-certificate';
import { eventFields, optionalInstant, requiredText } from '../outbound-workflow/exchange-requests';
import type { LandingOutcome, ProposalAnswer } from './proposal-review';

const EXECUTION_ID_MAX = 2048;
const TASK_TOKEN_MAX = 1024;

/** The target's proposal review steps, one function: which step, and its input. */
export type ProposalReviewEvent =
  | { step: 'open'; input: { executionId: string; proposalId: string } }
  | { step: 'answer'; input: ProposalAnswer }
  | { step: 'readOffer'; input: { executionId: string; proposalId: string } }
  | { step: 'reportLanded'; input: LandingOutcome }
  | {
      step: 'reportLandingFailed';
      input: { executionId: string; proposalId: string; accepted: boolean; errorName: string; errorMessage: string };
    };

function decision(value: unknown): ProposalDecision {
  if (typeof value !== 'string' || !(PROPOSAL_DECISIONS as readonly string[]).includes(value)) {
    throw new ValidationError('decision', `must be one of ${PROPOSAL_DECISIONS.join(', ')}`);
  }
  return value as ProposalDecision;
}

function optionalText(fields: Record<string, unknown>, field: string, max: number): string | null {
  return fields[field] === undefined || fields[field] === null ? null : requiredText(fields, field, max);
}

function landingOrNull(value: unknown): LandingPlan | null {
  return value === undefined || value === null ? null : parseLandingPlan(value);
}

export function parseProposalReviewEvent(event: unknown): ProposalReviewEvent {
  const fields = eventFields(event);
  const executionId = requiredText(fields, 'executionId', EXECUTION_ID_MAX);
  const proposalId = parseProposalId(fields.proposalId);
  switch (fields.step) {
    case 'open':
    case 'readOffer':
      return { step: fields.step, input: { executionId, proposalId } };
    case 'answer':
      return {
        step: 'answer',
        input: {
          executionId,
          proposalId,
          decision: decision(fields.decision),
          decidedBy: optionalText(fields, 'decidedBy', 256),
          rejectReason: optionalText(fields, 'rejectReason', 256),
          setAsActive: parseOptionalBoolean(fields.setAsActive, 'setAsActive') ?? false,
          landing: landingOrNull(fields.landing),
          ...(fields.taskToken === undefined || fields.taskToken === null
            ? {}
            : { taskToken: requiredText(fields, 'taskToken', TASK_TOKEN_MAX) }),
        },
      };
    case 'reportLanded':
      return {
        step: 'reportLanded',
        input: {
          executionId,
          proposalId,
          acceptedAt: optionalInstant(fields, 'acceptedAt') ?? new Date().toISOString(),
          landedAt: optionalInstant(fields, 'landedAt') ?? new Date().toISOString(),
          setAsActive: parseOptionalBoolean(fields.setAsActive, 'setAsActive') ?? false,
          landing: parseLandingPlan(fields.landing),
        },
      };
    case 'reportLandingFailed':
      return {
        step: 'reportLandingFailed',
        input: {
          executionId,
          proposalId,
          accepted: parseOptionalBoolean(fields.accepted, 'accepted') ?? false,
          errorName: typeof fields.errorName === 'string' ? fields.errorName : 'Unknown',
          errorMessage: typeof fields.errorMessage === 'string' ? fields.errorMessage : 'no message',
        },
      };
    default:
      throw new ValidationError('step', 'must be one of open, answer, readOffer, reportLanded, reportLandingFailed');
  }
}

export function parseLandingRequest(event: unknown, invocationId: string): LandingRequest {
  const fields = eventFields(event);
  const certificateArn = requiredText(fields, 'certificateArn', 2048);
  if (!/^arn:aws[a-z-]*:iot:[a-z0-9-]+:[0-9]{12}:cert\/(0x)?[a-fA-F0-9]{64}$/.test(certificateArn)) {
    throw new ValidationError('certificateArn', 'must be an IoT certificate ARN (arn:aws:iot:<region>:<account>:cert/<id>)');
  }
  return {
    invocationId,
    executionId: requiredText(fields, 'executionId', EXECUTION_ID_MAX),
    requestedBy: optionalText(fields, 'requestedBy', 256) ?? undefined,
    approvedBy: optionalText(fields, 'approvedBy', 256) ?? undefined,
    certificateId: parseCertificateId(fields.certificateId),
    certificateArn,
    sourceAwsAccount: parseAwsAccountId(fields.sourceAwsAccount, 'sourceAwsAccount'),
    landing: parseLandingPlan(fields.landing),
  };
}
