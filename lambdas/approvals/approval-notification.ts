import { CERTIFICATE_STATUSES } from '../iot-api/field-rules';
import type { LandingPlan } from '../cutover/certificate-facts';
import type { ApprovalRequest, ApprovalSide, MigrationSummary } from './approval-request';
import { countOf, deadlineWording, plain, quoted, timeWording, validityWording } from './approval-wording';

export interface ApprovalNotification {
  subject: string;
  message: string;
}

export interface NotificationOptions {
  /** When the notification is sent: the deadline is also worded relative to it. @default the current time */
  now?: Date;
  /** The approver's signed inbox link (`approverInboxLink`); the notification ends with it. */
  inboxLink?: string;
}

/** SNS refuses a Subject of 100 characters or more. */
const SUBJECT_MAX_LENGTH = 99;
/** A few examples are enough in an e-mail; the page shows every sample. */
const NOTIFIED_SAMPLES = 5;
const LABEL_WIDTH = 15;

/**
 * The e-mail an approver reads: what is asked, their own link, then the details. The link
 * comes before any text a requester or a certificate supplies, and every such text is
 * quoted on its own labelled row with its line breaks escaped, so none can start a line
 * of its own (a fake "Open this link" above the real one).
 */
export function approvalNotification(
  request: ApprovalRequest,
  link: string,
  kind: 'REQUEST' | 'REMINDER',
  options: NotificationOptions = {},
): ApprovalNotification {
  const now = options.now ?? new Date();
  const migration = request.migration;
  const subject = `${kind === 'REMINDER' ? 'Reminder: ' : ''}certflow: approve ${migration ? migrationVerb(request, migration) : certificateVerb(request)}`;
  const lines = [
    ...(kind === 'REMINDER' ? ['Reminder: this request is still waiting for a decision.'] : []),
    migration ? migrationOpening(request, migration) : certificateOpening(request),
    '',
    'Open this link to see the request and approve or reject it. The link is yours alone; opening it decides nothing.',
    link,
    '',
    row(
      'Decide by',
      `${deadlineWording(request.expiresAt, now)}; then the request expires${request.side === 'TARGET' ? ` and the ${migration ? 'transfers are' : 'transfer is'} rejected` : ''}`,
    ),
    ...(migration ? migrationRows(migration, request.side) : certificateRows(request, now)),
    row('From account', plain(request.sourceAwsAccount)),
    row('To account', plain(request.targetAwsAccount)),
    row('Requested by', quoted(request.requestedBy)),
    ...(request.requestedByArn && request.requestedByArn !== request.requestedBy
      ? [row('Requester AWS identity', plain(request.requestedByArn))]
      : []),
    ...(request.reason ? [row('Reason', quoted(request.reason))] : []),
    row('Message', request.transferMessage ? quoted(request.transferMessage) : '(none)'),
    ...(request.side === 'SOURCE' ? [row('Needs first', plain(preparationSummary(request)))] : []),
    ...(request.rejectReason ? [row('Rejected with', quoted(request.rejectReason))] : []),
    '',
    'Quoted text is shown as it was sent, with line breaks written as \\n.',
    ...(options.inboxLink ? ['', 'All requests waiting for your decision (this list link is yours alone too):', options.inboxLink] : []),
  ];
  return { subject: subjectLine(subject), message: lines.join('\n') };
}

/** One labelled row: `  Label:        value`; later lines of a multi-line value are indented under the value. */
function row(label: string, value: string, ...more: string[]): string {
  return [`  ${`${label}:`.padEnd(LABEL_WIDTH)}${value}`, ...more.map((line) => `  ${' '.repeat(LABEL_WIDTH)}${line}`)].join('\n');
}

/** Printable text on one line, shorter than SNS's limit. */
function subjectLine(subject: string): string {
  return plain(subject).replace(/\s+/g, ' ').trim().slice(0, SUBJECT_MAX_LENGTH);
}

function certificateRows(request: ApprovalRequest, now: Date): string[] {
  const facts = request.certificate;
  const rows = [row('Certificate', plain(request.certificateId ?? facts?.certificateId ?? ''))];
  if (!facts) {
    const things = request.preparation.attachedThings;
    return things.length > 0 ? [...rows, row('Things', ...listed(things.map(quoted)))] : rows;
  }
  const validity = validityWording(facts.validFrom, facts.validTo, now);
  const created = timeWording(facts.createdAt, now);
  rows.push(
    ...(facts.subject ? [row('Subject', quoted(facts.subject))] : []),
    ...(facts.issuer ? [row('Issuer', quoted(facts.issuer))] : []),
    row('CA', facts.caCertificateId ? plain(facts.caCertificateId) : '(none registered)'),
    ...(validity ? [row('Valid', validity)] : []),
    ...(created ? [row('Created', created)] : []),
    row('Status', plain(facts.status)),
    row('Policies', facts.policies.length > 0 ? facts.policies.map(quoted).join(', ') : '(none)'),
    row('Things', ...listed(facts.things.map((thing) => thingWording(thing.thingName, thing.thingTypeName, thing.attributes)))),
  );
  if (request.landing) rows.push(...landingRows(request.landing));
  return rows;
}

function landingRows(landing: LandingPlan): string[] {
  return [
    row('Lands with', landing.policies.length > 0 ? `policies ${landing.policies.map(quoted).join(', ')}` : 'no policies'),
    row(
      'Things here',
      ...listed(
        landing.things.map(
          (thing) =>
            `${thing.action === 'CREATE' ? 'create' : 'reuse'} ${thingWording(thing.thingName, thing.thingTypeName, thing.attributes)}`,
        ),
      ),
    ),
  ];
}

/** `"sensor-17" (type "sensor"; "floor"="3", "rack"="7")`. */
export function thingWording(thingName: string, thingTypeName: string | undefined, attributes: Record<string, string>): string {
  const entries = Object.entries(attributes);
  const type = thingTypeName ? `type ${quoted(thingTypeName)}` : 'no type';
  const attributeText =
    entries.length > 0 ? entries.map(([name, value]) => `${quoted(name)}=${quoted(value)}`).join(', ') : 'no attributes';
  return `${quoted(thingName)} (${type}; ${attributeText})`;
}

function listed(items: string[]): [string, ...string[]] {
  const [first, ...rest] = items;
  return first === undefined ? ['(none)'] : [first, ...rest];
}

function certificateVerb(request: ApprovalRequest): string {
  const shortId = `${(request.certificateId ?? '').slice(0, 12)}...`;
  return request.side === 'SOURCE'
    ? `transfer certificate ${shortId} to ${request.targetAwsAccount}`
    : `accept certificate ${shortId} from ${request.sourceAwsAccount}`;
}

function certificateOpening(request: ApprovalRequest): string {
  return request.side === 'SOURCE'
    ? `certflow asks for your approval to transfer an AWS IoT certificate from account ${request.sourceAwsAccount} to account ${request.targetAwsAccount}.`
    : `Account ${request.sourceAwsAccount} offers an AWS IoT certificate to this account (${request.targetAwsAccount}).`;
}

function migrationVerb(request: ApprovalRequest, migration: MigrationSummary): string {
  const certificates = countOf(migration.certificateCount, 'certificate');
  return request.side === 'SOURCE'
    ? `moving ${certificates} to ${request.targetAwsAccount}`
    : `accepting ${certificates} from ${request.sourceAwsAccount}`;
}

function migrationOpening(request: ApprovalRequest, migration: MigrationSummary): string {
  const certificates = countOf(migration.certificateCount, 'AWS IoT certificate');
  return request.side === 'SOURCE'
    ? `certflow asks for your approval to move ${certificates} from account ${request.sourceAwsAccount} to account ${request.targetAwsAccount} (migration ${migration.migrationId}).`
    : `Account ${request.sourceAwsAccount} offers ${certificates} to this account (${request.targetAwsAccount}) (migration ${migration.migrationId}).`;
}

function migrationRows(migration: MigrationSummary, side: ApprovalSide): string[] {
  const samples = migration.sampleCertificateIds.slice(0, NOTIFIED_SAMPLES);
  return [
    ...migrationCounts(migration, side).map(([label, value]) => row(label, plain(value))),
    ...(samples.length > 0 ? [row('Examples', ...listed(samples))] : []),
  ];
}

/** A migration's summary as label and value pairs, in the order both the e-mail and the page show them. */
export function migrationCounts(migration: MigrationSummary, side: ApprovalSide = 'SOURCE'): Array<[string, string]> {
  if (side === 'TARGET') {
    return [
      ['Migration', migration.migrationId],
      [
        'Certificates',
        `${migration.certificateCount} (nothing changes before you approve; then the source offers them batch by batch and each lands here as it arrives)`,
      ],
      ['By status', statusCountsText(migration.statusCounts)],
      ['Already done', `${migration.alreadyDone} (skipped: landed by an earlier run)`],
    ];
  }
  return [
    ['Migration', migration.migrationId],
    ['Certificates', String(migration.certificateCount)],
    ['By status', statusCountsText(migration.statusCounts)],
    ['With policies', `${migration.withPolicies} (detached before the transfer)`],
    [
      'With things',
      migration.withThings === null
        ? 'found per certificate during the cutover: detached just before its transfer, recreated in the target'
        : String(migration.withThings),
    ],
    ['To deactivate', `${migration.toDeactivate} (ACTIVE: set INACTIVE, their devices disconnect)`],
    ['Already done', `${migration.alreadyDone} (skipped: moved by an earlier run)`],
    ['Will fail', `${migration.notTransferable} (missing, pending transfer to another account, ...)`],
  ];
}

/** Known statuses in the IoT API's order, then anything else as stored. */
export function statusCountsText(statusCounts: Record<string, number>): string {
  const known: readonly string[] = CERTIFICATE_STATUSES;
  const statuses = Object.keys(statusCounts).sort((a, b) => rank(known, a) - rank(known, b));
  return statuses.length > 0 ? statuses.map((status) => `${status} ${statusCounts[status] ?? 0}`).join(', ') : '(none)';
}

function rank(known: readonly string[], status: string): number {
  const index = known.indexOf(status);
  return index < 0 ? known.length : index;
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
  if (migration.toDeactivate > 0)
    steps.push(`deactivate ${countOf(migration.toDeactivate, 'ACTIVE certificate')} (devices using them will disconnect)`);
  if (migration.withPolicies > 0) steps.push(`detach the policies of ${countOf(migration.withPolicies, 'certificate')}`);
  return steps.length > 0 ? steps.join(' and ') : 'nothing: no certificate is ACTIVE or has policies attached';
}
