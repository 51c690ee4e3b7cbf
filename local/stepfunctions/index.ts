export { StepFunctionsEngine, type ExecutionDescription, type StepFunctionsEngineOptions } from './stepfunctions-engine';
export { startStepFunctionsEndpoint, type StepFunctionsEndpoint } from './stepfunctions-endpoint';
export { StepFunctionsApiError, StatesError } from './stepfunctions-errors';
export { type LambdaInvoker } from './lambda-integration';
export { type MapRunObjectStore } from './distributed-map';
