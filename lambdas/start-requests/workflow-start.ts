import { randomUUID } from 'node:crypto';
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { requesterOf, type CallerIdentity, type Requester } from './caller-identity';
import { StartRequestConflict } from './start-request-errors';
import { canonicalJson, sha256Hex, type StartableWorkflow, type StartRequestBody } from './start-request-rules';
import { startRequestId, type StartRequestStore } from './start-request-store';

export interface StartWorkflowDeps {
  sfn: SFNClient;
  store: StartRequestStore;
  /** The state machine ARN of each workflow the API starts. */
  stateMachines: Record<StartableWorkflow, string>;
  now?: () => Date;
  /** The name of an execution the caller did not name. @default a random UUID */
  newExecutionName?: () => string;
}

export interface StartedExecution extends Requester {
  executionArn: string;
  /** ISO 8601. */
  startDate: string;
}

/**
 * Starts a workflow for the caller: the input gets the caller's identity as its requester
 * (the body may not name one), the start request is recorded first (keyed by state machine
 * and execution name, with the hash of the exact input string), then StartExecution is
 * called with that string. Starting a name again with the same input by the same caller is
 * idempotent, as StartExecution is; with another input it is a StartRequestConflict.
 */
export async function startWorkflowExecution(
  deps: StartWorkflowDeps,
  caller: CallerIdentity,
  workflow: StartableWorkflow,
  body: StartRequestBody,
): Promise<StartedExecution> {
  const requester = requesterOf(caller);
  const input = canonicalJson({ ...body.input, ...requester });
  const inputSha256 = sha256Hex(input);
  const stateMachineArn = deps.stateMachines[workflow];
  const executionName = body.name ?? deps.newExecutionName?.() ?? randomUUID();
  const id = startRequestId(stateMachineArn, executionName);
  const stored = await deps.store.create({
    startRequestId: id,
    stateMachineArn,
    executionName,
    callerArn: caller.userArn,
    requestedBy: requester.requestedBy,
    inputSha256,
    createdAt: (deps.now?.() ?? new Date()).toISOString(),
  });
  if (!stored.created && (stored.existing?.inputSha256 !== inputSha256 || stored.existing.callerArn !== caller.userArn)) {
    throw new StartRequestConflict(executionName);
  }
  let started;
  try {
    started = await deps.sfn.send(new StartExecutionCommand({ stateMachineArn, name: executionName, input }));
  } catch (error) {
    // A closed execution of that name: StartExecution refuses any input for it.
    if (error instanceof Error && error.name === 'ExecutionAlreadyExists') throw new StartRequestConflict(executionName, { cause: error });
    throw error;
  }
  return {
    executionArn: started.executionArn ?? '',
    startDate: (started.startDate ?? new Date()).toISOString(),
    ...requester,
  };
}
