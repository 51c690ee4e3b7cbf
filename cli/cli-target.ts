import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** What `npm start` writes so the CLI finds the sandbox: endpoints, accounts and stack outputs. */
export interface SandboxDescriptor {
  region: string;
  accounts: { source: string; target: string };
  /** The access keys that make a caller each account (the sandbox takes the account from the key id). */
  credentials: Record<'source' | 'target', { accessKeyId: string; secretAccessKey: string }>;
  endpoints: Record<'iot' | 'dynamodb' | 'stepfunctions' | 'sns' | 'apigateway' | 'secretsmanager' | 'lambda' | 's3', string>;
  /** Stack outputs by stack name, as `cdk deploy --outputs-file` writes them. */
  outputs: Record<string, Record<string, string>>;
}

export type Side = 'source' | 'target';

/** Where the CLI sends its calls and with which credentials, for one side. */
export interface CliTarget {
  region: string;
  outputs: Record<string, Record<string, string>>;
  clientConfig(side: Side, service: keyof SandboxDescriptor['endpoints']): {
    region: string;
    endpoint?: string;
    credentials?: { accessKeyId: string; secretAccessKey: string };
  };
}

export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

export const DEFAULT_SANDBOX_FILE = path.join(process.cwd(), '.certflow-data', 'sandbox.json');
const STACKS: Record<Side, string> = { source: 'CertflowSource', target: 'CertflowTarget' };

/** One output of the side's stack, or a usage error saying where it was looked for. */
export function stackOutput(target: CliTarget, side: Side, name: string): string {
  const value = target.outputs[STACKS[side]]?.[name];
  if (!value) throw new CliUsageError(`the ${STACKS[side]} stack has no output ${name}: deploy it, or point --outputs at \`cdk deploy --outputs-file\``);
  return value;
}

/**
 * The sandbox by default (from the file `npm start` writes); AWS when `--profile` is
 * given, with stack outputs from `cdk deploy --outputs-file <file>`.
 */
export function resolveCliTarget(options: { profile?: string; outputs?: string; region?: string; sandboxFile?: string }): CliTarget {
  if (options.profile) {
    if (!options.outputs) throw new CliUsageError('--outputs: required with --profile (the file `cdk deploy --outputs-file` wrote)');
    const outputs = JSON.parse(readFileSync(options.outputs, 'utf8')) as Record<string, Record<string, string>>;
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new CliUsageError('--region: required with --profile when AWS_REGION is not set');
    // The SDK's default credential chain reads the named profile.
    process.env.AWS_PROFILE = options.profile;
    return { region, outputs, clientConfig: () => ({ region }) };
  }
  const file = options.sandboxFile ?? DEFAULT_SANDBOX_FILE;
  if (!existsSync(file)) throw new CliUsageError(`no sandbox found (${file} is missing): run \`npm start\` first, or use --profile for AWS`);
  const sandbox = JSON.parse(readFileSync(file, 'utf8')) as SandboxDescriptor;
  return {
    region: sandbox.region,
    outputs: sandbox.outputs,
    clientConfig: (side, service) => ({
      region: sandbox.region,
      endpoint: sandbox.endpoints[service],
      credentials: sandbox.credentials[side],
    }),
  };
}
