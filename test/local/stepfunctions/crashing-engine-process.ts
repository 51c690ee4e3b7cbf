/**
 * The engine in a process of its own, for the crash tests: it starts one approval execution
 * on the data folder given as argument, serves the JSON API, and prints one JSON line with
 * its port, the execution and the task token once the task waits. The test then kills it.
 */
import { StepFunctionsEngine, startStepFunctionsEndpoint } from '../../../local/stepfunctions';
import { APPROVAL_DEFINITION, deploy, eventually, functionArn, REGION } from './state-machine-fixtures';

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  if (!dataDir) throw new Error('usage: crashing-engine-process <dataDir>');
  const engine = new StepFunctionsEngine({ region: REGION, timeScale: 1, dataDir });
  let taskToken: string | undefined;
  engine.registerLambdaFunction(functionArn('request-approval'), async (event) => {
    taskToken = (event as { taskToken: string }).taskToken;
    return { notified: true };
  });
  const arn = deploy(engine, 'approval', APPROVAL_DEFINITION);
  const endpoint = await startStepFunctionsEndpoint(engine, { port: 0 });
  const { executionArn } = engine.startExecution({ stateMachineArn: arn, name: 'crash-1', input: '{"certificateId":"c-1"}' });
  await eventually('the task to wait for its token', () =>
    engine.getExecutionHistory({ executionArn }).events.some((event) => event.type === 'TaskSubmitted') ? taskToken : undefined,
  );
  process.stdout.write(`${JSON.stringify({ url: endpoint.url, executionArn, taskToken })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
