import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  FOLLOWED_OFFERS_INDEX,
  FOLLOWED_OFFER_ATTRIBUTE,
  PROPOSALS_BY_CERTIFICATE_INDEX,
  PROPOSAL_PARTITION_KEY,
} from '../lambdas/cross-account/proposal-store';

/**
 * One side's record of each transfer it takes part in: the proposal, the peer's messages
 * as they arrive, and the task token of the step waiting for the next one (tokens never
 * travel between accounts). The `byCertificate` index lets the target's poller skip
 * offers that belong to a proposal. The sparse `followedOffers` index holds only the offers
 * to a target that runs no certflow which the source's sweep still follows.
 */
export class TransferProposalTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: PROPOSAL_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: PROPOSALS_BY_CERTIFICATE_INDEX,
      partitionKey: { name: 'certificateId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'createdAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: FOLLOWED_OFFERS_INDEX,
      partitionKey: { name: FOLLOWED_OFFER_ATTRIBUTE, type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'followDeadline', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }

  /** Reads and conditional writes of the records: what the steps and the receiver need. */
  readWrite(): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: [this.table.tableArn],
    });
  }

  /** The sweep's one Query of the offers still followed. */
  queryFollowedOffers(): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions: ['dynamodb:Query'],
      resources: [`${this.table.tableArn}/index/${FOLLOWED_OFFERS_INDEX}`],
    });
  }

  /** The sweep's conditional writes of an outcome (and the read a conflict makes). */
  recordOutcomes(): iam.PolicyStatement {
    return new iam.PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [this.table.tableArn] });
  }

  /** The poller's look-up by certificate. */
  queryByCertificate(): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions: ['dynamodb:Query'],
      resources: [`${this.table.tableArn}/index/${PROPOSALS_BY_CERTIFICATE_INDEX}`],
    });
  }
}
