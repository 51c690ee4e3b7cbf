import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { htmlResponse, serviceUnavailablePage } from '../approvals/approval-page';
import { serveApprovalPage } from '../approvals/approval-page-routes';
import { ApproverInbox } from '../approvals/approver-inbox';
import { S3MigrationObjects } from '../migration/migration-objects';
import { approvalLinkSigner, approvalStore, sfnClient } from './approval-runtime';
import { HANDLER_ENVIRONMENT, requiredEnvironment } from './handler-environment';
import { dynamoDbClient, logger, tracedClient } from './lambda-runtime';

/** Optional: who approvers should contact when a link fails (a team address), shown on the error pages. */
const APPROVAL_CONTACT = 'APPROVAL_CONTACT';

let containerMigrationObjects: S3MigrationObjects | undefined;

/** The side's migration bucket, where a migration's certificate list is; none when the deployment names no bucket. */
function migrationObjects(): S3MigrationObjects | undefined {
  const bucket = process.env[HANDLER_ENVIRONMENT.migrationBucketName];
  if (!bucket) return undefined;
  containerMigrationObjects ??= new S3MigrationObjects(tracedClient(new S3Client({})), bucket);
  return containerMigrationObjects;
}

/** API Gateway proxy handler of the approval page and the approver inbox. The query string holds a signed link: never logged. */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined) query.set(name, value);
  const rawBody = event.body ?? '';
  const form = new URLSearchParams(event.isBase64Encoded ? Buffer.from(rawBody, 'base64').toString('utf8') : rawBody);
  try {
    const response = await serveApprovalPage(
      {
        store: approvalStore(),
        sfn: sfnClient(),
        signer: await approvalLinkSigner(),
        inbox: new ApproverInbox(dynamoDbClient(), requiredEnvironment(HANDLER_ENVIRONMENT.approvalTableName)),
        contact: process.env[APPROVAL_CONTACT] || undefined,
        migrationObjects: migrationObjects(),
      },
      { method: event.httpMethod, path: event.path, query, form },
    );
    logger.info('approval page served', { method: event.httpMethod, resource: event.resource, statusCode: response.statusCode });
    return response;
  } catch (error) {
    // A dependency failed (DynamoDB, Secrets Manager, Step Functions, S3): nothing was decided; say so.
    logger.error('approval page failed', { method: event.httpMethod, resource: event.resource, error });
    return htmlResponse(serviceUnavailablePage());
  }
}
