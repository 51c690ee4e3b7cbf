import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLocally } from '../aws-protocol/local-server';
import { readRequestBody } from '../aws-protocol/request-body';
import * as path from 'node:path';
import { callerAccountId } from '../aws-protocol/caller-account';

export interface StoredSecret {
  arn: string;
  name: string;
  secretString: string;
  versionId: string;
  createdAt: number;
}

/** What an AWS::SecretsManager::Secret's GenerateSecretString asks for. */
export interface GeneratedSecretSpec {
  passwordLength?: number;
  excludePunctuation?: boolean;
}

const LETTERS_AND_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

function generatedPassword(spec: GeneratedSecretSpec): string {
  const alphabet = spec.excludePunctuation ? LETTERS_AND_DIGITS : LETTERS_AND_DIGITS + PUNCTUATION;
  const length = spec.passwordLength ?? 32;
  const bytes = randomBytes(length);
  let password = '';
  for (const byte of bytes) password += alphabet[byte % alphabet.length];
  return password;
}

/**
 * The sandbox's secrets, per account: created when a template is deployed (a generated
 * value, kept across restarts in the data folder so signed links stay valid).
 */
export class LocalSecrets {
  private readonly secrets: Record<string, StoredSecret> = {};
  private readonly file?: string;

  constructor(options: { dataDir?: string } = {}) {
    if (options.dataDir) {
      mkdirSync(options.dataDir, { recursive: true });
      this.file = path.join(options.dataDir, 'secrets.json');
      if (existsSync(this.file)) Object.assign(this.secrets, JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, StoredSecret>);
    }
  }

  /** Creates the secret once; a redeploy or restart keeps its value. */
  ensureGenerated(arn: string, name: string, spec: GeneratedSecretSpec): StoredSecret {
    const existing = this.secrets[arn];
    if (existing) return existing;
    const secret = { arn, name, secretString: generatedPassword(spec), versionId: randomUUID(), createdAt: Math.floor(Date.now() / 1000) };
    this.secrets[arn] = secret;
    if (this.file) {
      writeFileSync(`${this.file}.tmp`, JSON.stringify(this.secrets, null, 2));
      renameSync(`${this.file}.tmp`, this.file);
    }
    return secret;
  }

  find(accountId: string, secretId: string): StoredSecret | undefined {
    return Object.values(this.secrets).find(
      (secret) => secret.arn.split(':')[4] === accountId && (secret.arn === secretId || secret.name === secretId),
    );
  }
}

export interface SecretsManagerEndpoint {
  url: string;
  port: number;
  close(): Promise<void>;
}

class SecretsManagerError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A local AWS Secrets Manager endpoint (JSON 1.1) that answers GetSecretValue and
 * DescribeSecret, which is all certflow's functions and `aws secretsmanager` need here.
 */
export async function startSecretsManagerEndpoint(
  secrets: LocalSecrets,
  options: { host?: string; port?: number } = {},
): Promise<SecretsManagerEndpoint> {
  const server = createServer((request, response) => {
    handle(secrets, request, response).catch((error: unknown) => {
      answerError(response, 500, new SecretsManagerError('InternalServiceError', error instanceof Error ? error.message : String(error)));
    });
  });
  return listenLocally(server, options);
}

async function handle(secrets: LocalSecrets, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const target = String(request.headers['x-amz-target'] ?? '');
  const operation = target.startsWith('secretsmanager.') ? target.slice('secretsmanager.'.length) : '';
  let input: { SecretId?: unknown };
  try {
    input = JSON.parse((await readRequestBody(request)) || '{}') as { SecretId?: unknown };
  } catch {
    answerError(response, 400, new SecretsManagerError('InvalidRequestException', 'The request body is not valid JSON.'));
    return;
  }
  const accountId = callerAccountId(request.headers);
  if (!accountId) {
    answerError(
      response,
      400,
      new SecretsManagerError('UnrecognizedClientException', 'The security token included in the request is invalid.'),
    );
    return;
  }
  if (operation !== 'GetSecretValue' && operation !== 'DescribeSecret') {
    answerError(
      response,
      400,
      new SecretsManagerError('UnknownOperationException', `${target || '(no X-Amz-Target)'} is not supported by this endpoint.`),
    );
    return;
  }
  if (typeof input.SecretId !== 'string' || input.SecretId.length === 0 || input.SecretId.length > 2048) {
    answerError(response, 400, new SecretsManagerError('InvalidParameterException', 'SecretId: is required, 1 to 2048 characters.'));
    return;
  }
  const secret = secrets.find(accountId, input.SecretId);
  if (!secret) {
    answerError(response, 400, new SecretsManagerError('ResourceNotFoundException', "Secrets Manager can't find the specified secret."));
    return;
  }
  const body =
    operation === 'GetSecretValue'
      ? {
          ARN: secret.arn,
          Name: secret.name,
          SecretString: secret.secretString,
          VersionId: secret.versionId,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: secret.createdAt,
        }
      : { ARN: secret.arn, Name: secret.name, CreatedDate: secret.createdAt, VersionIdsToStages: { [secret.versionId]: ['AWSCURRENT'] } };
  response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
  response.end(JSON.stringify(body));
}

function answerError(response: ServerResponse, status: number, error: SecretsManagerError): void {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
  response.end(JSON.stringify({ __type: error.type, message: error.message }));
}
