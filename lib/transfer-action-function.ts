import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { TransferActionName } from '../lambdas/audit-trail/audit-row';
import { HANDLER_ENVIRONMENT } from '../lambdas/handlers/handler-environment';

const PROJECT_ROOT = path.join(__dirname, '..');

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
  /** How long the function's logs are kept. Default: one year. */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * One Lambda function calling one IoT certificate-transfer Action, with a role that
 * may call only that Action (and DescribeCertificate where it confirms a re-run) on
 * this account's certificates, and write only to the audit table.
 */
export class TransferActionFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: TransferActionFunctionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const spec = TRANSFER_ACTION_FUNCTIONS[props.action];

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `certflow ${props.action}: this Action on this account's IoT certificates, audit writes only`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: spec.iotActions,
        resources: [stack.formatArn({ service: 'iot', resource: 'cert', resourceName: '*' })],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:Query'],
        resources: [props.auditTable.tableArn, `${props.auditTable.tableArn}/index/*`],
      }),
    );

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, spec.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup,
      description: `certflow: calls IoT ${props.action} and records the attempt`,
      environment: {
        [HANDLER_ENVIRONMENT.auditTableName]: props.auditTable.tableName,
        [HANDLER_ENVIRONMENT.accountId]: stack.account,
        POWERTOOLS_SERVICE_NAME: 'certflow',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
      bundling: {
        target: 'node22',
        minify: true,
        sourceMap: true,
        forceDockerBundling: false,
      },
    });
  }
}
