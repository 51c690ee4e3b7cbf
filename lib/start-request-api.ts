import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { HANDLER_ENVIRONMENT } from '../lambdas/handlers/handler-environment';
import { START_REQUEST_STORE_UNAVAILABLE } from '../lambdas/start-requests/start-request-errors';
import { START_REQUEST_PARTITION_KEY } from '../lambdas/start-requests/start-request-store';
import { CertflowFunction } from './certflow-function';
import { lambdaStep } from './lambda-step';
import { stateMachineArnOf } from './workflow-state-machine';

export interface StartRequestApiProps {
  /** The side's audit table: the verify step writes a RequestUnverified row to it (PutItem only). */
  readonly auditTable: dynamodb.ITable;
  /**
   * The name of the state machine `POST /workflows/transfer/executions` starts.
   * @default `${stackName}-OutboundTransfer`
   */
  readonly transferStateMachineName?: string;
  /**
   * The name of the state machine `POST /workflows/migration/executions` starts.
   * @default `${stackName}-Migration`
   */
  readonly migrationStateMachineName?: string;
  /**
   * Requests per second the stage lets through (then 429).
   * @default 10
   */
  readonly throttlingRateLimit?: number;
}

export interface StartRequestVerifyStepProps {
  /** @default 'Check that the start API recorded this execution and its input' */
  readonly comment?: string;
}

/** The start API's one route, below the stage: `POST /workflows/{workflow}/executions`. */
export const START_ROUTE = { workflows: 'workflows', workflow: '{workflow}', executions: 'executions' } as const;

/**
 * Where people start the source's workflows: a REST API with IAM authorization, so that the
 * requester is the caller's verified AWS identity and never a field of the input. Its function
 * records each start request (caller, requester, hash of the exact input) before it calls
 * StartExecution; the workflow's first step (`verifyStep`) fails an execution the API did not
 * start, or not with that input, with UnverifiedRequest.
 */
export class StartRequestApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly table: dynamodb.Table;
  readonly startFunction: CertflowFunction;
  /** The workflows' first step's function (see `verifyStep`). */
  readonly verifyFunction: CertflowFunction;
  /** The stage's URL (`https://{api}.execute-api.{region}.amazonaws.com/v1/`); POST to `workflows/{workflow}/executions` below it. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: StartRequestApiProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    const transferArn = stateMachineArnOf(this, props.transferStateMachineName ?? `${stackName}-OutboundTransfer`);
    const migrationArn = stateMachineArnOf(this, props.migrationStateMachineName ?? `${stackName}-Migration`);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: START_REQUEST_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.startFunction = new CertflowFunction(this, 'Start', {
      entry: 'lambdas/handlers/start-workflow-execution.ts',
      description: "source side: starts a workflow for its caller, the requester being the caller's IAM identity",
      timeout: Duration.seconds(15),
      statements: [
        // Get answers a repeated start of one name; the put is conditional.
        new iam.PolicyStatement({ actions: ['dynamodb:PutItem', 'dynamodb:GetItem'], resources: [this.table.tableArn] }),
        new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [transferArn, migrationArn] }),
      ],
      environment: {
        [HANDLER_ENVIRONMENT.startRequestTableName]: this.table.tableName,
        [HANDLER_ENVIRONMENT.transferStateMachineArn]: transferArn,
        [HANDLER_ENVIRONMENT.migrationStateMachineArn]: migrationArn,
      },
    });
    this.verifyFunction = new CertflowFunction(this, 'Verify', {
      entry: 'lambdas/handlers/verify-start-request.ts',
      description: 'source side: fails an execution the start API did not start with its input, and audits it',
      statements: [
        new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [this.table.tableArn] }),
        new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [props.auditTable.tableArn] }),
      ],
      environment: {
        [HANDLER_ENVIRONMENT.startRequestTableName]: this.table.tableName,
        [HANDLER_ENVIRONMENT.auditTableName]: props.auditTable.tableName,
      },
    });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_YEAR });
    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `${stackName}-start`,
      description: "certflow: starts the source's workflows for the caller's IAM identity",
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      cloudWatchRole: true,
      defaultMethodOptions: { authorizationType: apigateway.AuthorizationType.IAM },
      deployOptions: {
        stageName: 'v1',
        tracingEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: props.throttlingRateLimit ?? 10,
        throttlingBurstLimit: 2 * (props.throttlingRateLimit ?? 10),
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: apigateway.AccessLogField.contextRequestId(),
            time: apigateway.AccessLogField.contextRequestTime(),
            method: apigateway.AccessLogField.contextHttpMethod(),
            resourcePath: apigateway.AccessLogField.contextResourcePath(),
            status: apigateway.AccessLogField.contextStatus(),
            sourceIp: apigateway.AccessLogField.contextIdentitySourceIp(),
            caller: apigateway.AccessLogField.contextIdentityUserArn(),
          }),
        ),
      },
    });
    this.api.root
      .addResource(START_ROUTE.workflows)
      .addResource(START_ROUTE.workflow)
      .addResource(START_ROUTE.executions)
      .addMethod('POST', new apigateway.LambdaIntegration(this.startFunction.function), {
        authorizationType: apigateway.AuthorizationType.IAM,
      });
    this.url = this.api.url;
    Validations.of(this.api).acknowledge(
      { id: 'AwsSolutions-COG4', reason: "IAM authorization: the requester is the caller's AWS identity (SigV4), not a Cognito user" },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          "A WAF web ACL is the account's choice (attach the organisation's ACL to the stage); every call is SigV4-signed and the stage is throttled",
      },
      {
        id: 'AwsSolutions-APIG2',
        reason: 'The start function validates the body itself and answers 400 naming the field and rule; API Gateway models add nothing',
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: "API Gateway's account-level logging role; AWS documents this managed policy for it",
      },
    );
  }

  /**
   * Lets `grantee` (the operators' role, an IAM Identity Center permission set's role) start
   * workflows: execute-api:Invoke on the one method. Callers in this account need such an
   * identity-based grant; the API has no resource policy.
   */
  grantStart(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [
        this.api.arnForExecuteApi('POST', `/${START_ROUTE.workflows}/*/${START_ROUTE.executions}`, this.api.deploymentStage.stageName),
      ],
    });
  }

  /**
   * The step a workflow people start runs FIRST: reads the start request of
   * `$$.StateMachine.Id` + `$$.Execution.Name` and checks that the hash of `$$.Execution.Input`
   * and its requestedBy / requestedByArn match it. Otherwise it writes a RequestUnverified audit
   * row and fails with UnverifiedRequest, which is not retried: give it no Catch that carries
   * on. Its result is discarded (the state is handed on unchanged). Add its function to the
   * workflow's `functions`; the state machine's name must be one this construct was told.
   */
  verifyStep(scope: Construct, id: string, props: StartRequestVerifyStepProps = {}): tasks.LambdaInvoke {
    const step = lambdaStep(scope, id, {
      fn: this.verifyFunction.function,
      payload: {
        executionId: sfn.JsonPath.executionId,
        executionName: sfn.JsonPath.executionName,
        stateMachineArn: sfn.JsonPath.stateMachineId,
        input: sfn.JsonPath.objectAt('$$.Execution.Input'),
      },
      resultPath: sfn.JsonPath.DISCARD,
      comment: props.comment ?? 'Check that the start API recorded this execution and its input',
    });
    step.addRetry({
      errors: [START_REQUEST_STORE_UNAVAILABLE],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 6,
      maxDelay: Duration.seconds(30),
      jitterStrategy: sfn.JitterType.FULL,
    });
    return step;
  }
}
