import type { AwsCredentialIdentity, Provider } from '@smithy/types';
import type { StartableWorkflow } from '../lambdas/start-requests/start-request-rules';
import type { StartedExecution } from '../lambdas/start-requests/workflow-start';
import { executeApiSigner } from './sigv4-signing';

export interface StartWorkflowExecutionOptions {
  /** The start API's stage URL: the source stack's StartApiUrl output (a sandbox URL works too). */
  apiUrl: string;
  region: string;
  /** Whose request it is: the requester is this identity, as API Gateway verifies the signature. */
  credentials: AwsCredentialIdentity | Provider<AwsCredentialIdentity>;
  workflow: StartableWorkflow;
  /** The execution name. @default one the API chooses (a UUID) */
  name?: string;
  /** The workflow's input, without requestedBy / requestedByArn (the API sets them; it refuses an input that has them). */
  input: Record<string, unknown>;
}

/** The start API answered other than 200: its status and the field and message it named. */
export class StartRequestRefused extends Error {
  override readonly name = 'StartRequestRefused';

  constructor(
    readonly statusCode: number,
    readonly field: string | undefined,
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Starts a source-side workflow through the IAM-authorized start API: a SigV4-signed
 * `POST {apiUrl}/workflows/{workflow}/executions` with `{ name?, input }`. Answers what the
 * API answered: the execution and the requester it derived from the credentials.
 */
export async function startWorkflowExecution(options: StartWorkflowExecutionOptions): Promise<StartedExecution> {
  const url = new URL(`workflows/${options.workflow}/executions`, options.apiUrl.endsWith('/') ? options.apiUrl : `${options.apiUrl}/`);
  const body = JSON.stringify({ ...(options.name === undefined ? {} : { name: options.name }), input: options.input });
  const signed = await executeApiSigner(options.credentials, options.region).sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query: {},
    headers: { host: url.host, 'content-type': 'application/json' },
    body,
  });
  const response = await fetch(url, { method: 'POST', headers: signed.headers, body });
  const text = await response.text();
  let answer: Record<string, unknown> = {};
  try {
    answer = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new StartRequestRefused(
      response.status,
      undefined,
      `the start API answered ${response.status} with no JSON: ${text.slice(0, 200)}`,
      {
        cause: error,
      },
    );
  }
  if (!response.ok) {
    const message = typeof answer.message === 'string' ? answer.message : text.slice(0, 200);
    throw new StartRequestRefused(response.status, typeof answer.field === 'string' ? answer.field : undefined, message);
  }
  return answer as unknown as StartedExecution;
}
