import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { TRANSFER_ACTIONS, type TransferActionName } from '../lambdas/audit-trail/audit-row';
import { AuditTable } from './audit-table';
import { TransferActionFunction } from './transfer-action-function';

export type CertflowStackProps = StackProps;

/** The audit table and one function per IoT certificate-transfer Action. */
export class CertflowStack extends Stack {
  readonly auditTable: AuditTable;
  readonly transferActionFunctions: Record<TransferActionName, TransferActionFunction>;

  constructor(scope: Construct, id: string, props: CertflowStackProps = {}) {
    super(scope, id, props);
    this.auditTable = new AuditTable(this, 'AuditTable');
    const functions: Partial<Record<TransferActionName, TransferActionFunction>> = {};
    for (const action of TRANSFER_ACTIONS) {
      functions[action] = new TransferActionFunction(this, action, { action, auditTable: this.auditTable.table });
      new CfnOutput(this, `${action}FunctionName`, { value: functions[action].function.functionName });
    }
    this.transferActionFunctions = functions as Record<TransferActionName, TransferActionFunction>;
    new CfnOutput(this, 'AuditTableName', { value: this.auditTable.table.tableName });
  }
}
