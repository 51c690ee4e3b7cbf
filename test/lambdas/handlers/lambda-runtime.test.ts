import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { S3Client } from '@aws-sdk/client-s3';
import { HANDLER_ENVIRONMENT } from '../../../lambdas/handlers/handler-environment';
import type * as LambdaRuntimeModule from '../../../lambdas/handlers/lambda-runtime';
import type * as MigrationRuntimeModule from '../../../lambdas/handlers/migration-runtime';

type LambdaRuntime = typeof LambdaRuntimeModule;
type MigrationRuntime = typeof MigrationRuntimeModule;

const XRAY_MIDDLEWARE = 'XRaySDKInstrumentation';
const middlewareOf = (client: { middlewareStack: { identify(): string[] } }) => client.middlewareStack.identify().join(' ');

const restoreEnvironment: Array<() => void> = [];

/** Loads the runtimes as a fresh container would (new module instances), with `environment` set until the test ends. */
function freshContainer(environment: Record<string, string>): {
  runtime: LambdaRuntime;
  migration: MigrationRuntime;
  created: () => string[];
} {
  const saved = Object.fromEntries(Object.keys(environment).map((name) => [name, process.env[name]]));
  Object.assign(process.env, environment);
  const before = { iot: IoTClient.prototype.send, dynamodb: DynamoDBClient.prototype.send };
  let runtime: LambdaRuntime | undefined;
  let migration: MigrationRuntime | undefined;
  const created: string[] = [];
  jest.isolateModules(() => {
    // Count constructions: each client class is wrapped before the runtimes import it.
    for (const [moduleName, className] of [
      ['@aws-sdk/client-iot', 'IoTClient'],
      ['@aws-sdk/client-dynamodb', 'DynamoDBClient'],
      ['@aws-sdk/client-s3', 'S3Client'],
    ] as const) {
      jest.doMock(moduleName, () => {
        const actual = jest.requireActual<Record<string, new (config: object) => object>>(moduleName);
        const Actual = actual[className];
        if (!Actual) throw new Error(`${moduleName} has no ${className}`);
        class Counted extends Actual {
          constructor(config: object) {
            super(config);
            created.push(className);
          }
        }
        return { ...actual, [className]: Counted };
      });
    }
    runtime = jest.requireActual<LambdaRuntime>('../../../lambdas/handlers/lambda-runtime');
    migration = jest.requireActual<MigrationRuntime>('../../../lambdas/handlers/migration-runtime');
  });
  restoreEnvironment.push(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  expect(IoTClient.prototype.send).toBe(before.iot);
  expect(DynamoDBClient.prototype.send).toBe(before.dynamodb);
  if (!runtime || !migration) throw new Error('the runtimes did not load');
  return { runtime, migration, created: () => [...created].sort() };
}

const ENVIRONMENT = {
  [HANDLER_ENVIRONMENT.accountId]: '111111111111',
  [HANDLER_ENVIRONMENT.auditTableName]: 'audit',
  [HANDLER_ENVIRONMENT.migrationBucketName]: 'migrations',
  [HANDLER_ENVIRONMENT.migrationProgressTableName]: 'progress',
  [HANDLER_ENVIRONMENT.iotRequestsPerSecond]: '10',
};

afterEach(() => {
  for (const restore of restoreEnvironment.splice(0)) restore();
  jest.dontMock('@aws-sdk/client-iot');
  jest.dontMock('@aws-sdk/client-dynamodb');
  jest.dontMock('@aws-sdk/client-s3');
});

describe('the clients of a Lambda container', () => {
  it('creates a client only when a step first uses it, and only once per container', () => {
    const { runtime, created } = freshContainer(ENVIRONMENT);
    // The deprecated `iot` constant is still created on load until its last two importers move to iotClient().
    const onLoad = created();
    expect(onLoad.filter((name) => name !== 'IoTClient')).toEqual([]);

    const deps = runtime.certificateStepDeps();
    void deps.iot;
    expect(created()).toEqual(['IoTClient']);
    expect(deps.auditTrail).toBe(runtime.certificateStepDeps().auditTrail);
    expect(runtime.iotClient()).toBe(deps.iot);
    expect(runtime.dynamoDbClient()).toBe(runtime.dynamoDbClient());
    expect(created()).toEqual(['DynamoDBClient', 'IoTClient']);
  });

  it('gives a migration step only the clients it touches: files and progress create no IoT client', () => {
    const { migration, created } = freshContainer(ENVIRONMENT);
    const onLoad = created();
    const deps = migration.migrationStepDeps();
    void deps.objects;
    void deps.progress;
    expect(created()).toEqual([...onLoad, 'DynamoDBClient', 'S3Client'].sort());
    expect(deps.iot).toBe(migration.migrationStepDeps().iot);
    // The migration's IoT client is its own, paced one, not lambda-runtime's.
    expect(middlewareOf(deps.iot)).toContain('certflowRequestPacing');
    expect(created().filter((name) => name === 'IoTClient').length).toBe(onLoad.filter((name) => name === 'IoTClient').length + 1);
  });

  it('says which setting is wrong when the IoT quota is not a positive number, on first use of IoT only', () => {
    const { migration } = freshContainer({ ...ENVIRONMENT, [HANDLER_ENVIRONMENT.iotRequestsPerSecond]: '0' });
    const deps = migration.migrationStepDeps();
    expect(() => deps.objects).not.toThrow();
    expect(() => deps.iot).toThrow(`environment variable ${HANDLER_ENVIRONMENT.iotRequestsPerSecond} must be a number above 0`);
  });

  it('names denied permissions on every client it creates', () => {
    const { runtime, migration } = freshContainer(ENVIRONMENT);
    for (const client of [runtime.iotClient(), runtime.dynamoDbClient(), migration.migrationStepDeps().iot]) {
      expect(middlewareOf(client)).toContain('certflowDeniedPermissionNaming');
    }
  });
});

describe('X-Ray tracing of the clients', () => {
  it('leaves clients untouched outside Lambda, where there is no X-Ray daemon (the sandbox, the tests)', () => {
    const { runtime } = freshContainer({ ...ENVIRONMENT, AWS_EXECUTION_ENV: '' });
    expect(middlewareOf(runtime.iotClient())).not.toContain(XRAY_MIDDLEWARE);
    expect(middlewareOf(runtime.tracedClient(new S3Client({})))).not.toContain(XRAY_MIDDLEWARE);
  });

  it('instruments every client on Lambda, unless POWERTOOLS_TRACE_ENABLED is false', () => {
    const onLambda = freshContainer({ ...ENVIRONMENT, AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' });
    expect(middlewareOf(onLambda.runtime.iotClient())).toContain(XRAY_MIDDLEWARE);
    expect(middlewareOf(onLambda.runtime.dynamoDbClient())).toContain(XRAY_MIDDLEWARE);
    expect(middlewareOf(onLambda.migration.migrationStepDeps().iot)).toContain(XRAY_MIDDLEWARE);

    const switchedOff = freshContainer({ ...ENVIRONMENT, AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', POWERTOOLS_TRACE_ENABLED: 'false' });
    expect(middlewareOf(switchedOff.runtime.iotClient())).not.toContain(XRAY_MIDDLEWARE);
  });
});
