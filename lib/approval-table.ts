import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { REMINDER_INDEX } from '../lambdas/approvals/approval-request';
import { APPROVAL_PARTITION_KEY } from '../lambdas/approvals/approval-store';
import {
  PENDING_INDEX,
  PENDING_INDEX_PARTITION_KEY,
  PENDING_INDEX_PROJECTED_ATTRIBUTES,
  PENDING_INDEX_SORT_KEY,
} from '../lambdas/approvals/approver-inbox';

/**
 * Approval requests a workflow waits on, with their task tokens (which never leave the
 * server side). The sparse `remindersDue` index holds only requests still owed a reminder.
 */
export class ApprovalTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: APPROVAL_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: REMINDER_INDEX,
      partitionKey: { name: 'reminderDue', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'remindAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    // The approver inbox lists PENDING requests by deadline from here, without a Scan; no task token is projected.
    this.table.addGlobalSecondaryIndex({
      indexName: PENDING_INDEX,
      partitionKey: { name: PENDING_INDEX_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: PENDING_INDEX_SORT_KEY, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...PENDING_INDEX_PROJECTED_ATTRIBUTES],
    });
  }
}
