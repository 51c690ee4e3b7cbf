import { Arn, ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import type { CertflowFunction } from './certflow-function';
import { MigrationStorage } from './migration-storage';
import { thisAccountsCertificates } from './transfer-action-function';

/**
 * A resolved resource the way cdk-nag names it in an AwsSolutions-IAM5 finding: `{Ref: X}` as
 * `<X>`, `{Fn::GetAtt: [X, Y]}` as `<X.Y>`, joins concatenated, any other intrinsic as its JSON.
 */
function asNagResource(resolved: unknown): string {
  if (typeof resolved === 'string') return resolved;
  if (typeof resolved === 'object' && resolved !== null) {
    const intrinsic = resolved as { Ref?: unknown; 'Fn::GetAtt'?: unknown[]; 'Fn::Join'?: [string, unknown[]] };
    if (intrinsic['Fn::Join']) return intrinsic['Fn::Join'][1].map(asNagResource).join(intrinsic['Fn::Join'][0]);
    if (intrinsic['Fn::GetAtt']) return `<${intrinsic['Fn::GetAtt'].map(asNagResource).join('.')}>`;
    if (intrinsic.Ref !== undefined) return `<${asNagResource(intrinsic.Ref)}>`;
  }
  return JSON.stringify(resolved);
}

/** What one acknowledged wildcard resource may be granted for, and why. */
export interface AcknowledgedWildcard {
  /** The only Actions any statement under the scope may grant on the wildcard resource. */
  readonly actions: readonly string[];
  /** Why the wildcard is needed; recorded with the acknowledgement. */
  readonly reason: string;
}

export class WildcardBeyondAcknowledgementError extends Error {
  override readonly name = 'WildcardBeyondAcknowledgementError';
}

interface ResolvedStatement {
  Effect?: string;
  Action?: string | string[];
  Resource?: unknown;
}

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 finding for a wildcard resource under `scope`,
 * for the named Actions only. The finding id names the resource, never the Action
 * (`AwsSolutions-IAM5[Resource::arn:...:cert/*]`), so an acknowledgement alone would also
 * pass a destructive Action on that resource; a validation of `scope` fails the synthesis
 * when any statement under it grants another Action there.
 */
export function acknowledgeWildcard(scope: IConstruct, arn: string, wildcard: AcknowledgedWildcard): void {
  const stack = Stack.of(scope);
  const resource = asNagResource(stack.resolve(arn));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason: wildcard.reason });
  scope.node.addValidation({
    validate: () =>
      scope.node
        .findAll()
        .filter((construct): construct is iam.CfnPolicy => construct instanceof iam.CfnPolicy)
        .flatMap((policy) => {
          const document = Stack.of(policy).resolve(policy.policyDocument) as { Statement?: ResolvedStatement[] };
          return (document.Statement ?? [])
            .filter((statement) => statement.Effect === 'Allow' && [statement.Resource].flat().map(asNagResource).includes(resource))
            .flatMap((statement) => [statement.Action ?? []].flat())
            .filter((action) => !wildcard.actions.includes(action))
            .map(
              (action) =>
                new WildcardBeyondAcknowledgementError(
                  `${policy.node.path} grants ${action} on ${resource}, whose acknowledgement covers only ${wildcard.actions.join(', ')}: grant ${action} on a narrower resource, or acknowledge it there with its reason`,
                ).message,
            );
        }),
  });
}

/**
 * The IoT Actions certflow calls on a certificate of its own account. (ListAttachedPolicies
 * is granted on `*`: the Service Authorization Reference lists no resource type for it.)
 */
export const CERTIFICATE_ACTIONS = [
  'iot:DescribeCertificate',
  'iot:UpdateCertificate',
  'iot:TransferCertificate',
  'iot:AcceptCertificateTransfer',
  'iot:RejectCertificateTransfer',
  'iot:CancelCertificateTransfer',
  'iot:AttachPolicy',
  'iot:DetachPolicy',
  'iot:ListPrincipalThings',
  'iot:DetachThingPrincipal',
  'iot:AttachThingPrincipal',
] as const;

/**
 * The wildcards certflow grants on purpose, acknowledged for cdk-nag with their reasons:
 * IoT Actions on this account's certificates (which certificate a workflow
 * moves is only known at run time), and Query on the audit table's own indexes.
 */
export function acknowledgeCertflowWildcards(stack: Stack, auditTable: dynamodb.Table): void {
  acknowledgeWildcard(stack, thisAccountsCertificates(stack), {
    actions: CERTIFICATE_ACTIONS,
    reason:
      "Which certificate a workflow moves is known only at run time; the grant is limited to this account's certificates and to named Actions",
  });
  acknowledgeWildcard(stack, `${auditTable.tableArn}/index/*`, {
    // PutItem and GetItem come with the table's own ARN in one statement (auditTableAccess); on an index ARN they authorize nothing.
    actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:GetItem'],
    reason: "Query on the audit table's own indexes (by certificate, execution, requester, approver) to find a retried step's row",
  });
  acknowledgeWildcard(stack, stack.formatArn({ service: 'iot', resource: 'thing', resourceName: '*' }), {
    actions: ['iot:DescribeThing', 'iot:DetachThingPrincipal', 'iot:AttachThingPrincipal', 'iot:CreateThing', 'iot:ListThingPrincipals'],
    reason:
      "The things a certificate is attached to (detached before a transfer, recreated where it lands) are known only at run time; named Actions on this account's things",
  });
  acknowledgeWildcard(stack, stack.formatArn({ service: 'iot', resource: 'policy', resourceName: '*' }), {
    actions: ['iot:GetPolicy', 'iot:ListTargetsForPolicy'],
    reason:
      "The landing checks that the policies it will attach exist, and a migration's plan lists each policy's targets; policy names are known only at run time",
  });
  acknowledgeWildcard(stack, stack.formatArn({ service: 'iot', resource: 'thingtype', resourceName: '*' }), {
    actions: ['iot:DescribeThingType'],
    reason: "The landing checks whether a thing's type exists here; the type comes from the proposal at run time",
  });
}

/**
 * The wildcards of a migration workflow: its functions' access to the migration files,
 * and what the CDK grants a state machine that runs Distributed Maps (reading items and
 * writing results in the bucket, running its batches as its own child executions).
 */
export function acknowledgeMigrationWildcards(
  workflow: { stateMachine: sfn.StateMachine; functions: Record<string, CertflowFunction> },
  storage: MigrationStorage,
): void {
  const stack = Stack.of(workflow.stateMachine);
  for (const built of Object.values(workflow.functions)) {
    acknowledgeWildcard(built, storage.filesArn, {
      actions: ['s3:GetObject', 's3:PutObject'],
      reason:
        "A migration's files are keyed by its migration id and run name, known only at run time; Get and Put only, under migrations/ in this side's own migration bucket",
    });
  }
  for (const built of Object.values(workflow.functions)) {
    acknowledgeWildcard(built, storage.bucket.arnForObjects('exchange/*'), {
      actions: ['s3:GetObject', 's3:PutObject'],
      reason:
        "A migration run's exchange objects (its certificate list, its offer sheets) are keyed by run and batch, known only at run time",
    });
    acknowledgeWildcard(built, MigrationStorage.peerExchangeReads(built, storage.peerAccount).resources[0] ?? '', {
      actions: ['s3:GetObject'],
      reason:
        "The peer's exchange objects for a migration run, keyed by run and batch at run time; GetObject only, under exchange/ of the peer's migration bucket",
    });
  }
  const bucketObjects = stack.formatArn({ service: 's3', region: '', account: '', resource: storage.bucket.bucketName, resourceName: '*' });
  const stateMachineName = Arn.split(workflow.stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName;
  const executions = (pattern: string) =>
    stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachineName}${pattern}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  acknowledgeWildcard(workflow.stateMachine, bucketObjects, {
    actions: ['s3:GetObject', 's3:PutObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
    reason:
      'The Distributed Maps read their item lists and write their results under keys the plan names at run time; the CDK grants their ItemReader and ResultWriter on the objects of the migration bucket, which holds nothing but migration files',
  });
  acknowledgeWildcard(workflow.stateMachine, executions(':*'), {
    actions: ['states:DescribeExecution', 'states:StopExecution'],
    reason:
      'A Distributed Map runs its batches as child executions of this same state machine; the CDK lets it describe and stop its own executions, whose names are chosen at run time',
  });
  acknowledgeWildcard(workflow.stateMachine, executions('/*:*'), {
    actions: ['states:RedriveExecution'],
    reason: "Redrive of this state machine's own Map Run child executions, whose names Step Functions assigns at run time",
  });
}
