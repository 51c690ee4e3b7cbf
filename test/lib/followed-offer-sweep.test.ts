import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { sweepInterval } from '../../lib/followed-offer-sweep';
import { actionsOf, certflowApp, definitionOf, grantsOf, templateOf, withoutHash } from './certflow-app-fixture';

const SWEEP = 'OutboundTransferFollowedOfferSweepFunction';
const { source } = certflowApp();
const template = templateOf(source);
const sweepGrants = grantsOf(template).filter((grant) => grant.holders.map(withoutHash).includes(SWEEP));
const outbound = definitionOf(template, 'CertflowSource-OutboundTransfer');

describe('the followed-offer sweep', () => {
  it('runs every certflow:minPollSeconds rounded up to a minute, one minute by default', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^${SWEEP}`), 'Arn'] } })],
    });
    expect(sweepInterval(Duration.seconds(1)).toMinutes()).toBe(1);
    expect(sweepInterval(Duration.seconds(61)).toMinutes()).toBe(2);
    const slow = templateOf(certflowApp({ 'certflow:minPollSeconds': 300 }).source);
    slow.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^${SWEEP}`), 'Arn'] } })],
    });
  });

  it('may list outgoing certificates on * (no resource type), describe certificates, wake only the outbound workflow, query only its index', () => {
    const byAction = new Map(
      sweepGrants.flatMap((grant) => actionsOf(grant.statement).map((action) => [action, grant.statement.Resource])),
    );
    expect(byAction.get('iot:ListOutgoingCertificates')).toBe('*');
    expect(JSON.stringify(byAction.get('iot:DescribeCertificate'))).toMatch(/:cert\/\*"/);
    expect(JSON.stringify(byAction.get('states:SendTaskSuccess'))).toMatch(/:stateMachine:CertflowSource-OutboundTransfer"\]/);
    expect(JSON.stringify(byAction.get('dynamodb:Query'))).toMatch(/\/index\/followedOffers"\]/);
    expect([...byAction.keys()].filter((action) => /^(iot|states|dynamodb):/.test(action)).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'iot:DescribeCertificate',
      'iot:ListOutgoingCertificates',
      'states:SendTaskSuccess',
    ]);
  });

  it('keeps the offers still followed in a sparse index of the transfer records', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({
          IndexName: 'followedOffers',
          KeySchema: [
            { AttributeName: 'followedOffer', KeyType: 'HASH' },
            { AttributeName: 'followDeadline', KeyType: 'RANGE' },
          ],
        }),
      ]),
    });
    expect(template.findOutputs('FollowSweepFunctionName')).toHaveProperty('FollowSweepFunctionName');
  });
});

describe('the follow of an offer to a target that runs no certflow', () => {
  it('waits on a task token until the transfer deadline, then reads the outcome the sweep recorded: no polling loop', () => {
    const follow = outbound.States.FollowOffer;
    expect(follow).toMatchObject({
      Resource: expect.stringMatching(/:states:::lambda:invoke\.waitForTaskToken$/),
      TimeoutSeconds: 7 * 86400,
    });
    expect(follow?.Next).toBe('ReadFollowOutcome');
    expect(outbound.States.ReadFollowOutcome?.Next).toBe('TransferState');
    const catches = (follow?.Catch ?? []) as { ErrorEquals: string[]; Next: string }[];
    expect(catches.find((handler) => handler.ErrorEquals.includes('States.Timeout'))?.Next).toBe('CancelAtDeadline');
    expect(Object.values(outbound.States).filter((state) => state.Type === 'Wait')).toEqual([]);
    expect(outbound.States).not.toHaveProperty('CheckTransfer');
  });

  it('fails the workflow, changing nothing more, when the read step finds no recorded outcome', () => {
    const catches = (outbound.States.ReadFollowOutcome?.Catch ?? []) as { ErrorEquals: string[]; Next: string }[];
    expect(catches).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'FollowOutcomeUnverified' })]);
    expect(outbound.States.FollowOutcomeUnverified?.Type).toBe('Fail');
  });
});
