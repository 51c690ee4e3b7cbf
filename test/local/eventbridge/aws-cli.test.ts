import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { accessKeyIdFor, SANDBOX_SECRET_ACCESS_KEY } from '../../../local/sandbox-accounts';
import {
  eventually,
  functionArn,
  recordingFunctions,
  REGION,
  SOURCE,
  startEventBridgeFixture,
  type EventBridgeFixture,
} from './eventbridge-fixture';

const AWS_CLI_V2 = '/usr/bin/aws';
const run = promisify(execFile);
const describeWithCli = existsSync(AWS_CLI_V2) ? describe : describe.skip;

describeWithCli(`the AWS CLI v2 (${AWS_CLI_V2}; skipped when it is not installed: apt-get install awscli)`, () => {
  let fixture: EventBridgeFixture;
  let functions: ReturnType<typeof recordingFunctions>;
  beforeEach(async () => {
    functions = recordingFunctions();
    fixture = await startEventBridgeFixture({ invoke: functions.invoke });
  });
  afterEach(() => fixture.close());

  const aws = async (...args: string[]) => {
    const { stdout } = await run(AWS_CLI_V2, ['events', ...args, '--endpoint-url', fixture.endpoint.url, '--output', 'json'], {
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: accessKeyIdFor(SOURCE),
        AWS_SECRET_ACCESS_KEY: SANDBOX_SECRET_ACCESS_KEY,
        AWS_DEFAULT_REGION: REGION,
        AWS_REGION: REGION,
        AWS_PAGER: '',
      },
    });
    return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
  };

  it('creates a rule and a target and puts an event that reaches the target', async () => {
    const receiver = functionArn(SOURCE, 'receiver');
    await aws('create-event-bus', '--name', 'certflow');
    await aws(
      'put-rule',
      '--name',
      'proposals',
      '--event-bus-name',
      'certflow',
      '--event-pattern',
      JSON.stringify({ source: ['certflow.transfer'] }),
    );
    await aws(
      'put-targets',
      '--rule',
      'proposals',
      '--event-bus-name',
      'certflow',
      '--targets',
      JSON.stringify([{ Id: 'fn', Arn: receiver }]),
    );
    const answer = await aws(
      'put-events',
      '--entries',
      JSON.stringify([
        {
          Source: 'certflow.transfer',
          DetailType: 'TransferProposed',
          Detail: '{"certificateId":"abc"}',
          EventBusName: 'certflow',
          Time: '2026-01-02T03:04:05Z',
        },
      ]),
    );
    expect(answer).toMatchObject({ FailedEntryCount: 0, Entries: [{ EventId: expect.any(String) }] });
    const [event] = await eventually('the delivery', () => (functions.of(receiver).length > 0 ? functions.of(receiver) : undefined));
    expect(event).toMatchObject({ account: SOURCE, time: '2026-01-02T03:04:05Z', detail: { certificateId: 'abc' } });
  });

  it('exits non-zero with the AWS error code for a refused request', async () => {
    await expect(aws('describe-rule', '--name', 'missing')).rejects.toMatchObject({
      stderr: expect.stringContaining('ResourceNotFoundException'),
    });
  });
});
