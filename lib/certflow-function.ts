import * as path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export const PROJECT_ROOT = path.join(__dirname, '..');

export interface CertflowFunctionProps {
  /** The handler file, relative to the project root (e.g. `lambdas/handlers/follow-transfer.ts`). */
  readonly entry: string;
  readonly description: string;
  /** Everything the function may do besides writing its own logs and traces. */
  readonly statements: iam.PolicyStatement[];
  readonly environment?: Record<string, string>;
  readonly timeout?: Duration;
  /** How long the function's logs are kept. Default: one year. */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A certflow Lambda function: Node.js 22 on arm64, bundled locally with esbuild, with
 * its own log group and a role holding only the statements it is given.
 */
export class CertflowFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: CertflowFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `certflow: ${props.description}`.slice(0, 1000),
    });
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    for (const statement of props.statements) this.role.addToPolicy(statement);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup,
      description: `certflow: ${props.description}`.slice(0, 256),
      environment: { POWERTOOLS_SERVICE_NAME: 'certflow', POWERTOOLS_LOG_LEVEL: 'INFO', ...props.environment },
      bundling: { target: 'node22', minify: true, sourceMap: true, forceDockerBundling: false },
    });
    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments and PutTelemetryRecords have no resource type and can only be granted on *',
      },
      {
        id: 'AwsSolutions-L1',
        reason: 'Node.js 22 on purpose: the handlers are bundled for node22 and tested on that major version; a runtime upgrade is a tested change of its own',
      },
    );
  }
}
