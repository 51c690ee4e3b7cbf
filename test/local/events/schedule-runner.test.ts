import { LocalStackResources, type CfnTemplate } from '../../../local/cloudformation/cloudformation-template';
import { ScheduleRunner, scheduledTargetsOf } from '../../../local/events/schedule-runner';

const TEMPLATE: CfnTemplate = {
  Resources: {
    Poller: { Type: 'AWS::Lambda::Function', Properties: {} },
    Every5: {
      Type: 'AWS::Events::Rule',
      Properties: {
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [{ Arn: { 'Fn::GetAtt': ['Poller', 'Arn'] }, Id: 'Target0' }],
      },
    },
    Disabled: {
      Type: 'AWS::Events::Rule',
      Properties: {
        ScheduleExpression: 'rate(1 hour)',
        State: 'DISABLED',
        Targets: [{ Arn: { 'Fn::GetAtt': ['Poller', 'Arn'] }, Id: 'Target0' }],
      },
    },
  },
};

describe('local EventBridge schedules', () => {
  const resources = new LocalStackResources(TEMPLATE, { accountId: '222222222222', region: 'us-east-1', stackName: 'Target' });

  it('reads the enabled rate rules and their function targets', () => {
    expect(scheduledTargetsOf(resources)).toEqual([
      expect.objectContaining({
        intervalMs: 300_000,
        functionArn: 'arn:aws:lambda:us-east-1:222222222222:function:Target-Poller-222222222222',
        accountId: '222222222222',
      }),
    ]);
  });

  it('invokes the target with a Scheduled Event, time-scaled', async () => {
    const invoked: Array<{ arn: string; event: Record<string, unknown> }> = [];
    const runner = new ScheduleRunner(async (arn, event) => void invoked.push({ arn, event: event as Record<string, unknown> }), {
      timeScale: 0.001,
    });
    const [target] = scheduledTargetsOf(resources);
    if (!target) throw new Error('no target');
    runner.start(target);
    for (let waited = 0; invoked.length === 0 && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    runner.stop();
    expect(invoked.length).toBeGreaterThanOrEqual(1);
    expect(invoked[0]?.event).toMatchObject({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '222222222222',
      resources: [target.ruleArn],
    });
  });
});
