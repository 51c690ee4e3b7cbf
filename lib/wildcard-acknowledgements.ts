import { Arn, ArnFormat, Stack, Validations, type Acknowledgment } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { CertflowFunction } from './certflow-function';
import type { MigrationStorage } from './migration-storage';
import { thisAccountsCertificates } from './transfer-action-function';

/**
 * A resource ARN the way cdk-nag names it in an AwsSolutions-IAM5 finding: `{Ref: X}` as
 * `<X>`, `{Fn::GetAtt: [X, Y]}` as `<X.Y>`, joins concatenated, any other intrinsic as its JSON.
 */
function asNagResource(stack: Stack, arn: string): string {
  const flatten = (node: unknown): string => {
    if (typeof node === 'string') return node;
    if (typeof node === 'object' && node !== null) {
      const intrinsic = node as { Ref?: unknown; 'Fn::GetAtt'?: unknown[]; 'Fn::Join'?: [string, unknown[]] };
      if (intrinsic['Fn::Join']) return intrinsic['Fn::Join'][1].map(flatten).join(intrinsic['Fn::Join'][0]);
      if (intrinsic['Fn::GetAtt']) return `<${intrinsic['Fn::GetAtt'].map(flatten).join('.')}>`;
      if (intrinsic.Ref !== undefined) return `<${flatten(intrinsic.Ref)}>`;
    }
    return JSON.stringify(node);
  };
  return flatten(stack.resolve(arn));
}

function wildcardOn(stack: Stack, arn: string, reason: string): Acknowledgment {
  return { id: `AwsSolutions-IAM5[Resource::${asNagResource(stack, arn)}]`, reason };
}

/**
 * The wildcards certflow grants on purpose, acknowledged for cdk-nag with their reasons:
 * IoT Actions on this account's certificates (which certificate a workflow
 * moves is only known at run time), and Query on the audit table's own indexes.
 */
export function acknowledgeCertflowWildcards(stack: Stack, auditTable: dynamodb.Table): void {
  Validations.of(stack).acknowledge(
    wildcardOn(
      stack,
      thisAccountsCertificates(stack),
      "Which certificate a workflow moves is known only at run time; the grant is limited to this account's certificates and to named Actions",
    ),
    wildcardOn(
      stack,
      `${auditTable.tableArn}/index/*`,
      "Query on the audit table's own indexes (by certificate, execution, requester, approver) to find a retried step's row",
    ),
    wildcardOn(
      stack,
      stack.formatArn({ service: 'iot', resource: 'thing', resourceName: '*' }),
      "The things a certificate is attached to (detached before a transfer, recreated where it lands) are known only at run time; named Actions on this account's things",
    ),
    wildcardOn(
      stack,
      stack.formatArn({ service: 'iot', resource: 'policy', resourceName: '*' }),
      'The landing checks that the policies it will attach exist (GetPolicy only); their names come from the proposal and the landing configuration at run time',
    ),
    wildcardOn(
      stack,
      stack.formatArn({ service: 'iot', resource: 'thingtype', resourceName: '*' }),
      "The landing checks whether a thing's type exists here (DescribeThingType only); the type comes from the proposal at run time",
    ),
  );
}

/**
 * The wildcards of a migration workflow: its functions' access to the migration files,
 * and what the CDK grants a state machine that runs Distributed Maps (reading items and
 * writing results in the bucket, running its batches as its own child executions).
 */
export function acknowledgeMigrationWildcards(workflow: { stateMachine: sfn.StateMachine; functions: Record<string, CertflowFunction> }, storage: MigrationStorage): void {
  const stack = Stack.of(workflow.stateMachine);
  for (const built of Object.values(workflow.functions)) {
    Validations.of(built).acknowledge(
      wildcardOn(
        stack,
        storage.filesArn,
        "A migration's files are keyed by its migration id and run name, known only at run time; Get and Put only, under migrations/ in this side's own migration bucket",
      ),
    );
  }
  const bucketObjects = stack.formatArn({ service: 's3', region: '', account: '', resource: storage.bucket.bucketName, resourceName: '*' });
  const stateMachineName = Arn.split(workflow.stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName;
  const executions = (pattern: string) => stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${stateMachineName}${pattern}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  Validations.of(workflow.stateMachine).acknowledge(
    wildcardOn(
      stack,
      bucketObjects,
      'The Distributed Maps read their item lists and write their results under keys the plan names at run time; the CDK grants their ItemReader and ResultWriter on the objects of the migration bucket, which holds nothing but migration files',
    ),
    wildcardOn(
      stack,
      executions(':*'),
      'A Distributed Map runs its batches as child executions of this same state machine; the CDK lets it describe and stop its own executions, whose names are chosen at run time',
    ),
    wildcardOn(
      stack,
      executions('/*:*'),
      "Redrive of this state machine's own Map Run child executions, whose names Step Functions assigns at run time",
    ),
  );
}
