import aslValidator from 'asl-validator';
import { type ChoiceRule } from './choice-rules';
import { definitionProblems, forSchemaValidation } from './definition-checks';
import { unsupportedDistributedMapFeature } from './distributed-map';
import { isJsonObject, type Json, type JsonObject } from './json-value';
import { type Catcher, type Retrier } from './retry-policy';
import { StepFunctionsApiError } from './stepfunctions-errors';

export type StateType = 'Task' | 'Pass' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Parallel' | 'Map';

/** A workflow: the top-level definition, a Parallel branch or a Map's item processor. */
export interface StatesBlock {
  StartAt: string;
  States: Record<string, StateDefinition>;
}

/** One state of a JSONPath definition; which fields apply depends on Type. */
export interface StateDefinition {
  Type: StateType;
  Comment?: string;
  Next?: string;
  End?: boolean;
  InputPath?: string | null;
  OutputPath?: string | null;
  Parameters?: Json;
  ResultSelector?: Json;
  ResultPath?: string | null;
  Result?: Json;
  Retry?: Retrier[];
  Catch?: Catcher[];
  // Task
  Resource?: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  HeartbeatSecondsPath?: string;
  // Choice
  Choices?: ChoiceRule[];
  Default?: string;
  // Wait
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  // Fail
  Error?: string;
  ErrorPath?: string;
  Cause?: string;
  CausePath?: string;
  // Parallel
  Branches?: StatesBlock[];
  // Map
  ItemsPath?: string;
  ItemSelector?: Json;
  ItemProcessor?: StatesBlock & { ProcessorConfig?: { Mode?: 'INLINE' | 'DISTRIBUTED'; ExecutionType?: string } };
  Iterator?: StatesBlock;
  MaxConcurrency?: number;
  MaxConcurrencyPath?: string;
  ItemReader?: Json;
  ItemBatcher?: Json;
  ResultWriter?: Json;
  ToleratedFailurePercentage?: number;
  ToleratedFailurePercentagePath?: string;
  ToleratedFailureCount?: number;
  ToleratedFailureCountPath?: string;
  Label?: string;
}

export interface StateMachineDefinition extends StatesBlock {
  Comment?: string;
  TimeoutSeconds?: number;
  Version?: string;
  QueryLanguage?: 'JSONPath' | 'JSONata';
}

const validated = new Map<string, StateMachineDefinition>();

/**
 * Parses and checks a definition. Only the JSONPath dialect runs here: a definition that
 * asks for JSONata (or uses variables) is refused now rather than mis-run later.
 */
export function parseStateMachineDefinition(definition: string): StateMachineDefinition {
  const cached = validated.get(definition);
  if (cached) return cached;
  let parsed: unknown;
  try {
    parsed = JSON.parse(definition);
  } catch (error) {
    throw new StepFunctionsApiError(
      'InvalidDefinition',
      `Invalid State Machine Definition: the definition is not JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (!isJsonObject(parsed as Json))
    throw new StepFunctionsApiError('InvalidDefinition', 'Invalid State Machine Definition: the definition must be a JSON object');
  rejectUnsupportedDialect(parsed as JsonObject, '');
  const result = aslValidator(forSchemaValidation(parsed as JsonObject), { checkArn: false, checkPaths: true });
  if (!result.isValid) {
    const problems = result.errors.map((error) => `${error['Error code']}: ${error.Message}`).join('; ');
    throw new StepFunctionsApiError('InvalidDefinition', `Invalid State Machine Definition: ${problems}`);
  }
  const problems = definitionProblems(parsed as JsonObject);
  if (problems.length > 0) throw new StepFunctionsApiError('InvalidDefinition', `Invalid State Machine Definition: ${problems.join('; ')}`);
  const machine = parsed as unknown as StateMachineDefinition;
  rejectUnsupportedDistributedMaps(machine);
  if (validated.size > 1000) validated.clear();
  validated.set(definition, machine);
  return machine;
}

function rejectUnsupportedDialect(node: JsonObject, where: string): void {
  if (node.QueryLanguage === 'JSONata') {
    throw new StepFunctionsApiError(
      'InvalidDefinition',
      `Invalid State Machine Definition: ${where || 'the state machine'} declares QueryLanguage JSONata; the local Step Functions engine runs only the JSONPath dialect`,
    );
  }
  for (const field of ['Assign', 'Arguments', 'Output']) {
    if (where && field in node) {
      throw new StepFunctionsApiError(
        'InvalidDefinition',
        `Invalid State Machine Definition: ${where} uses '${field}' (variables / JSONata), which the local Step Functions engine does not support`,
      );
    }
  }
  const states = node.States;
  if (!isJsonObject(states)) return;
  for (const [name, state] of Object.entries(states)) {
    if (!isJsonObject(state)) continue;
    const path = `state '${name}'`;
    rejectUnsupportedDialect(state, path);
    for (const branch of Array.isArray(state.Branches) ? state.Branches : [])
      if (isJsonObject(branch)) rejectUnsupportedDialect(branch, `a branch of ${path}`);
    for (const processor of [state.ItemProcessor, state.Iterator])
      if (isJsonObject(processor)) rejectUnsupportedDialect(processor, `the item processor of ${path}`);
  }
}

/** Refuses, at CreateStateMachine, a Distributed Map that reads or writes something this engine cannot. */
function rejectUnsupportedDistributedMaps(block: StatesBlock): void {
  for (const [name, state] of Object.entries(block.States)) {
    if (state.Type === 'Map' && isDistributedMap(state)) {
      const problem = unsupportedDistributedMapFeature(state);
      if (problem)
        throw new StepFunctionsApiError(
          'InvalidDefinition',
          `Invalid State Machine Definition: the Distributed Map state '${name}' cannot run on the local Step Functions engine: ${problem}`,
        );
    }
    for (const branch of state.Branches ?? []) rejectUnsupportedDistributedMaps(branch);
    const processor = state.ItemProcessor ?? state.Iterator;
    if (processor) rejectUnsupportedDistributedMaps(processor);
  }
}

/** True for a Map state in Distributed mode (ItemReader, ResultWriter or ProcessorConfig.Mode DISTRIBUTED). */
export function isDistributedMap(state: StateDefinition): boolean {
  return (
    state.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED' ||
    state.ItemReader !== undefined ||
    state.ResultWriter !== undefined ||
    state.ItemBatcher !== undefined
  );
}
