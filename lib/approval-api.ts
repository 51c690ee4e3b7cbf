import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CERTIFICATE_LIST_PATH_SUFFIX } from '../lambdas/approvals/approval-page';
import { INBOX_PATH_SUFFIX, PENDING_INDEX } from '../lambdas/approvals/approver-inbox';
import { HANDLER_ENVIRONMENT } from '../lambdas/handlers/handler-environment';
import { CertflowFunction } from './certflow-function';
import type { MigrationStorage } from './migration-storage';
import { acknowledgeWildcard } from './wildcard-acknowledgements';

export interface ApprovalApiProps {
  /** The approval requests the page reads and decides. */
  readonly approvalTable: dynamodb.ITable;
  /** The HMAC key the links are signed with. */
  readonly signingKey: secretsmanager.ISecret;
}

/** The path of the approval page under the API's stage. */
export const APPROVAL_PAGE_PATH = 'approval';
/** The approver inbox, below the approval page: `/approval/inbox`. */
const INBOX_PATH_PART = INBOX_PATH_SUFFIX.slice(1);
/** A migration's certificates as CSV, below the approval page: `/approval/certificates.csv`. */
const CERTIFICATE_LIST_PATH_PART = CERTIFICATE_LIST_PATH_SUFFIX.slice(1);

/**
 * The approval page behind API Gateway: GET shows a request, POST decides it. Links are
 * signed, so the page has no other authorizer. Access logs leave out query strings: a
 * signed link must not end up in a log.
 */
export class ApprovalApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly pageFunction: CertflowFunction;
  /** The page's URL; notifications link to it with signed query parameters. */
  readonly pageUrl: string;

  constructor(scope: Construct, id: string, props: ApprovalApiProps) {
    super(scope, id);
    this.pageFunction = new CertflowFunction(this, 'Page', {
      entry: 'lambdas/handlers/approval-page.ts',
      description: 'serves the approval page: GET shows a request, POST decides it',
      timeout: Duration.seconds(15),
      statements: [
        new iam.PolicyStatement({
          actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
          resources: [props.approvalTable.tableArn],
        }),
        // The approver inbox: a Query of the status index only.
        new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${props.approvalTable.tableArn}/index/${PENDING_INDEX}`] }),
        new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.signingKey.secretArn] }),
      ],
      environment: {
        [HANDLER_ENVIRONMENT.approvalTableName]: props.approvalTable.tableName,
        [HANDLER_ENVIRONMENT.signingKeySecretArn]: props.signingKey.secretArn,
      },
    });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_YEAR });
    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `${Stack.of(this).stackName}-approvals`,
      description: 'certflow approval page',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      cloudWatchRole: true,
      deployOptions: {
        stageName: 'v1',
        tracingEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: 20,
        throttlingBurstLimit: 40,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: apigateway.AccessLogField.contextRequestId(),
            time: apigateway.AccessLogField.contextRequestTime(),
            method: apigateway.AccessLogField.contextHttpMethod(),
            resourcePath: apigateway.AccessLogField.contextResourcePath(),
            status: apigateway.AccessLogField.contextStatus(),
            sourceIp: apigateway.AccessLogField.contextIdentitySourceIp(),
          }),
        ),
      },
    });
    const page = this.api.root.addResource(APPROVAL_PAGE_PATH);
    const integration = new apigateway.LambdaIntegration(this.pageFunction.function);
    page.addMethod('GET', integration);
    page.addMethod('POST', integration);
    page.addResource(INBOX_PATH_PART).addMethod('GET', integration);
    page.addResource(CERTIFICATE_LIST_PATH_PART).addMethod('GET', integration);
    this.pageUrl = this.api.urlForPath(`/${APPROVAL_PAGE_PATH}`);
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Approvers have no AWS identity: each link is HMAC-signed for one approver and one request, expires with the request and works once',
      },
      { id: 'AwsSolutions-COG4', reason: 'No Cognito user pool: approval links are signed per approver (see APIG4)' },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          "A WAF web ACL is the account's choice (attach the organisation's ACL to the stage); the stage is throttled and every link is signed",
      },
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'The page function validates the signed link and the form itself and answers a page naming the field; API Gateway models add nothing',
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: "API Gateway's account-level logging role; AWS documents this managed policy for it",
      },
    );
  }

  /**
   * Lets the page read the certificate lists of this side's migrations (GetObject under
   * `migrations/` of its bucket only), which it offers as CSV behind the approval link.
   */
  serveCertificateListsFrom(storage: MigrationStorage): void {
    this.pageFunction.function.addEnvironment(HANDLER_ENVIRONMENT.migrationBucketName, storage.bucket.bucketName);
    this.pageFunction.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [storage.filesArn] }));
    acknowledgeWildcard(this.pageFunction, storage.filesArn, {
      actions: ['s3:GetObject'],
      reason:
        "A migration's certificate list is keyed by its migration id and run name, known only at run time; GetObject only, under migrations/ in this side's own migration bucket",
    });
  }

  /** Lets the page complete or fail the approval tasks of these workflows. */
  allowDecisionsFor(stateMachineArn: string): void {
    this.pageFunction.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
        resources: [stateMachineArn],
      }),
    );
  }
}
