import { Match } from 'aws-cdk-lib/assertions';
import { CertflowConfigError } from '../../lib/certflow-config';
import { TRANSFER_ACTION_FUNCTIONS } from '../../lib/transfer-action-function';
import { actionsOf, certflowApp, statementsOf, templateOf, TARGET_ACCOUNT } from './certflow-app-fixture';

const { source, target } = certflowApp();
const sourceTemplate = templateOf(source);
const targetTemplate = templateOf(target);
const certificatesOf = (account: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iot:eu-west-1:${account}:cert/*`]] });

describe.each([
  ['source', sourceTemplate],
  ['target', targetTemplate],
])('the %s side', (_side, template) => {
  it('keeps an audit table that is pay-per-request, encrypted, recoverable and protected from deletion', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        KeySchema: [{ AttributeName: 'rowId', KeyType: 'HASH' }],
      }),
    });
  });

  it('keeps approval requests in a table with the sparse reminder index', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'requestId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'remindersDue',
          KeySchema: [
            { AttributeName: 'reminderDue', KeyType: 'HASH' },
            { AttributeName: 'remindAt', KeyType: 'RANGE' },
          ],
        }),
      ],
    });
  });

  it('runs every function on Node.js 22 arm64 with X-Ray and its own log group kept a year', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions).length).toBeGreaterThanOrEqual(5);
    template.allResourcesProperties('AWS::Lambda::Function', { Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  it('grants no wildcard action, and IoT actions only on certificates and policies (ListCertificates excepted)', () => {
    for (const statement of statementsOf(template)) {
      for (const action of actionsOf(statement)) {
        expect(action).not.toMatch(/\*/);
        if (action === 'iot:ListCertificates') expect(statement.Resource).toBe('*');
        else if (action.startsWith('iot:')) expect(JSON.stringify(statement.Resource)).toMatch(/:(cert|policy)\/\*/);
      }
    }
  });

  it('runs a Standard workflow with tracing, all events logged without their data, and alarms on failed and timed-out executions', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
    for (const metricName of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metricName,
        Namespace: 'AWS/States',
        Threshold: 1,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alarms') }],
      });
    }
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: Match.stringLikeRegexp('^Alarms') } });
  });

  it('serves the approval page on GET and POST only, and keeps query strings (signed links) out of the access log', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map((method) => (method as { Properties: { HttpMethod: string } }).Properties.HttpMethod);
    expect(methods.sort()).toEqual(['GET', 'POST']);
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      AccessLogSetting: Match.objectLike({ Format: Match.not(Match.stringLikeRegexp('querystring|\\$context\\.path')) }),
      MethodSettings: [Match.objectLike({ DataTraceEnabled: false })],
    });
  });

  it('signs approval links with a generated secret the page and the request step may read', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: Match.objectLike({ PasswordLength: 64 }) });
    const readers = statementsOf(template).filter((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'));
    expect(readers).toHaveLength(3);
  });

  it('lets only the approval page complete approval tasks, on its own workflow', () => {
    const statements = statementsOf(template).filter((statement) => actionsOf(statement).includes('states:SendTaskSuccess'));
    expect(statements).toHaveLength(1);
    expect(JSON.stringify(statements[0]?.Resource)).toMatch(/stateMachine:Certflow(Source|Target)-(OutboundTransfer|InboundReview)/);
  });
});

describe('the source side', () => {
  it('deploys only the TransferCertificate and CancelCertificateTransfer Action functions', () => {
    const iotActions = statementsOf(sourceTemplate).flatMap(actionsOf).filter((action) => action.startsWith('iot:'));
    expect(iotActions).toEqual(expect.arrayContaining(['iot:TransferCertificate', 'iot:CancelCertificateTransfer']));
    expect(iotActions).not.toContain('iot:AcceptCertificateTransfer');
    expect(iotActions).not.toContain('iot:RejectCertificateTransfer');
  });

  it.each(['TransferCertificate', 'CancelCertificateTransfer'] as const)('lets the %s function call only its own IoT Actions, on this account\'s certificates', (action) => {
    const statements = statementsOf(sourceTemplate, new RegExp(`^${action}HandlerRole`));
    const iotActions = statements.flatMap(actionsOf).filter((name) => name.startsWith('iot:'));
    expect(iotActions.sort()).toEqual([...TRANSFER_ACTION_FUNCTIONS[action].iotActions].sort());
    expect(JSON.stringify(statements)).toContain(JSON.stringify(certificatesOf('111111111111')));
  });

  it('lets only the prepare and restore steps change a certificate before and after the transfer', () => {
    const detach = statementsOf(sourceTemplate).filter((statement) => actionsOf(statement).includes('iot:DetachPolicy'));
    const attach = statementsOf(sourceTemplate).filter((statement) => actionsOf(statement).includes('iot:AttachPolicy'));
    expect(detach).toHaveLength(1);
    expect(attach).toHaveLength(1);
  });

  it('notifies each source approver by e-mail with a filter on their own address', () => {
    for (const approver of ['alice@example.com', 'bob@example.com']) {
      sourceTemplate.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: approver,
        FilterPolicy: { approver: [approver] },
      });
    }
    sourceTemplate.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  it('waits for the source approval with a task token and the approval deadline as the task timeout', () => {
    const definition = JSON.stringify(sourceTemplate.findResources('AWS::StepFunctions::StateMachine'));
    expect(definition).toContain('lambda:invoke.waitForTaskToken');
    expect(definition).toContain('\\"TimeoutSeconds\\":86400');
  });
});

describe('the target side', () => {
  it.each(['AcceptCertificateTransfer', 'RejectCertificateTransfer'] as const)('lets the %s function call only its own IoT Actions', (action) => {
    const statements = statementsOf(targetTemplate, new RegExp(`^${action}HandlerRole`));
    const iotActions = statements.flatMap(actionsOf).filter((name) => name.startsWith('iot:'));
    expect(iotActions.sort()).toEqual([...TRANSFER_ACTION_FUNCTIONS[action].iotActions].sort());
    expect(JSON.stringify(statements)).toContain(JSON.stringify(certificatesOf(TARGET_ACCOUNT)));
  });

  it('polls for offered certificates on a schedule and may start only its own review workflow', () => {
    targetTemplate.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' });
    const starters = statementsOf(targetTemplate).filter((statement) => actionsOf(statement).includes('states:StartExecution'));
    expect(starters).toHaveLength(1);
    expect(JSON.stringify(starters[0]?.Resource)).toMatch(/InboundTransferWorkflowStateMachine/);
  });
});

describe('configuration from CDK context', () => {
  it.each([
    [{ 'certflow:sourceApprovers': [] }, 'context certflow:sourceApprovers: must name at least one approver'],
    [{ 'certflow:targetApprovers': ['not-an-address'] }, 'context certflow:targetApprovers: must be a list of e-mail addresses (a JSON array, or comma-separated with -c)'],
    [{ 'certflow:approvalDeadlineMinutes': 2 }, 'context certflow:approvalDeadlineMinutes: must be a whole number from 5 to 525600'],
    [{ 'certflow:reminderLeadMinutes': 1440 }, 'context certflow:reminderLeadMinutes: must be less than certflow:approvalDeadlineMinutes (1440)'],
    [{ 'certflow:minPollSeconds': 600, 'certflow:maxPollSeconds': 60 }, 'context certflow:maxPollSeconds: must be at least certflow:minPollSeconds (600)'],
  ])('refuses %j with an error naming the key and the rule', (context, message) => {
    expect(() => certflowApp(context)).toThrow(CertflowConfigError);
    expect(() => certflowApp(context)).toThrow(message);
  });

  it('takes approvers comma-separated from the command line and deadlines in minutes', () => {
    const { target: configured } = certflowApp({ 'certflow:targetApprovers': 'tara@example.com, tom@example.com', 'certflow:approvalDeadlineMinutes': '120' });
    const template = templateOf(configured);
    template.hasResourceProperties('AWS::SNS::Subscription', { Endpoint: 'tom@example.com', FilterPolicy: { approver: ['tom@example.com'] } });
    expect(JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'))).toContain('\\"TimeoutSeconds\\":7200');
  });
});
