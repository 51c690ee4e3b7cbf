import { StepFunctionsApiError } from './states-error';

type Json = unknown;

export interface RetryRule {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

export interface CatchRule {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}

export interface StateDefinition {
  Type: 'Task' | 'Choice' | 'Wait' | 'Pass' | 'Parallel' | 'Map' | 'Succeed' | 'Fail';
  Next?: string;
  End?: boolean;
  Comment?: string;
  InputPath?: string | null;
  OutputPath?: string | null;
  Parameters?: Json;
  ItemSelector?: Json;
  ResultSelector?: Json;
  ResultPath?: string | null;
  Result?: Json;
  Resource?: string;
  Retry?: RetryRule[];
  Catch?: CatchRule[];
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  HeartbeatSecondsPath?: string;
  Choices?: Array<Record<string, Json>>;
  Default?: string;
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  Error?: string;
  Cause?: string;
  ErrorPath?: string;
  CausePath?: string;
  Branches?: MachineDefinition[];
  Iterator?: MachineDefinition;
  ItemProcessor?: MachineDefinition & { ProcessorConfig?: { Mode?: string } };
  ItemsPath?: string;
  ItemReader?: Json;
  MaxConcurrency?: number;
}

export interface MachineDefinition {
  StartAt: string;
  States: Record<string, StateDefinition>;
  TimeoutSeconds?: number;
  QueryLanguage?: string;
  Comment?: string;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };

/**
 * Parses and checks a definition as CreateStateMachine would: valid ASL (asl-validator),
 * and only what this interpreter runs faithfully. JSONata is refused rather than mis-run.
 */
export function parseDefinition(text: string): MachineDefinition {
  let definition: MachineDefinition;
  try {
    definition = JSON.parse(text) as MachineDefinition;
  } catch {
    throw new StepFunctionsApiError('InvalidDefinition', 'Invalid State Machine Definition: the definition is not valid JSON');
  }
  const validation = aslValidator(definition);
  if (!validation.isValid) throw new StepFunctionsApiError('InvalidDefinition', `Invalid State Machine Definition: ${validation.errorsText('; ')}`);
  const refuse = (machine: MachineDefinition): void => {
    if (machine.QueryLanguage === 'JSONata') throw new StepFunctionsApiError('InvalidDefinition', 'This local engine runs JSONPath definitions only; QueryLanguage JSONata is not supported');
    for (const [name, state] of Object.entries(machine.States)) {
      if ((state as { QueryLanguage?: string }).QueryLanguage === 'JSONata') throw new StepFunctionsApiError('InvalidDefinition', `State ${name}: JSONata is not supported by this local engine`);
      if (state.Type === 'Map' && (state.ItemReader || state.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED')) {
        throw new StepFunctionsApiError('InvalidDefinition', `State ${name}: a Distributed Map is not supported by this local engine`);
      }
      for (const branch of state.Branches ?? []) refuse(branch);
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor) refuse(processor);
    }
  };
  refuse(definition);
  return definition;
}
