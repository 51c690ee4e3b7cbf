import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  LocalSecrets,
  startSecretsManagerEndpoint,
  type SecretsManagerEndpoint,
} from '../../../local/secretsmanager/secrets-manager-endpoint';

const ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:link-key';

describe('local Secrets Manager endpoint', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'certflow-secrets-'));
  let endpoint: SecretsManagerEndpoint;
  const client = (account: string) =>
    new SecretsManagerClient({
      region: 'us-east-1',
      endpoint: endpoint.url,
      credentials: { accessKeyId: `AKIA${account}LOCL`, secretAccessKey: 'x' },
    });

  beforeAll(async () => {
    const secrets = new LocalSecrets({ dataDir });
    secrets.ensureGenerated(ARN, 'link-key', { passwordLength: 64, excludePunctuation: true });
    endpoint = await startSecretsManagerEndpoint(secrets);
  });
  afterAll(async () => {
    await endpoint.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers GetSecretValue with the generated value, by ARN or by name', async () => {
    const byArn = await client('111111111111').send(new GetSecretValueCommand({ SecretId: ARN }));
    expect(byArn.SecretString).toMatch(/^[A-Za-z0-9]{64}$/);
    const byName = await client('111111111111').send(new GetSecretValueCommand({ SecretId: 'link-key' }));
    expect(byName.SecretString).toBe(byArn.SecretString);
  });

  it("does not show one account's secret to another", async () => {
    await expect(client('222222222222').send(new GetSecretValueCommand({ SecretId: ARN }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('keeps a generated value across restarts, so links already sent stay valid', async () => {
    const first = await client('111111111111').send(new GetSecretValueCommand({ SecretId: ARN }));
    const reopened = new LocalSecrets({ dataDir });
    expect(reopened.ensureGenerated(ARN, 'link-key', { passwordLength: 64 }).secretString).toBe(first.SecretString);
  });
});
