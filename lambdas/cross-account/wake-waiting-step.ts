import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';

/** Step Functions' answers for a token whose task is over: a duplicate or late message, nothing to wake. */
const TASK_OVER_ERRORS = ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'];

/**
 * Wakes the workflow step waiting for a peer's message. The step reads what arrived from
 * its own side's record (which only this side writes), never from this callback's output,
 * so a callback forged with a token read from the execution history proves nothing.
 */
export async function wakeWaitingStep(sfn: SFNClient, taskToken: string): Promise<'woken' | 'task-over'> {
  try {
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{"messageRecorded":true}' }));
    return 'woken';
  } catch (error) {
    if (error instanceof Error && TASK_OVER_ERRORS.includes(error.name)) return 'task-over';
    throw error;
  }
}
