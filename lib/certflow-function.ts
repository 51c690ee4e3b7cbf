import * as path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export const PROJECT_ROOT = path.join(__dirname, '..');

/**
 * Actions for which the Service Authorization Reference lists no resource type
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsiot.html and
 * list_awsx-ray.html, "Resource types" column empty): IAM can grant them only on `*`.
 * Each entry says what certflow needs it for.
 */
export const RESOURCE_LESS_ACTIONS = {
  'xray:PutTraceSegments': 'Lambda active tracing sends the function segments',
  'xray:PutTelemetryRecords': 'Lambda active tracing sends the X-Ray telemetry',
  'iot:ListCertificates': "the inbound poller and the migrations list this account's certificates",
  'iot:ListCertificatesByCA': "a migration selects a CA's certificates",
  'iot:ListOutgoingCertificates': 'a source migration lists its pending offers',
  'iot:ListPolicies': "a source migration's plan lists the account's policies, to list each one's targets",
  'iot:ListAttachedPolicies': "the outbound steps read a certificate's policies before detaching them",
} as const;

export type ResourceLessAction = keyof typeof RESOURCE_LESS_ACTIONS;

function isResourceLessAction(action: string): action is ResourceLessAction {
  return Object.hasOwn(RESOURCE_LESS_ACTIONS, action);
}

/** An Allow of resource-less Actions only, on `*` only, with nothing negated. */
export function grantsOnlyResourceLessActions(statement: iam.PolicyStatement): boolean {
  return (
    statement.effect === iam.Effect.ALLOW &&
    statement.actions.length > 0 &&
    statement.actions.every(isResourceLessAction) &&
    statement.notActions.length === 0 &&
    statement.resources.length === 1 &&
    statement.resources[0] === '*' &&
    statement.notResources.length === 0 &&
    !statement.hasPrincipal
  );
}

export interface CertflowFunctionProps {
  /** The handler file, relative to the project root (e.g. `lambdas/handlers/follow-offer.ts`). */
  readonly entry: string;
  /** What the function does, for the function's and its role's descriptions (prefixed `certflow: `). */
  readonly description: string;
  /**
   * Everything the function may do besides writing its own logs and traces. A statement that
   * grants only Actions of `RESOURCE_LESS_ACTIONS` on `*` goes to the role's resource-less
   * policy; every other statement goes to its default policy, where cdk-nag flags any `*`.
   */
  readonly statements: iam.PolicyStatement[];
  /**
   * Environment variables of the function, besides the Powertools service name and log level.
   * @default - no other variables
   */
  readonly environment?: Record<string, string>;
  /**
   * How long one invocation may run.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A function's role with two policies: the default policy, whose every grant names its
 * resources, and the `ResourceLessActions` policy, which holds only grants on `*` of Actions
 * that have no resource type (X-Ray's trace writes, the IoT list Actions). cdk-nag's
 * AwsSolutions-IAM5 finding names the wildcard (`Resource::*`), never the Action, so it is
 * acknowledged on the resource-less policy alone: a `*` grant of any other Action lands in
 * the default policy and fails the nag check.
 */
export class ResourceLessActionsRole extends iam.Role {
  private resourceLessPolicy: iam.Policy | undefined;

  override addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (!grantsOnlyResourceLessActions(statement)) return super.addToPrincipalPolicy(statement);
    if (!this.resourceLessPolicy) {
      // A child of the role: the function's dependency on its role covers this policy too.
      this.resourceLessPolicy = new iam.Policy(this, 'ResourceLessActions', { roles: [this] });
      Validations.of(this.resourceLessPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: `Holds only Actions for which the Service Authorization Reference lists no resource type (${Object.keys(RESOURCE_LESS_ACTIONS).join(', ')}); IAM can grant them only on *`,
      });
    }
    this.resourceLessPolicy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.resourceLessPolicy };
  }
}

/**
 * A certflow Lambda function: Node.js 22 on arm64, bundled locally with esbuild together with
 * the AWS SDK it was tested with, traced with X-Ray, with its own log group and a role
 * holding only the statements it is given.
 */
export class CertflowFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: CertflowFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR });
    this.role = new ResourceLessActionsRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `certflow: ${props.description}`.slice(0, 1000),
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
    );
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
      // Its X-Ray grant (PutTraceSegments, PutTelemetryRecords on *) goes to the role's resource-less policy.
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup,
      description: `certflow: ${props.description}`.slice(0, 256),
      environment: { POWERTOOLS_SERVICE_NAME: 'certflow', POWERTOOLS_LOG_LEVEL: 'INFO', ...props.environment },
      bundling: {
        target: 'node22',
        minify: true,
        // The SDK's ES module builds first: esbuild can tree-shake those, not the single-file
        // CommonJS builds, which carry every command and schema of a client (a third of the size,
        // and a third less memory per execution environment).
        mainFields: ['module', 'main'],
        sourceMap: true,
        forceDockerBundling: false,
        // Run the SDK versions of package-lock.json, the ones the tests ran (the migration pacer
        // hooks the SDK's retry middleware by name), not whichever SDK the Lambda runtime ships.
        bundleAwsSDK: true,
      },
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 on purpose: the handlers are bundled for node22 and tested on that major version; a runtime upgrade is a tested change of its own',
    });
  }
}
