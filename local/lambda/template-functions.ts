import * as path from 'node:path';
import type { LocalStackResources } from '../cloudformation/cloudformation-template';
import { LocalLambdaFunction, type IdleEnvironments } from './local-lambda-function';

/** Lambda's defaults when the template gives no Timeout or MemorySize. */
const DEFAULT_TIMEOUT_SECONDS = 3;
const DEFAULT_MEMORY_SIZE_MB = 128;

/**
 * Starts every AWS::Lambda::Function of a synthesized template from its bundled asset,
 * with the environment the template gives it (tokens resolved to sandbox names) plus
 * `sandboxEnvironment`: endpoints, region and the account's credentials. Handlers cannot
 * tell they run locally: only endpoints and credentials differ.
 */
export function startTemplateFunctions(
  resources: LocalStackResources,
  assemblyDir: string,
  sandboxEnvironment: Record<string, string>,
  /** Maps a resolved value to where the sandbox serves it (e.g. an API Gateway URL to the local one). */
  localValue: (value: string) => string = (value) => value,
  /** Where the functions' logs go; the sandbox process's stdout and stderr when unset. */
  logStream?: NodeJS.WritableStream,
  /** The cap on idle environments the functions share; none when unset. */
  idleEnvironments?: IdleEnvironments,
): LocalLambdaFunction[] {
  return resources.resourcesOfType('AWS::Lambda::Function').map(([logicalId, resource]) => {
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string') {
      throw new Error(`${logicalId} has no aws:asset:path metadata: synthesize with the cdk CLI (npm run synth)`);
    }
    const properties = resources.resolve(resource.Properties ?? {}) as {
      Handler?: string;
      Timeout?: number;
      MemorySize?: number;
      Environment?: { Variables?: Record<string, string> };
    };
    const [file, handlerExport] = (properties.Handler ?? 'index.handler').split('.');
    return new LocalLambdaFunction({
      functionName: resources.physicalName(logicalId),
      functionArn: resources.arn(logicalId),
      bundleFile: path.resolve(assemblyDir, assetPath, `${file ?? 'index'}.js`),
      handlerExport: handlerExport ?? 'handler',
      timeoutMs: (properties.Timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
      memorySizeMb: properties.MemorySize ?? DEFAULT_MEMORY_SIZE_MB,
      logStream,
      idleEnvironments,
      environment: {
        ...Object.fromEntries(Object.entries(properties.Environment?.Variables ?? {}).map(([name, value]) => [name, localValue(value)])),
        ...sandboxEnvironment,
        AWS_LAMBDA_FUNCTION_NAME: resources.physicalName(logicalId),
      },
    });
  });
}
