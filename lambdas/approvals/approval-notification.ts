import { CERTIFICATE_STATUSES } from '../iot-api/field-rules';
import type { ApprovalRequest, ApprovalSide, MigrationSummary } from './approval-request';

export interface ApprovalNotification {
  subject: string;
  message: string;
}

const SUBJECT_MAX_LENGTH = 100;
/** A few examples are enough in an e-mail; the page shows every sample. */
const NOTIFIED_SAMPLES = 5;

/** The e-mail an approver reads: what is asked, what it changes, by when, and their own link. */
export function approvalNotification(request: ApprovalRequest, link: string, kind: 'REQUEST' | 'REMINDER'): ApprovalNotification {
  const migration = request.migration;
  const subject = `${kind === 'REMINDER' ? 'Reminder: ' : ''}certflow: approve ${migration ? migrationVerb(request, migration) : certificateVerb(request)}`;
  const lines = [
    migration ? migrationOpening(request, migration) : certificateOpening(request),
    '',
    ...(migration ? migrationRows(migration, request.side) : [`  Certificate:   ${request.certificateId ?? ''}`]),
    `  From account:  ${request.sourceAwsAccount}`,
    `  To account:    ${request.targetAwsAccount}`,
    `  Message:       ${request.transferMessage ?? '(none)'}`,
    ...(request.reason ? [`  Reason:        ${request.reason}`] : []),
    ...(request.side === 'SOURCE' ? [`  Needs first:   ${preparationSummary(request)}`] : []),
    `  Decide by:     ${new Date(request.expiresAt * 1000).toISOString()} (then the request expires${request.side === 'TARGET' ? ` and the ${migration ? 'transfers are' : 'transfer is'} rejected` : ''})`,
    '',
    'Open this link to see the request and approve or reject it. The link is yours alone; opening it decides nothing.',
    link,
  ];
  return { subject: subject.slice(0, SUBJECT_MAX_LENGTH), message: lines.join('\n') };
}

function certificateVerb(request: ApprovalRequest): string {
  const shortId = `${(request.certificateId ?? '').slice(0, 12)}...`;
  return request.side === 'SOURCE' ? `transfer certificate ${shortId} to ${request.targetAwsAccount}` : `accept certificate ${shortId} from ${request.sourceAwsAccount}`;
}

function certificateOpening(request: ApprovalRequest): string {
  return request.side === 'SOURCE'
    ? `${request.requestedBy} asks to transfer an AWS IoT certificate from account ${request.sourceAwsAccount} to account ${request.targetAwsAccount}.`
    : `Account ${request.sourceAwsAccount} offers an AWS IoT certificate to this account (${request.targetAwsAccount}).`;
}

function migrationVerb(request: ApprovalRequest, migration: MigrationSummary): string {
  const certificates = countOf(migration.certificateCount, 'certificate');
  return request.side === 'SOURCE' ? `moving ${certificates} to ${request.targetAwsAccount}` : `accepting ${certificates} from ${request.sourceAwsAccount}`;
}

function migrationOpening(request: ApprovalRequest, migration: MigrationSummary): string {
  const certificates = countOf(migration.certificateCount, 'AWS IoT certificate');
  return request.side === 'SOURCE'
    ? `${request.requestedBy} asks to move ${certificates} from account ${request.sourceAwsAccount} to account ${request.targetAwsAccount} (migration ${migration.migrationId}).`
    : `Account ${request.sourceAwsAccount} offers ${certificates} to this account (${request.targetAwsAccount}) (migration ${migration.migrationId}).`;
}

function migrationRows(migration: MigrationSummary, side: ApprovalSide): string[] {
  const samples = migration.sampleCertificateIds.slice(0, NOTIFIED_SAMPLES);
  return [
    ...migrationCounts(migration, side).map(([label, value]) => `  ${`${label}:`.padEnd(15)}${value}`),
    ...samples.map((id, index) => `  ${index === 0 ? 'Examples:'.padEnd(15) : ' '.repeat(15)}${id}`),
  ];
}

/** A migration's summary as label and value pairs, in the order both the e-mail and the page show them. */
export function migrationCounts(migration: MigrationSummary, side: ApprovalSide = 'SOURCE'): Array<[string, string]> {
  if (side === 'TARGET') {
    return [
      ['Migration', migration.migrationId],
      ['Certificates', `${migration.certificateCount} (pending transfer to this account)`],
      ['Already done', `${migration.alreadyDone} (skipped: accepted by an earlier run)`],
      ['Not offered', `${migration.notTransferable} (listed by the source, no pending transfer here)`],
    ];
  }
  return [
    ['Migration', migration.migrationId],
    ['Certificates', String(migration.certificateCount)],
    ['By status', statusCountsText(migration.statusCounts)],
    ['With policies', `${migration.withPolicies} (detached before the transfer)`],
    ['With things', String(migration.withThings)],
    ['To deactivate', `${migration.toDeactivate} (ACTIVE: set INACTIVE, their devices disconnect)`],
    ['Already done', `${migration.alreadyDone} (skipped: moved by an earlier run)`],
    ['Will fail', `${migration.notTransferable} (missing, pending transfer to another account, ...)`],
  ];
}

/** Known statuses in the IoT API's order, then anything else as stored. */
function statusCountsText(statusCounts: Record<string, number>): string {
  const known: readonly string[] = CERTIFICATE_STATUSES;
  const statuses = Object.keys(statusCounts).sort((a, b) => rank(known, a) - rank(known, b));
  return statuses.length > 0 ? statuses.map((status) => `${status} ${statusCounts[status] ?? 0}`).join(', ') : '(none)';
}

function rank(known: readonly string[], status: string): number {
  const index = known.indexOf(status);
  return index < 0 ? known.length : index;
}

function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function preparationSummary(request: Pick<ApprovalRequest, 'preparation' | 'migration'>): string {
  if (request.migration) return migrationPreparationSummary(request.migration);
  const steps: string[] = [];
  if (request.preparation.deactivate) steps.push('set the certificate INACTIVE (devices using it will disconnect)');
  if (request.preparation.detachPolicies.length > 0) steps.push(`detach policies ${request.preparation.detachPolicies.join(', ')}`);
  return steps.length > 0 ? steps.join('; ') : 'nothing: the certificate is INACTIVE with no policies attached';
}

function migrationPreparationSummary(migration: MigrationSummary): string {
  const steps: string[] = [];
  if (migration.toDeactivate > 0) steps.push(`deactivate ${countOf(migration.toDeactivate, 'ACTIVE certificate')} (devices using them will disconnect)`);
  if (migration.withPolicies > 0) steps.push(`detach the policies of ${countOf(migration.withPolicies, 'certificate')}`);
  return steps.length > 0 ? steps.join(' and ') : 'nothing: no certificate is ACTIVE or has policies attached';
}
