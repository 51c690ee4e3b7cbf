import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** What `npm start` writes so the CLI finds the sandbox: endpoints, accounts and stack outputs. */
export interface SandboxDescriptor {
  region: string;
  accounts: { source: string; target: string };
  /** The access keys that make a caller each account (the sandbox takes the account from the key id). */
  credentials: Record<'source' | 'target', { accessKeyId: string; secretAccessKey: string }>;
  endpoints: Record<'iot' | 'dynamodb' | 'stepfunctions' | 'sns' | 'apigateway' | 'secretsmanager' | 'lambda' | 's3' | 'events', string>;
  /** Stack outputs by stack name, as `cdk deploy --outputs-file` writes them. */
  outputs: Record<string, Record<string, string>>;
}

export type Side = 'source' | 'target';

/** Where the CLI sends its calls and with which credentials, for one side. */
export interface CliTarget {
  region: string;
  outputs: Record<string, Record<string, string>>;
  /** Each side's account, where known: the sandbox's descriptor, or the account in a stack output's ARN. */
  accounts: Partial<Record<Side, string>>;
  /** The sandbox's SNS sink of approval notifications; only the sandbox has one. */
  notificationsUrl?: string;
  clientConfig(
    side: Side,
    service: keyof SandboxDescriptor['endpoints'],
  ): {
    region: string;
    endpoint?: string;
    credentials?: { accessKeyId: string; secretAccessKey: string };
  };
}

export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

export const DEFAULT_SANDBOX_FILE = path.join(process.cwd(), '.certflow-data', 'sandbox.json');
export const STACKS: Record<Side, string> = { source: 'CertflowSource', target: 'CertflowTarget' };
export const SIDES: readonly Side[] = ['source', 'target'];

/** The account of the first ARN among a stack's outputs (state machines, ...): `cdk deploy` outputs name no account. */
function accountOfOutputs(outputs: Record<string, string> | undefined): string | undefined {
  for (const value of Object.values(outputs ?? {})) {
    const account = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/.exec(value)?.[1];
    if (account) return account;
  }
  return undefined;
}

/** One output of the side's stack, or a usage error saying where it was looked for. */
export function stackOutput(target: CliTarget, side: Side, name: string): string {
  const value = target.outputs[STACKS[side]]?.[name];
  if (!value)
    throw new CliUsageError(
      `the ${STACKS[side]} stack has no output ${name}: deploy it, or point --outputs at \`cdk deploy --outputs-file\``,
    );
  return value;
}

/**
 * The sandbox by default (from the file `npm start` writes); AWS when `--profile` is
 * given, with stack outputs from `cdk deploy --outputs-file <file>`.
 */
export function resolveCliTarget(options: { profile?: string; outputs?: string; region?: string; sandboxFile?: string }): CliTarget {
  if (options.profile) {
    if (!options.outputs) throw new CliUsageError('--outputs: required with --profile (the file `cdk deploy --outputs-file` wrote)');
    if (!existsSync(options.outputs))
      throw new CliUsageError(`--outputs: ${options.outputs} does not exist (the file \`cdk deploy --outputs-file\` wrote)`);
    const outputs = readJsonFile(options.outputs, '--outputs') as Record<string, Record<string, string>>;
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new CliUsageError('--region: required with --profile when AWS_REGION is not set');
    // The SDK's default credential chain reads the named profile.
    process.env.AWS_PROFILE = options.profile;
    const accounts: Partial<Record<Side, string>> = {};
    for (const side of SIDES) {
      const account = accountOfOutputs(outputs[STACKS[side]]);
      if (account) accounts[side] = account;
    }
    return { region, outputs, accounts, clientConfig: () => ({ region }) };
  }
  const file = options.sandboxFile ?? DEFAULT_SANDBOX_FILE;
  if (!existsSync(file))
    throw new CliUsageError(`no sandbox found (${file} is missing): run \`npm start\` first, or use --profile for AWS`);
  const sandbox = readJsonFile(file, '--sandbox-file') as SandboxDescriptor;
  return {
    region: sandbox.region,
    outputs: sandbox.outputs,
    accounts: { ...sandbox.accounts },
    notificationsUrl: `${sandbox.endpoints.sns}/_certflow/notifications`,
    clientConfig: (side, service) => ({
      region: sandbox.region,
      endpoint: sandbox.endpoints[service],
      credentials: sandbox.credentials[side],
    }),
  };
}

function readJsonFile(file: string, option: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    throw new CliUsageError(`${option}: ${file} is not valid JSON`, { cause: error });
  }
}
