import { DescribeEventBusCommand, EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { credentialsFor } from '../../local/sandbox-accounts';
import { startSandboxFixture, type SandboxFixture } from './sandbox-fixture';

describe('the sandbox EventBridge', () => {
  let fixture: SandboxFixture;
  let client: EventBridgeClient;
  beforeAll(async () => {
    fixture = await startSandboxFixture();
    client = new EventBridgeClient({
      region: fixture.sandbox.region,
      endpoint: fixture.sandbox.endpoints.events,
      credentials: credentialsFor(fixture.sandbox.accounts.target),
    });
  }, 120_000);
  afterAll(async () => {
    client.destroy();
    await fixture.close();
  });

  it('serves EventBridge on its own endpoint and tells every function where it is', async () => {
    expect(await client.send(new DescribeEventBusCommand({}))).toMatchObject({ Name: 'default' });
    const environments = [...fixture.sandbox.functions.values()].map((fn) => fn.options.environment.AWS_ENDPOINT_URL_EVENTBRIDGE);
    expect(environments.length).toBeGreaterThan(0);
    expect(new Set(environments)).toEqual(new Set([fixture.sandbox.endpoints.events]));
  });

  it('registers every stack rule, the schedules included, under the ARNs the stacks resolve', async () => {
    const { Rules } = await client.send(new ListRulesCommand({}));
    const target = fixture.sandbox.stacks.CertflowTarget;
    const templateRules = target
      ? target.resources.resourcesOfType('AWS::Events::Rule').filter(([, rule]) => rule.Properties?.EventBusName === undefined)
      : [];
    expect(templateRules.length).toBeGreaterThan(0);
    expect(Rules?.map((rule) => rule.Arn).sort()).toEqual(templateRules.map(([logicalId]) => target?.resources.arn(logicalId)).sort());
    expect(fixture.sandbox.events.failedDeliveries()).toEqual([]);
  });
});
