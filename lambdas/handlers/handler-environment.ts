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
  /** The account's per-Action IoT request quota the migration steps pace themselves to. */
  iotRequestsPerSecond: 'IOT_REQUESTS_PER_SECOND',
} as const;

export function requiredEnvironment(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
