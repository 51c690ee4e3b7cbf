import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { AUDIT_INDEXES, AUDIT_PARTITION_KEY, AUDIT_SORT_KEY } from '../lambdas/audit-trail/audit-trail';

export interface AuditTableProps {
  /** Physical table name. @default a name CloudFormation generates */
  readonly tableName?: string;
}

/**
 * The immutable audit trail: one row per attempt at an IoT transfer Action. Rows are
 * keyed by a deterministic id so that a retried step cannot write a second row, and
 * each read (per certificate, per execution, per requester, per approver) is one Query
 * on a global secondary index sorted by time.
 */
export class AuditTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: AuditTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: AUDIT_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of Object.values(AUDIT_INDEXES)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: AUDIT_SORT_KEY, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }
}
