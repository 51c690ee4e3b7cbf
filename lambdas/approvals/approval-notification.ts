import type { ApprovalRequest } from './approval-request';

export interface ApprovalNotification {
  subject: string;
  message: string;
}

const SUBJECT_MAX_LENGTH = 100;

/** The e-mail an approver reads: what is asked, what it changes, by when, and their own link. */
export function approvalNotification(request: ApprovalRequest, link: string, kind: 'REQUEST' | 'REMINDER'): ApprovalNotification {
  const shortId = `${request.certificateId.slice(0, 12)}...`;
  const verb = request.side === 'SOURCE' ? `transfer certificate ${shortId} to ${request.targetAwsAccount}` : `accept certificate ${shortId} from ${request.sourceAwsAccount}`;
  const subject = `${kind === 'REMINDER' ? 'Reminder: ' : ''}certflow: approve ${verb}`;
  const lines = [
    request.side === 'SOURCE'
      ? `${request.requestedBy} asks to transfer an AWS IoT certificate from account ${request.sourceAwsAccount} to account ${request.targetAwsAccount}.`
      : `Account ${request.sourceAwsAccount} offers an AWS IoT certificate to this account (${request.targetAwsAccount}).`,
    '',
    `  Certificate:   ${request.certificateId}`,
    `  From account:  ${request.sourceAwsAccount}`,
    `  To account:    ${request.targetAwsAccount}`,
    `  Message:       ${request.transferMessage ?? '(none)'}`,
    ...(request.reason ? [`  Reason:        ${request.reason}`] : []),
    ...(request.side === 'SOURCE' ? [`  Needs first:   ${preparationSummary(request)}`] : []),
    `  Decide by:     ${new Date(request.expiresAt * 1000).toISOString()} (then the request expires${request.side === 'TARGET' ? ' and the transfer is rejected' : ''})`,
    '',
    'Open this link to see the request and approve or reject it. The link is yours alone; opening it decides nothing.',
    link,
  ];
  return { subject: subject.slice(0, SUBJECT_MAX_LENGTH), message: lines.join('\n') };
}

export function preparationSummary(request: Pick<ApprovalRequest, 'preparation'>): string {
  const steps: string[] = [];
  if (request.preparation.deactivate) steps.push('set the certificate INACTIVE (devices using it will disconnect)');
  if (request.preparation.detachPolicies.length > 0) steps.push(`detach policies ${request.preparation.detachPolicies.join(', ')}`);
  return steps.length > 0 ? steps.join('; ') : 'nothing: the certificate is INACTIVE with no policies attached';
}
