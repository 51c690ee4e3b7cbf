import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { serveApprovalPage } from '../approvals/approval-page-routes';
import { approvalLinkSigner, approvalStore, sfn } from './approval-runtime';
import { logger } from './lambda-runtime';

/** API Gateway proxy handler of the approval page. The query string holds a signed link: never logged. */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined) query.set(name, value);
  const rawBody = event.body ?? '';
  const form = new URLSearchParams(event.isBase64Encoded ? Buffer.from(rawBody, 'base64').toString('utf8') : rawBody);
  const response = await serveApprovalPage(
    { store: approvalStore(), sfn, signer: await approvalLinkSigner() },
    { method: event.httpMethod, path: event.path, query, form },
  );
  logger.info('approval page served', { method: event.httpMethod, statusCode: response.statusCode });
  return response;
}
