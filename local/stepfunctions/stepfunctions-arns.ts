import { StepFunctionsApiError } from './stepfunctions-errors';

const STATE_MACHINE_ARN = /^arn:aws[a-zA-Z-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([^:]+)$/;
const EXECUTION_ARN = /^arn:aws[a-zA-Z-]*:states:([a-z0-9-]+):(\d{12}):execution:([^:]+):([^:]+)$/;
/** Whitespace, brackets, wildcards, the listed special characters, and control characters. */
const FORBIDDEN_NAME_CHARACTERS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

export interface StateMachineArnParts {
  region: string;
  accountId: string;
  name: string;
}

export interface ExecutionArnParts extends StateMachineArnParts {
  executionName: string;
}

export function parseStateMachineArn(arn: string): StateMachineArnParts {
  const match = STATE_MACHINE_ARN.exec(arn);
  if (!match) throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
  return { region: match[1] as string, accountId: match[2] as string, name: match[3] as string };
}

export function parseExecutionArn(arn: string): ExecutionArnParts {
  const match = EXECUTION_ARN.exec(arn);
  if (!match) throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
  return { region: match[1] as string, accountId: match[2] as string, name: match[3] as string, executionName: match[4] as string };
}

export function executionArnOf(stateMachineArn: string, executionName: string): string {
  const { region, accountId, name } = parseStateMachineArn(stateMachineArn);
  return `arn:aws:states:${region}:${accountId}:execution:${name}:${executionName}`;
}

/** StartExecution's name rules: 1–80 characters, none of the forbidden ones. */
export function assertValidExecutionName(name: string): void {
  if (name.length < 1 || name.length > 80)
    throw new StepFunctionsApiError('InvalidName', `Invalid Name: '${name}' (the name must be 1 to 80 characters)`);
  if (FORBIDDEN_NAME_CHARACTERS.test(name)) {
    throw new StepFunctionsApiError(
      'InvalidName',
      `Invalid Name: '${name}' (no whitespace, brackets, wildcards, special characters " # % \\ ^ | ~ \` $ & , ; : / or control characters)`,
    );
  }
}
