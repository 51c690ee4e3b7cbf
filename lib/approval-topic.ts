import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface ApprovalTopicProps {
  /** Which side's approvers this topic notifies, for its display name. */
  readonly side: 'SOURCE' | 'TARGET';
  /** Each approver gets an e-mail subscription that receives only the messages addressed to them. */
  readonly approvers: string[];
}

/**
 * The approvers' notifications. Each message carries an `approver` attribute and each
 * subscription filters on its own address, so every approver receives only their own
 * signed link.
 */
export class ApprovalTopic extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: ApprovalTopicProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: `certflow ${props.side.toLowerCase()} approvals`,
      enforceSSL: true,
      // Encrypted at rest with the SNS-managed key: the messages hold signed links.
      masterKey: kms.Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
    });
    for (const approver of props.approvers) {
      this.topic.addSubscription(
        new subscriptions.EmailSubscription(approver, {
          filterPolicy: { approver: sns.SubscriptionFilter.stringFilter({ allowlist: [approver] }) },
        }),
      );
    }
  }

  grantPublish(grantee: iam.IGrantable): void {
    this.topic.grantPublish(grantee);
  }
}
