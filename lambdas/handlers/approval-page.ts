import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { htmlResponse } from '../approvals/approval-page';
import { serveApprovalPage } from '../approvals/approval-page-routes';
import { approvalLinkSigner, approvalStore, sfn } from './approval-runtime';
import { logger } from './lambda-runtime';

/** API Gateway proxy handler of the approval page. The query string holds a signed link: never logged. */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined) query.set(name, value);
  const rawBody = event.body ?? '';
  const form = new URLSearchParams(event.isBase64Encoded ? Buffer.from(rawBody, 'base64').toString('utf8') : rawBody);
  try {
    const response = await serveApprovalPage(
      { store: approvalStore(), sfn, signer: await approvalLinkSigner() },
      { method: event.httpMethod, path: event.path, query, form },
    );
    logger.info('approval page served', { method: event.httpMethod, statusCode: response.statusCode });
    return response;
  } catch (error) {
    // A dependency failed (DynamoDB, Secrets Manager, Step Functions): nothing was decided; say so.
    logger.error('approval page failed', { method: event.httpMethod, errorName: error instanceof Error ? error.name : 'Unknown' });
    return htmlResponse({ statusCode: 503, title: 'Please try again', body: '<p>certflow could not reach its services. Nothing was decided; open the link again in a minute.</p>' });
  }
}
