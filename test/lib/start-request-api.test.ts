import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { actionsOf, certflowApp, definitionOf, grantsOf, templateOf, withoutHash } from './certflow-app-fixture';

const { source, target } = certflowApp();
const template = templateOf(source);
const stateMachineArn = (name: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:states:eu-west-1:111111111111:stateMachine:${name}`]],
});
const grantsHeldBy = (holder: string) =>
  grantsOf(template)
    .filter((grant) => grant.holders.map(withoutHash).includes(holder))
    .filter((grant) => !actionsOf(grant.statement).some((action) => action.startsWith('logs:') || action.startsWith('xray:')));

describe('the start API', () => {
  it('authorizes its one method, POST /workflows/{workflow}/executions, with IAM', () => {
    template.resourceCountIs('AWS::ApiGateway::Method', 4 /* approval page */ + 1);
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{workflow}' });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'AWS_IAM',
      Integration: Match.objectLike({ Type: 'AWS_PROXY' }),
    });
  });

  it('gives the start function only StartExecution on the two workflows people start, and its table writes', () => {
    const statements = grantsHeldBy('StartRequestsStartFunction').map((grant) => grant.statement);
    expect(statements).toEqual([
      expect.objectContaining({
        Action: ['dynamodb:PutItem', 'dynamodb:GetItem'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StartRequestsTable/), 'Arn'] },
      }),
      expect.objectContaining({
        Action: 'states:StartExecution',
        Resource: [stateMachineArn('CertflowSource-OutboundTransfer'), stateMachineArn('CertflowSource-Migration')],
      }),
    ]);
  });

  it('keeps its start requests as the other tables: pay-per-request, encrypted, recoverable, retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [{ AttributeName: 'startRequestId', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      }),
    });
  });

  it('outputs its URL, and the target side has none (its workflows are started by its receivers)', () => {
    template.hasOutput('StartApiUrl', {});
    expect(Object.keys(templateOf(target).findOutputs('StartApiUrl'))).toEqual([]);
  });

  it('runs the start-request check first in the outbound transfer, with the execution name, state machine and input', () => {
    const definition = definitionOf(template, 'CertflowSource-OutboundTransfer') as {
      StartAt?: string;
      States: Record<string, Record<string, unknown>>;
    };
    expect(definition.StartAt).toBe('VerifyStartRequest');
    expect(definition.States.VerifyStartRequest).toMatchObject({
      Next: 'InspectCertificate',
      ResultPath: null,
      Parameters: {
        'executionId.$': '$$.Execution.Id',
        'executionName.$': '$$.Execution.Name',
        'stateMachineArn.$': '$$.StateMachine.Id',
        'input.$': '$$.Execution.Input',
      },
    });
    expect(definition.States.VerifyStartRequest?.Catch).toBeUndefined();
  });

  it('lets the check read start requests and write audit rows, nothing else', () => {
    expect(grantsHeldBy('StartRequestsVerifyFunction').map((grant) => actionsOf(grant.statement))).toEqual([
      ['dynamodb:GetItem'],
      ['dynamodb:PutItem'],
    ]);
  });
});

describe('StartRequestApi.grantStart', () => {
  it('grants execute-api:Invoke on the POST method of any workflow, in this stage only', () => {
    const { source: stack } = certflowApp();
    const operators = new iam.Role(stack, 'Operators', { assumedBy: new iam.AccountRootPrincipal() });
    stack.startRequests.grantStart(operators);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .map(
        (policy) =>
          policy as { Properties: { Roles: Array<{ Ref: string }>; PolicyDocument: { Statement: Array<Record<string, unknown>> } } },
      )
      .filter((policy) => policy.Properties.Roles.some((role) => role.Ref.startsWith('Operators')))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([expect.objectContaining({ Action: 'execute-api:Invoke', Effect: 'Allow' })]);
    expect(JSON.stringify(statements[0]?.Resource)).toMatch(
      /"\/",{"Ref":"StartRequestsApiDeploymentStagev1[0-9A-F]+"},"\/POST\/workflows\/\*\/executions"/,
    );
  });
});
