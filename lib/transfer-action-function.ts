import { Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { TransferActionName } from '../lambdas/audit-trail/audit-row';
import { HANDLER_ENVIRONMENT } from '../lambdas/handlers/handler-environment';
import { CertflowFunction } from './certflow-function';

/** Handler file and IoT permissions of each transfer Action. */
export const TRANSFER_ACTION_FUNCTIONS: Record<TransferActionName, { entry: string; iotActions: string[] }> = {
  TransferCertificate: {
    entry: 'lambdas/handlers/transfer-certificate.ts',
    iotActions: ['iot:TransferCertificate', 'iot:DescribeCertificate'],
  },
  AcceptCertificateTransfer: {
    entry: 'lambdas/handlers/accept-certificate-transfer.ts',
    iotActions: ['iot:AcceptCertificateTransfer', 'iot:DescribeCertificate'],
  },
  RejectCertificateTransfer: {
    entry: 'lambdas/handlers/reject-certificate-transfer.ts',
    iotActions: ['iot:RejectCertificateTransfer'],
  },
  CancelCertificateTransfer: {
    entry: 'lambdas/handlers/cancel-certificate-transfer.ts',
    iotActions: ['iot:CancelCertificateTransfer', 'iot:DescribeCertificate'],
  },
};

export interface TransferActionFunctionProps {
  /** The IoT Action this function calls. */
  readonly action: TransferActionName;
  /** The table every attempt is recorded in. */
  readonly auditTable: dynamodb.ITable;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/** The IoT certificates of the stack's own account and region: the only IoT resources certflow touches. */
export function thisAccountsCertificates(scope: Construct): string {
  return Stack.of(scope).formatArn({ service: 'iot', resource: 'cert', resourceName: '*' });
}

/** Read and conditional-write access to the audit table and its indexes, nothing else. */
export function auditTableAccess(auditTable: dynamodb.ITable): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:Query'],
    resources: [auditTable.tableArn, `${auditTable.tableArn}/index/*`],
  });
}

/**
 * One Lambda function calling one IoT certificate-transfer Action, with a role that
 * may call only that Action (and DescribeCertificate where it confirms a re-run) on
 * this account's certificates, and write only to the audit table.
 */
export class TransferActionFunction extends Construct {
  readonly function: lambda.IFunction;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: TransferActionFunctionProps) {
    super(scope, id);
    const spec = TRANSFER_ACTION_FUNCTIONS[props.action];
    const built = new CertflowFunction(this, 'Handler', {
      entry: spec.entry,
      description: `calls IoT ${props.action} and records the attempt`,
      logRetention: props.logRetention,
      statements: [
        new iam.PolicyStatement({ actions: spec.iotActions, resources: [thisAccountsCertificates(this)] }),
        auditTableAccess(props.auditTable),
      ],
      environment: {
        [HANDLER_ENVIRONMENT.auditTableName]: props.auditTable.tableName,
        [HANDLER_ENVIRONMENT.accountId]: Stack.of(this).account,
      },
    });
    this.function = built.function;
    this.role = built.role;
  }
}
