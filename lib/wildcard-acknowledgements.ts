import { type Stack, Token, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';

function rendered(value: string, pseudo: string): string {
  return Token.isUnresolved(value) ? `<${pseudo}>` : value;
}

/**
 * The wildcards certflow grants on purpose, acknowledged for cdk-nag with their reasons:
 * IoT Actions on this account's certificates (which certificate a workflow
 * moves is only known at run time), and Query on the audit table's own indexes.
 */
export function acknowledgeCertflowWildcards(stack: Stack, auditTable: dynamodb.Table): void {
  const iotArn = `arn:<AWS::Partition>:iot:${rendered(stack.region, 'AWS::Region')}:${rendered(stack.account, 'AWS::AccountId')}`;
  const auditTableId = stack.getLogicalId(auditTable.node.defaultChild as dynamodb.CfnTable);
  Validations.of(stack).acknowledge(
    {
      id: `AwsSolutions-IAM5[Resource::${iotArn}:cert/*]`,
      reason: "Which certificate a workflow moves is known only at run time; the grant is limited to this account's certificates and to named Actions",
    },
    {
      id: `AwsSolutions-IAM5[Resource::<${auditTableId}.Arn>/index/*]`,
      reason: "Query on the audit table's own indexes (by certificate, execution, requester, approver) to find a retried step's row",
    },
  );
}
