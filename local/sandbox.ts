import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { SandboxDescriptor } from '../cli/cli-target';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { restApiRoutesOf, startRestApiEndpoint, type RestApiEndpoint } from './apigateway/rest-api-endpoint';
import { ensureSynthesized, PROJECT_ROOT, readSynthesizedStacks } from './cloudformation/cloud-assembly';
import { LocalStackResources } from './cloudformation/cloudformation-template';
import { createTemplateTables, startLocalDynamoDb, type LocalDynamoDb } from './dynamodb/local-dynamodb';
import { ScheduleRunner, scheduledTargetsOf, type ScheduledTarget } from './events/schedule-runner';
import { deployTemplateEvents, LocalEventBridge, startEventBridgeEndpoint } from './eventbridge';
import { startIotEndpoint, type IotEndpoint, type IotEndpointOptions } from './iot/iot-endpoint';
import { startLambdaEndpoint, type LambdaEndpoint } from './lambda/lambda-endpoint';
import { IdleEnvironments, type LocalLambdaFunction } from './lambda/local-lambda-function';
import { startTemplateFunctions } from './lambda/template-functions';
import { NotificationSink } from './notifications/notification-sink';
import { startSnsEndpoint, type SnsEndpoint } from './notifications/sns-endpoint';
import { credentialsFor, DEFAULT_ACCOUNTS, sandboxSynthContext, type SandboxAccounts } from './sandbox-accounts';
import { LocalObjectStore } from './s3/object-store';
import { startS3Endpoint } from './s3/s3-endpoint';
import { deployTemplateBuckets } from './s3/template-buckets';
import { LocalSecrets, startSecretsManagerEndpoint, type SecretsManagerEndpoint } from './secretsmanager/secrets-manager-endpoint';
import { StepFunctionsEngine, startStepFunctionsEndpoint } from './stepfunctions';

export interface SandboxPorts {
  iot: number;
  dynamodb: number;
  stepfunctions: number;
  sns: number;
  apigateway: number;
  secretsmanager: number;
  lambda: number;
  s3: number;
  /** EventBridge (the transfer messages between the accounts). */
  events: number;
}

/**
 * Idle Lambda environments the whole sandbox keeps warm, across functions. Each is a worker
 * thread of 20 to 30 MiB; a migration touches about twenty functions once, just before
 * its cutover needs fifteen busy ones.
 */
export const MAX_IDLE_ENVIRONMENTS = 12;

/** Fixed ports for `npm start`; tests pass 0 for any free port. */
export const DEFAULT_PORTS: SandboxPorts = {
  iot: 7701,
  dynamodb: 7702,
  stepfunctions: 7703,
  sns: 7704,
  apigateway: 7705,
  secretsmanager: 7706,
  lambda: 7707,
  s3: 7708,
  events: 7709,
};
export const ANY_FREE_PORTS: SandboxPorts = {
  iot: 0,
  dynamodb: 0,
  stepfunctions: 0,
  sns: 0,
  apigateway: 0,
  secretsmanager: 0,
  lambda: 0,
  s3: 0,
  events: 0,
};

/** Which account each synthesized stack is deployed into. */
export const STACK_SIDES: Record<string, keyof SandboxAccounts> = { CertflowSource: 'source', CertflowTarget: 'target' };

export interface SandboxOptions {
  host?: string;
  ports?: Partial<SandboxPorts>;
  /** Durable state goes here; everything is in memory when unset. */
  dataDir?: string;
  /** The CDK cloud assembly; synthesized first when missing or stale. */
  assemblyDir?: string;
  /** CDK context to synthesize with (e.g. short deadlines for tests). */
  context?: Record<string, string>;
  region?: string;
  accounts?: SandboxAccounts;
  /** 1 runs Wait states, retry delays, timeouts and schedules in real time; 0.001 runs them 1000 times faster. */
  timeScale?: number;
  iot?: Pick<IotEndpointOptions, 'quotas' | 'faults' | 'keyAlgorithm'>;
  /** Run the EventBridge schedules (the inbound poller, the reminder sweep). Default true. */
  schedules?: boolean;
  /** Where to write the descriptor the `certflow` CLI reads (endpoints, accounts, stack outputs). */
  descriptorFile?: string;
  /** POWERTOOLS_LOG_LEVEL for the functions. */
  functionLogLevel?: string;
  /** Where the functions' logs go; this process's stdout and stderr when unset. */
  functionLogStream?: NodeJS.WritableStream;
  log?: (line: string) => void;
}

/** One stack as deployed into one sandbox account. */
export interface DeployedStack {
  accountId: string;
  resources: LocalStackResources;
  /** The stack's outputs, resolved to sandbox values (state machine ARNs, function names, the approval page URL). */
  outputs: Record<string, string>;
}

export interface Sandbox {
  region: string;
  accounts: SandboxAccounts;
  endpoints: Record<keyof SandboxPorts, string>;
  iot: IotEndpoint;
  stepFunctions: StepFunctionsEngine;
  notifications: NotificationSink;
  /** Deployed functions by ARN. */
  functions: Map<string, LocalLambdaFunction>;
  /** Deployed stacks by stack name. */
  stacks: Record<string, DeployedStack>;
  schedules: ScheduledTarget[];
  scheduleRunner: ScheduleRunner;
  /** EventBridge: buses, rules and targets of every stack; `deliveries()` and `failedDeliveries()` list what targets got or never got. */
  events: LocalEventBridge;
  /** Invokes a deployed function by ARN, as Lambda would. */
  invoke(functionArn: string, event: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * Brings certflow up on this machine: IoT, DynamoDB (dynalite), Step Functions, SNS,
 * Secrets Manager and API Gateway endpoints on 127.0.0.1, then "deploys" the synthesized
 * stacks: CertflowSource into the source account and CertflowTarget into the target
 * account, with their tables, secrets, functions (from their bundles), state machines
 * (from their definitions), approval APIs and schedules.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1';
  const ports = { ...DEFAULT_PORTS, ...options.ports };
  const region = options.region ?? 'us-east-1';
  const accounts = options.accounts ?? DEFAULT_ACCOUNTS;
  const assemblyDir = options.assemblyDir ?? path.join(PROJECT_ROOT, 'cdk.out');
  const dataDir = options.dataDir;
  const timeScale = options.timeScale ?? 1;
  const log = options.log ?? (() => undefined);
  const stoppers: Array<() => Promise<void> | void> = [];
  const stop = async (): Promise<void> => {
    for (const stopper of stoppers.splice(0).reverse()) await stopper();
  };
  const functions = new Map<string, LocalLambdaFunction>();
  const idleEnvironments = new IdleEnvironments(MAX_IDLE_ENVIRONMENTS);
  const invoke = async (functionArn: string, event: unknown): Promise<unknown> => {
    const fn = functions.get(functionArn);
    if (!fn) throw Object.assign(new Error(`Function not found: ${functionArn}`), { name: 'ResourceNotFoundException' });
    return fn.invoke(event);
  };

  try {
    ensureSynthesized(assemblyDir, log, sandboxSynthContext(accounts, options.context));
    const synthesized = readSynthesizedStacks(assemblyDir);

    const dynamodb: LocalDynamoDb = await startLocalDynamoDb({
      host,
      port: ports.dynamodb,
      dataDir: dataDir && path.join(dataDir, 'dynamodb'),
    });
    stoppers.push(() => dynamodb.close());
    const iot = await startIotEndpoint({ host, port: ports.iot, dataDir: dataDir && path.join(dataDir, 'iot'), ...options.iot });
    stoppers.push(() => iot.close());
    const notifications = new NotificationSink({ dataDir: dataDir && path.join(dataDir, 'notifications') });
    const sns: SnsEndpoint = await startSnsEndpoint(notifications, { host, port: ports.sns });
    stoppers.push(() => sns.close());
    const secrets = new LocalSecrets({ dataDir: dataDir && path.join(dataDir, 'secretsmanager') });
    const secretsEndpoint: SecretsManagerEndpoint = await startSecretsManagerEndpoint(secrets, { host, port: ports.secretsmanager });
    stoppers.push(() => secretsEndpoint.close());
    const objectStore = new LocalObjectStore(dataDir && path.join(dataDir, 's3'));
    const s3 = await startS3Endpoint(objectStore, { host, port: ports.s3 });
    stoppers.push(() => s3.close());
    const stepFunctions = new StepFunctionsEngine({
      region,
      timeScale,
      dataDir: dataDir && path.join(dataDir, 'stepfunctions'),
      holdNewExecutionsUntilResumed: true,
      log,
      objectStore,
    });
    stoppers.push(() => stepFunctions.close());
    const stepFunctionsEndpoint = await startStepFunctionsEndpoint(stepFunctions, { host, port: ports.stepfunctions });
    stoppers.push(() => stepFunctionsEndpoint.close());
    const apigateway: RestApiEndpoint = await startRestApiEndpoint(invoke, { host, port: ports.apigateway, region });
    stoppers.push(() => apigateway.close());
    const lambdaEndpoint: LambdaEndpoint = await startLambdaEndpoint(functions, { host, port: ports.lambda, region });
    stoppers.push(() => lambdaEndpoint.close());
    const scheduleRunner = new ScheduleRunner(invoke, { timeScale, log });
    stoppers.push(() => scheduleRunner.stop());
    const events = new LocalEventBridge({ region, timeScale, dataDir: dataDir && path.join(dataDir, 'events'), invoke, log });
    stoppers.push(() => events.close());
    const eventsEndpoint = await startEventBridgeEndpoint(events, { host, port: ports.events });
    stoppers.push(() => eventsEndpoint.close());

    const endpoints = {
      iot: iot.url,
      dynamodb: dynamodb.url,
      stepfunctions: stepFunctionsEndpoint.url,
      sns: sns.url,
      apigateway: apigateway.url,
      secretsmanager: secretsEndpoint.url,
      lambda: lambdaEndpoint.url,
      s3: s3.url,
      events: eventsEndpoint.url,
    };
    const stacks: Record<string, DeployedStack> = {};
    const schedules: ScheduledTarget[] = [];
    for (const stack of synthesized) {
      const side = STACK_SIDES[stack.stackName];
      if (!side) {
        log(`skipping stack ${stack.stackName}: the sandbox deploys ${Object.keys(STACK_SIDES).join(' and ')}`);
        continue;
      }
      const accountId = accounts[side];
      const credentials = credentialsFor(accountId);
      const resources = new LocalStackResources(stack.template, { accountId, region, stackName: stack.stackName });

      const dynamodbClient = new DynamoDBClient({ region, endpoint: endpoints.dynamodb, credentials });
      try {
        await createTemplateTables(dynamodbClient, resources);
      } finally {
        dynamodbClient.destroy();
      }
      for (const [logicalId] of resources.resourcesOfType('AWS::SNS::Topic')) notifications.registerTopic(resources.arn(logicalId));
      deployTemplateBuckets(objectStore, resources);
      for (const [logicalId, secret] of resources.resourcesOfType('AWS::SecretsManager::Secret')) {
        const generate = (secret.Properties?.GenerateSecretString ?? {}) as { PasswordLength?: number; ExcludePunctuation?: boolean };
        secrets.ensureGenerated(resources.arn(logicalId), resources.physicalName(logicalId), {
          passwordLength: generate.PasswordLength,
          excludePunctuation: generate.ExcludePunctuation,
        });
      }
      const started = startTemplateFunctions(
        resources,
        stack.assemblyDir,
        {
          AWS_REGION: region,
          AWS_DEFAULT_REGION: region,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          AWS_ENDPOINT_URL_IOT: endpoints.iot,
          AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
          AWS_ENDPOINT_URL_SFN: endpoints.stepfunctions,
          AWS_ENDPOINT_URL_SNS: endpoints.sns,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsmanager,
          AWS_ENDPOINT_URL_S3: endpoints.s3,
          AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.events,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          // No X-Ray daemon here; Powertools leaves the clients untraced outside Lambda anyway.
          POWERTOOLS_TRACE_ENABLED: 'false',
          POWERTOOLS_LOG_LEVEL: options.functionLogLevel ?? 'WARN',
        },
        (value) => apigateway.localUrl(value),
        options.functionLogStream,
        idleEnvironments,
      );
      for (const fn of started) {
        functions.set(fn.options.functionArn, fn);
        stoppers.push(() => fn.close());
        stepFunctions.registerLambdaFunction(fn.options.functionArn, (event) => fn.invoke(event));
      }
      for (const [logicalId, resource] of resources.resourcesOfType('AWS::StepFunctions::StateMachine')) {
        const properties = resources.resolve(resource.Properties ?? {}) as { DefinitionString?: string; Definition?: unknown };
        const definition = properties.DefinitionString ?? JSON.stringify(properties.Definition);
        stepFunctions.createStateMachine({ name: resources.physicalName(logicalId), arn: resources.arn(logicalId), definition });
      }
      apigateway.addRoutes(restApiRoutesOf(resources));
      schedules.push(...scheduledTargetsOf(resources));
      const outputs: Record<string, string> = {};
      for (const [name, output] of Object.entries(stack.template.Outputs ?? {})) {
        try {
          outputs[name] = apigateway.localUrl(String(resources.resolve(output.Value)));
        } catch (error) {
          log(`output ${stack.stackName}.${name} has no sandbox value: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      stacks[stack.stackName] = { accountId, resources, outputs };
    }
    // After every stack's functions: a source-side rule targets the peer account's bus by
    // a literal ARN, so all buses are registered before any rule.
    deployTemplateEvents(
      events,
      Object.values(stacks).map((stack) => stack.resources),
    );
    events.start();
    if (options.descriptorFile) writeSandboxDescriptor(options.descriptorFile, { region, accounts, endpoints, stacks });
    stepFunctions.resumeExecutions();
    if (options.schedules ?? true) for (const target of schedules) scheduleRunner.start(target);
    return {
      region,
      accounts,
      endpoints,
      iot,
      stepFunctions,
      notifications,
      functions,
      stacks,
      schedules,
      scheduleRunner,
      events,
      invoke,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function writeSandboxDescriptor(
  file: string,
  sandbox: {
    region: string;
    accounts: SandboxAccounts;
    endpoints: Record<keyof SandboxPorts, string>;
    stacks: Record<string, DeployedStack>;
  },
): void {
  const descriptor: SandboxDescriptor = {
    region: sandbox.region,
    accounts: sandbox.accounts,
    credentials: { source: credentialsFor(sandbox.accounts.source), target: credentialsFor(sandbox.accounts.target) },
    endpoints: sandbox.endpoints,
    outputs: Object.fromEntries(Object.entries(sandbox.stacks).map(([name, stack]) => [name, stack.outputs])),
  };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(descriptor, null, 2)}\n`);
}
