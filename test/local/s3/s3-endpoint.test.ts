import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { ListeningEndpoint } from '../../../local/aws-protocol/local-server';
import { LocalObjectStore } from '../../../local/s3/object-store';
import { startS3Endpoint } from '../../../local/s3/s3-endpoint';

const run = promisify(execFile);

describe('local S3 endpoint, driven by the AWS CLI v2', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'certflow-s3-'));
  let store: LocalObjectStore;
  let endpoint: ListeningEndpoint;
  beforeAll(async () => {
    store = new LocalObjectStore(path.join(dir, 'data'));
    store.createBucket('111111111111', 'migrations-111111111111');
    endpoint = await startS3Endpoint(store);
  });
  afterAll(async () => {
    await endpoint.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const aws = (account: string, args: string[]) =>
    run('/usr/bin/aws', [...args, '--endpoint-url', endpoint.url], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        AWS_ACCESS_KEY_ID: `AKIA${account}LOCL`,
        AWS_SECRET_ACCESS_KEY: 'x',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_CONFIG_FILE: '/nonexistent',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
        AWS_PAGER: '',
      },
    });

  it('stores what `aws s3 cp` uploads, lists it, and gives it back', async () => {
    const manifest = path.join(dir, 'manifest.json');
    writeFileSync(manifest, JSON.stringify(['a'.repeat(64), 'b'.repeat(64)]));
    await aws('111111111111', ['s3', 'cp', manifest, 's3://migrations-111111111111/runs/m-1/manifest.json']);
    expect(JSON.parse(store.getObject('migrations-111111111111', 'runs/m-1/manifest.json')?.body.toString('utf8') ?? '[]')).toHaveLength(2);
    const listed = await aws('111111111111', ['s3', 'ls', 's3://migrations-111111111111/runs/m-1/']);
    expect(listed.stdout).toContain('manifest.json');
    const copy = path.join(dir, 'copy.json');
    await aws('111111111111', ['s3', 'cp', 's3://migrations-111111111111/runs/m-1/manifest.json', copy]);
    expect(readFileSync(copy, 'utf8')).toBe(readFileSync(manifest, 'utf8'));
    expect(
      new LocalObjectStore(path.join(dir, 'data')).getObject('migrations-111111111111', 'runs/m-1/manifest.json')?.body.toString('utf8'),
    ).toBe(readFileSync(manifest, 'utf8'));
  });

  it("refuses another account's bucket and names a missing key", async () => {
    await expect(
      aws('222222222222', [
        's3api',
        'get-object',
        '--bucket',
        'migrations-111111111111',
        '--key',
        'runs/m-1/manifest.json',
        path.join(dir, 'x'),
      ]),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('AccessDenied') });
    await expect(
      aws('111111111111', ['s3api', 'get-object', '--bucket', 'migrations-111111111111', '--key', 'missing', path.join(dir, 'x')]),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('NoSuchKey') });
  });
});
