/** Environment variables the CDK app gives certflow's functions. */
export const HANDLER_ENVIRONMENT = {
  auditTableName: 'AUDIT_TABLE_NAME',
  accountId: 'CERTFLOW_ACCOUNT_ID',
  approvalTableName: 'APPROVAL_TABLE_NAME',
  approvalTopicArn: 'APPROVAL_TOPIC_ARN',
  /** Comma-separated e-mail addresses of this side's approvers. */
  approvers: 'APPROVERS',
  approvalPageUrl: 'APPROVAL_PAGE_URL',
  signingKeySecretArn: 'SIGNING_KEY_SECRET_ARN',
  reminderLeadSeconds: 'REMINDER_LEAD_SECONDS',
  inboundStateMachineArn: 'INBOUND_STATE_MACHINE_ARN',
  migrationBucketName: 'MIGRATION_BUCKET_NAME',
  migrationProgressTableName: 'MIGRATION_PROGRESS_TABLE_NAME',
  /** The table of this side's transfer records (proposals, offers, landings). */
  proposalTableName: 'PROPOSAL_TABLE_NAME',
  /** This side's own event bus; a rule forwards certflow's messages from it to the peer's bus. */
  eventBusName: 'EVENT_BUS_NAME',
  /** The one account whose certflow this side exchanges messages with. */
  peerAccountId: 'PEER_ACCOUNT_ID',
  /** Comma-separated accounts known to run no certflow: they get a plain offer. */
  unmanagedTargetAccounts: 'UNMANAGED_TARGET_ACCOUNTS',
  /** Target side: the proposal review workflow the receiver starts. */
  reviewStateMachineArn: 'REVIEW_STATE_MACHINE_ARN',
  /** Target side: how accepted certificates land (JSON LandingConfig). */
  landingConfig: 'LANDING_CONFIG',
  /** Target side: comma-separated accounts whose hand-made offers the poller sends to review. */
  trustedSourceAccounts: 'TRUSTED_SOURCE_ACCOUNTS',
  /** Source side: the table of start requests the start API records and the workflows' first step checks. */
  startRequestTableName: 'START_REQUEST_TABLE_NAME',
  /** Source side: the outbound transfer workflow the start API starts. */
  transferStateMachineArn: 'TRANSFER_STATE_MACHINE_ARN',
  /** The side's migration workflow: the one the start API starts (source), or the receiver starts per proposed run (target). */
  migrationStateMachineArn: 'MIGRATION_STATE_MACHINE_ARN',
  /** The account's per-Action IoT request quota the migration steps pace themselves to. */
  iotRequestsPerSecond: 'IOT_REQUESTS_PER_SECOND',
  /** JSON object of IoT Action name → that Action's quota, over iotRequestsPerSecond (each already this function's share). */
  iotRequestsPerSecondByAction: 'IOT_REQUESTS_PER_SECOND_BY_ACTION',
  /** Certificates per migration batch: both sides cut the list into batches of this size. */
  migrationBatchSize: 'MIGRATION_BATCH_SIZE',
  /** The AWS partition of this account's ARNs (Stack.partition: aws, aws-cn, aws-us-gov). */
  awsPartition: 'CERTFLOW_AWS_PARTITION',
} as const;

/** A comma-separated list; empty when unset. */
export function listEnvironment(name: string): string[] {
  return (process.env[name] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

export function requiredEnvironment(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
