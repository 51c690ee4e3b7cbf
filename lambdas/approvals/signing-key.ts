import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const MIN_KEY_LENGTH = 32;

/** Reads the approval-link signing key from Secrets Manager (a generated secret string). */
export async function readSigningKey(secrets: SecretsManagerClient, secretId: string): Promise<Buffer> {
  const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!SecretString || SecretString.length < MIN_KEY_LENGTH) {
    throw new Error(`secret ${secretId} must hold a signing key of at least ${MIN_KEY_LENGTH} characters`);
  }
  return Buffer.from(SecretString, 'utf8');
}
