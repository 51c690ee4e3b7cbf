import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CliUsageError, resolveCliTarget, stackOutput, type SandboxDescriptor } from '../../cli/cli-target';

describe('where the CLI sends its calls', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'certflow-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const descriptor: SandboxDescriptor = {
    region: 'us-east-1',
    accounts: { source: '111111111111', target: '222222222222' },
    credentials: {
      source: { accessKeyId: 'AKIA111111111111LOCL', secretAccessKey: 's' },
      target: { accessKeyId: 'AKIA222222222222LOCL', secretAccessKey: 's' },
    },
    endpoints: {
      iot: 'http://127.0.0.1:7701',
      dynamodb: 'http://127.0.0.1:7702',
      stepfunctions: 'http://127.0.0.1:7703',
      sns: 'x',
      apigateway: 'x',
      secretsmanager: 'x',
      lambda: 'http://127.0.0.1:7707',
      s3: 'x',
      events: 'x',
    },
    outputs: { CertflowSource: { OutboundStateMachineArn: 'arn:aws:states:us-east-1:111111111111:stateMachine:out' } },
  };

  it('uses the sandbox endpoints and the side account’s keys by default', () => {
    const file = path.join(dir, 'sandbox.json');
    writeFileSync(file, JSON.stringify(descriptor));
    const target = resolveCliTarget({ sandboxFile: file });
    expect(target.clientConfig('target', 'stepfunctions')).toEqual({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:7703',
      credentials: { accessKeyId: 'AKIA222222222222LOCL', secretAccessKey: 's' },
    });
    expect(stackOutput(target, 'source', 'OutboundStateMachineArn')).toBe('arn:aws:states:us-east-1:111111111111:stateMachine:out');
    expect(() => stackOutput(target, 'target', 'InboundStateMachineArn')).toThrow(
      'the CertflowTarget stack has no output InboundStateMachineArn',
    );
  });

  it('goes to AWS with a profile and the outputs `cdk deploy --outputs-file` wrote, and says what is missing', () => {
    const outputs = path.join(dir, 'cdk-outputs.json');
    writeFileSync(outputs, JSON.stringify({ CertflowSource: { AuditTableName: 'audit' } }));
    expect(() => resolveCliTarget({ profile: 'prod' })).toThrow(
      new CliUsageError('--outputs: required with --profile (the file `cdk deploy --outputs-file` wrote)'),
    );
    const target = resolveCliTarget({ profile: 'prod', outputs, region: 'eu-west-1' });
    expect(target.clientConfig('source', 'dynamodb')).toEqual({ region: 'eu-west-1' });
    expect(process.env.AWS_PROFILE).toBe('prod');
    delete process.env.AWS_PROFILE;
  });
});

describe('the accounts the CLI knows', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'certflow-cli-accounts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("takes each side's account from its stack outputs' ARNs against AWS", () => {
    const outputs = path.join(dir, 'cdk-outputs.json');
    writeFileSync(
      outputs,
      JSON.stringify({
        CertflowSource: { AuditTableName: 'audit', OutboundStateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:out' },
        CertflowTarget: { InboundStateMachineArn: 'arn:aws:states:eu-west-1:210987654321:stateMachine:in' },
      }),
    );
    expect(resolveCliTarget({ profile: 'prod', outputs, region: 'eu-west-1' }).accounts).toEqual({
      source: '123456789012',
      target: '210987654321',
    });
    delete process.env.AWS_PROFILE;
    expect(() => resolveCliTarget({ profile: 'prod', outputs: path.join(dir, 'missing.json'), region: 'eu-west-1' })).toThrow(
      /^--outputs: .*missing.json does not exist/,
    );
  });
});
