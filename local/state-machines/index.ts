export { StepFunctionsEngine, type StepFunctionsEngineOptions } from './step-functions-engine';
export { startStepFunctionsEndpoint, type StepFunctionsEndpoint } from './step-functions-endpoint';
