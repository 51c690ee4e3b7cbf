/** Environment variables the CDK app gives every transfer-Action function. */
export const HANDLER_ENVIRONMENT = {
  auditTableName: 'AUDIT_TABLE_NAME',
  accountId: 'CERTFLOW_ACCOUNT_ID',
} as const;
