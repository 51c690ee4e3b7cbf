import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LocalStackResources, type CfnTemplate } from '../../../local/cloudformation/cloudformation-template';
import { scheduledTargetsOf } from '../../../local/events/schedule-runner';
import { deployTemplateEvents, LocalEventBridge } from '../../../local/eventbridge';
import { eventually, recordingFunctions, REGION, SOURCE, TARGET } from './eventbridge-fixture';

const TARGET_BUS_ARN = `arn:aws:events:${REGION}:${TARGET}:event-bus/certflow-target`;

const SOURCE_TEMPLATE: CfnTemplate = {
  Resources: {
    Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'certflow-source' } },
    Forwarder: { Type: 'AWS::IAM::Role', Properties: {} },
    Sweep: { Type: 'AWS::Lambda::Function', Properties: {} },
    ToPeer: {
      Type: 'AWS::Events::Rule',
      Properties: {
        EventBusName: { Ref: 'Bus' },
        EventPattern: { source: ['certflow.transfer'], 'detail-type': ['TransferProposed'] },
        State: 'ENABLED',
        Targets: [{ Arn: TARGET_BUS_ARN, Id: 'Target0', RoleArn: { 'Fn::GetAtt': ['Forwarder', 'Arn'] } }],
      },
    },
    Every5: {
      Type: 'AWS::Events::Rule',
      Properties: {
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [{ Arn: { 'Fn::GetAtt': ['Sweep', 'Arn'] }, Id: 'Target0' }],
      },
    },
  },
};

const TARGET_TEMPLATE: CfnTemplate = {
  Resources: {
    Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'certflow-target' } },
    PeerPolicy: {
      Type: 'AWS::Events::EventBusPolicy',
      Properties: {
        EventBusName: { Ref: 'Bus' },
        StatementId: 'AllowPeer',
        Statement: {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${SOURCE}:root` },
          Action: 'events:PutEvents',
          Resource: { 'Fn::GetAtt': ['Bus', 'Arn'] },
        },
      },
    },
    Receiver: { Type: 'AWS::Lambda::Function', Properties: {} },
    FromPeer: {
      Type: 'AWS::Events::Rule',
      Properties: {
        EventBusName: { Ref: 'Bus' },
        EventPattern: { account: [SOURCE], source: ['certflow.transfer'], detail: { certificateId: [{ exists: true }] } },
        Targets: [
          {
            Arn: { 'Fn::GetAtt': ['Receiver', 'Arn'] },
            Id: 'Target0',
            RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
          },
        ],
      },
    },
  },
};

const sourceResources = new LocalStackResources(SOURCE_TEMPLATE, { accountId: SOURCE, region: REGION, stackName: 'CertflowSource' });
const targetResources = new LocalStackResources(TARGET_TEMPLATE, { accountId: TARGET, region: REGION, stackName: 'CertflowTarget' });

describe('EventBridge resources of a synthesized template', () => {
  it('gives event buses and rules the ARNs and Refs CloudFormation gives them', () => {
    expect(targetResources.arn('Bus')).toBe(TARGET_BUS_ARN);
    expect(targetResources.resolve({ Ref: 'Bus' })).toBe('certflow-target');
    expect(targetResources.resolve({ 'Fn::GetAtt': ['Bus', 'Name'] })).toBe('certflow-target');
    expect(targetResources.resolve({ 'Fn::GetAtt': ['FromPeer', 'Arn'] })).toBe(
      `arn:aws:events:${REGION}:${TARGET}:rule/certflow-target/CertflowTarget-FromPeer-${TARGET}`,
    );
    expect(targetResources.resolve({ Ref: 'FromPeer' })).toBe(`certflow-target|CertflowTarget-FromPeer-${TARGET}`);
    expect(sourceResources.arn('Every5')).toBe(`arn:aws:events:${REGION}:${SOURCE}:rule/CertflowSource-Every5-${SOURCE}`);
    expect(scheduledTargetsOf(sourceResources)).toEqual([
      expect.objectContaining({ ruleArn: sourceResources.arn('Every5'), intervalMs: 300_000 }),
    ]);
  });

  describe('deployed', () => {
    let dataDir: string;
    beforeEach(() => {
      dataDir = mkdtempSync(path.join(tmpdir(), 'certflow-events-template-'));
    });
    afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

    it('carries a source-side event to the peer account receiver, with the source stack deployed first', async () => {
      const functions = recordingFunctions();
      const engine = new LocalEventBridge({ region: REGION, dataDir, invoke: functions.invoke, timeScale: 0.001 });
      try {
        deployTemplateEvents(engine, [sourceResources, targetResources]);
        engine.start();
        const [result] = engine.putEvents(
          [
            {
              source: 'certflow.transfer',
              detailType: 'TransferProposed',
              detail: { certificateId: 'abc' },
              eventBusName: 'certflow-source',
              resources: [],
            },
          ],
          SOURCE,
        );
        const receiver = targetResources.arn('Receiver');
        const [event] = await eventually('the receiver', () => (functions.of(receiver).length > 0 ? functions.of(receiver) : undefined));
        expect(event).toMatchObject({
          id: result && 'EventId' in result ? result.EventId : 'none',
          account: SOURCE,
          detail: { certificateId: 'abc' },
        });
        expect(engine.rule(sourceResources.physicalName('ToPeer'), 'certflow-source', SOURCE).targets).toEqual([
          expect.objectContaining({ arn: TARGET_BUS_ARN, roleArn: sourceResources.arn('Forwarder') }),
        ]);
        expect(engine.rule(sourceResources.physicalName('Every5'), undefined, SOURCE)).toMatchObject({
          scheduleExpression: 'rate(5 minutes)',
        });
      } finally {
        await engine.close();
      }
    });

    it('deploys again on a restart without duplicating buses, rules, targets or policy statements', async () => {
      const first = new LocalEventBridge({ region: REGION, dataDir, invoke: async () => undefined });
      deployTemplateEvents(first, [sourceResources, targetResources]);
      await first.close();
      const second = new LocalEventBridge({ region: REGION, dataDir, invoke: async () => undefined });
      deployTemplateEvents(second, [sourceResources, targetResources]);
      expect(second.listEventBuses(TARGET).map((bus) => bus.name)).toEqual(['certflow-target', 'default']);
      expect(second.eventBus('certflow-target', TARGET).policy?.Statement).toEqual([
        {
          Sid: 'AllowPeer',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${SOURCE}:root` },
          Action: 'events:PutEvents',
          Resource: TARGET_BUS_ARN,
        },
      ]);
      expect(second.listRules('certflow-target', TARGET)).toHaveLength(1);
      expect(second.listRules('certflow-target', TARGET)[0]?.targets).toHaveLength(1);
      expect(second.listRules(undefined, SOURCE).map((rule) => rule.name)).toEqual([sourceResources.physicalName('Every5')]);
      await second.close();
    });
    it('turns an EventBusPolicy given as Action and Principal into the statement PutPermission writes', async () => {
      const template: CfnTemplate = {
        Resources: {
          Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'inbound' } },
          Legacy: {
            Type: 'AWS::Events::EventBusPolicy',
            Properties: { EventBusName: { Ref: 'Bus' }, StatementId: 'legacy', Action: 'events:PutEvents', Principal: SOURCE },
          },
        },
      };
      const engine = new LocalEventBridge({ region: REGION, invoke: async () => undefined });
      deployTemplateEvents(engine, [new LocalStackResources(template, { accountId: TARGET, region: REGION, stackName: 'Legacy' })]);
      expect(engine.eventBus('inbound', TARGET).policy?.Statement).toEqual([
        {
          Sid: 'legacy',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${SOURCE}:root` },
          Action: 'events:PutEvents',
          Resource: `arn:aws:events:${REGION}:${TARGET}:event-bus/inbound`,
        },
      ]);
      await engine.close();
    });
  });
});
