import { requesterOf } from '../../lambdas/start-requests/caller-identity';
import { canonicalJson, sha256Hex } from '../../lambdas/start-requests/start-request-rules';
import { startRequestId, type StartRequestStore } from '../../lambdas/start-requests/start-request-store';

/**
 * Records the start request the start API would record for `callerArn` starting `input` as
 * `executionName`, and answers the exact input string the API would then send to
 * StartExecution: for a test that must call StartExecution itself (a restart window in which
 * the start API is not served yet, an input swapped after the request was recorded).
 */
export async function recordStartRequest(
  store: StartRequestStore,
  options: { stateMachineArn: string; executionName: string; callerArn: string; input: Record<string, unknown> },
): Promise<string> {
  const requester = requesterOf({ userArn: options.callerArn });
  const input = canonicalJson({ ...options.input, ...requester });
  await store.create({
    startRequestId: startRequestId(options.stateMachineArn, options.executionName),
    stateMachineArn: options.stateMachineArn,
    executionName: options.executionName,
    callerArn: options.callerArn,
    requestedBy: requester.requestedBy,
    inputSha256: sha256Hex(input),
    createdAt: new Date().toISOString(),
  });
  return input;
}
