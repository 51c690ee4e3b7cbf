import { Match } from 'aws-cdk-lib/assertions';
import { CertflowConfigError } from '../../lib/certflow-config';
import { TRANSFER_ACTION_FUNCTIONS } from '../../lib/transfer-action-function';
import {
  actionsOf,
  certflowApp,
  grantsOf,
  holdersOf,
  SOURCE_ACCOUNT,
  statementsOf,
  templateOf,
  TARGET_ACCOUNT,
  withoutHash,
} from './certflow-app-fixture';

const { source, target } = certflowApp();
const sourceTemplate = templateOf(source);
const targetTemplate = templateOf(target);
const certificatesOf = (account: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iot:eu-west-1:${account}:cert/*`]] });
// The list Actions have no resource type (the Service Authorization Reference): IAM can grant them only on *.
const UNSCOPED_IOT_ACTIONS = [
  'iot:ListCertificates',
  'iot:ListCertificatesByCA',
  'iot:ListOutgoingCertificates',
  'iot:ListAttachedPolicies',
  'iot:ListPolicies',
];
const CERTIFICATE_LISTERS = ['iot:ListCertificates', 'iot:ListCertificatesByCA', 'iot:ListOutgoingCertificates'];
/** `{Ref: X}` as X without its hash; anything else (a wildcard, an ARN) as undefined. */
const referencedResource = (resource: unknown) => {
  const ref = (resource as { Ref?: unknown } | undefined)?.Ref;
  return typeof ref === 'string' ? withoutHash(ref) : undefined;
};

describe.each([
  [
    'source',
    sourceTemplate,
    {
      account: SOURCE_ACCOUNT,
      // The migration's report step reads the run's files and the landing reports, not IoT.
      listers: ['OutboundMigrationPlanFunction', 'OutboundTransferFollowedOfferSweepFunction'],
      workflows: ['CertflowSource-Migration', 'CertflowSource-OutboundTransfer'],
      // The migration's exchange step wakes its own wait when the peer's message came first.
      taskCompleters: [
        'OutboundMigrationExchangeWithTargetFunction',
        'OutboundTransferFollowedOfferSweepFunction',
        'OutboundTransferReceiveTargetMessagesFunction',
        'SourceApprovalsPageFunction',
      ],
      completedWorkflows: [
        'CertflowSource-Migration',
        'CertflowSource-Migration',
        'CertflowSource-Migration',
        'CertflowSource-OutboundTransfer',
        'CertflowSource-OutboundTransfer',
        'CertflowSource-OutboundTransfer',
      ],
    },
  ],
  [
    'target',
    targetTemplate,
    {
      account: TARGET_ACCOUNT,
      // The migration's plan reads the source's list, not this account's certificates: they arrive batch by batch.
      listers: ['InboundTransferPollerFunction'],
      workflows: ['CertflowTarget-InboundReview', 'CertflowTarget-Migration', 'CertflowTarget-ProposalReview'],
      // The await-offer step wakes its own map item when the batch's offer came first.
      taskCompleters: ['InboundMigrationAwaitOfferFunction', 'ProposalReviewReceiveSourceMessagesFunction', 'TargetApprovalsPageFunction'],
      completedWorkflows: [
        'CertflowTarget-InboundReview',
        'CertflowTarget-Migration',
        'CertflowTarget-Migration',
        'CertflowTarget-Migration',
        'CertflowTarget-ProposalReview',
        'CertflowTarget-ProposalReview',
      ],
    },
  ],
])('the %s side', (side, template, expected) => {
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

  it('keeps approval requests in a table with the sparse reminder index and the pending-by-deadline index of the inbox', () => {
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
        Match.objectLike({
          IndexName: 'requestsByStatus',
          KeySchema: [
            { AttributeName: 'status', KeyType: 'HASH' },
            { AttributeName: 'expiresAt', KeyType: 'RANGE' },
          ],
          // Listed attributes only: the inbox index never holds a task token.
          Projection: Match.objectLike({ ProjectionType: 'INCLUDE', NonKeyAttributes: Match.not(Match.arrayWith(['taskToken'])) }),
        }),
      ],
    });
  });

  it('runs every function on Node.js 22 arm64 with X-Ray and its own log group kept a year', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions).length).toBeGreaterThanOrEqual(5);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
    });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  it('grants no wildcard action, and IoT actions only on certificates, policies, things and thing types (the list Actions excepted; certificates listed only by the poller, the followed-offer sweep and the migration plan and finish steps)', () => {
    for (const statement of statementsOf(template)) {
      for (const action of actionsOf(statement)) {
        expect(action).not.toMatch(/\*/);
        if (UNSCOPED_IOT_ACTIONS.includes(action)) expect(statement.Resource).toBe('*');
        else if (action.startsWith('iot:')) expect(JSON.stringify(statement.Resource)).toMatch(/:(cert|policy|thing|thingtype)\/\*/);
      }
    }
    const listers = CERTIFICATE_LISTERS.flatMap((action) => holdersOf(template, action));
    expect([...new Set(listers)].sort()).toEqual(expected.listers);
  });

  it('runs Standard workflows with tracing, all events logged without their data, and alarms on failed and timed-out executions', () => {
    template.allResourcesProperties('AWS::StepFunctions::StateMachine', {
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
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: Match.stringLikeRegexp('^Alarms') },
    });
  });

  it('serves the approval page on GET and POST only, and keeps query strings (signed links) out of the access log', () => {
    // The source's start API is IAM-authorized (test/lib/start-request-api.test.ts); the page's methods have no authorizer.
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'))
      .map((method) => (method as { Properties: { HttpMethod: string; AuthorizationType?: string } }).Properties)
      .filter((properties) => properties.AuthorizationType !== 'AWS_IAM')
      .map((properties) => properties.HttpMethod);
    // The page (GET shows, POST decides), the approver inbox (GET) and a migration's certificate list (GET).
    expect(methods.sort()).toEqual(['GET', 'GET', 'GET', 'POST']);
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'certificates.csv' });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      AccessLogSetting: Match.objectLike({ Format: Match.not(Match.stringLikeRegexp('querystring|\\$context\\.path')) }),
      MethodSettings: [Match.objectLike({ DataTraceEnabled: false })],
    });
  });

  it("lets the approval page read only the files under migrations/ of its own side's migration bucket, and only GetObject", () => {
    const pageGrants = grantsOf(template).filter((grant) =>
      grant.holders.some((holder) => /^(Source|Target)ApprovalsPageFunction/.test(holder)),
    );
    const s3Grants = pageGrants.filter((grant) => actionsOf(grant.statement).some((action) => action.startsWith('s3:')));
    expect(s3Grants.map((grant) => grant.statement.Action)).toEqual(['s3:GetObject']);
    const [bucketId] = Object.keys(template.findResources('AWS::S3::Bucket'));
    expect(s3Grants[0]?.statement.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/migrations/*']] });
    const pages = Object.values(template.findResources('AWS::Lambda::Function')).filter((fn) =>
      JSON.stringify(fn).includes('serves the approval page'),
    );
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ Properties: { Environment: { Variables: { MIGRATION_BUCKET_NAME: { Ref: bucketId } } } } });
  });

  it('signs approval links with a generated secret the page and the request step may read', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: Match.objectLike({ PasswordLength: 64 }) });
    const readers = statementsOf(template).filter((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'));
    expect(readers).toHaveLength(3);
  });

  it("lets only the approval page, the peer-message receivers, the followed-offer sweep and the migration's waits complete waiting tasks, on its own side's workflows", () => {
    expect(side).toBeTruthy();
    expect(holdersOf(template, 'states:SendTaskSuccess')).toEqual(expected.taskCompleters);
    const workflows = grantsOf(template)
      .filter((grant) => actionsOf(grant.statement).includes('states:SendTaskSuccess'))
      .map((grant) =>
        JSON.stringify(grant.statement.Resource)
          .match(/:states:eu-west-1:(\d{12}):stateMachine:([\w-]+)"/)
          ?.slice(1),
      );
    expect(workflows.sort()).toEqual(expected.completedWorkflows.map((name) => [expected.account, name]));
  });

  it("admits on its transfer bus only the peer account, forwards its own messages to the peer bus, and delivers only the peer account's messages", () => {
    const [own, peer, ownSource, peerSource, peerBus] =
      side === 'source'
        ? [SOURCE_ACCOUNT, TARGET_ACCOUNT, 'certflow.source', 'certflow.target', 'certflow-inbound-transfers']
        : [TARGET_ACCOUNT, SOURCE_ACCOUNT, 'certflow.target', 'certflow.source', 'certflow-outbound-transfers'];
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: Match.objectLike({
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${peer}:root`]] } },
      }),
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: [ownSource], account: [own] },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:events:eu-west-1:${peer}:event-bus/${peerBus}`]] },
          RoleArn: Match.anyValue(),
        }),
      ],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: [peerSource], account: [peer] },
      Targets: [Match.objectLike({ Arn: Match.anyValue() })],
    });
  });

  it('lets a workflow start executions only of itself (the batches of its Distributed Maps), and describe, stop and redrive only its own', () => {
    for (const grant of grantsOf(template).filter((candidate) =>
      candidate.holders.some((holder) => /StateMachine$/.test(withoutHash(holder))),
    )) {
      const [stateMachine] = grant.holders;
      const actions = actionsOf(grant.statement);
      if (actions.includes('states:StartExecution')) expect(grant.statement.Resource).toEqual({ Ref: stateMachine });
      else if (actions.some((action) => action.startsWith('states:'))) {
        const resource = JSON.stringify(grant.statement.Resource);
        expect(resource).toContain(':execution:');
        expect(resource).toContain(JSON.stringify({ Ref: stateMachine }));
      }
    }
  });
});

describe('the source side', () => {
  it('deploys only the TransferCertificate and CancelCertificateTransfer Action functions', () => {
    const iotActions = statementsOf(sourceTemplate)
      .flatMap(actionsOf)
      .filter((action) => action.startsWith('iot:'));
    expect(iotActions).toEqual(expect.arrayContaining(['iot:TransferCertificate', 'iot:CancelCertificateTransfer']));
    expect(iotActions).not.toContain('iot:AcceptCertificateTransfer');
    expect(iotActions).not.toContain('iot:RejectCertificateTransfer');
  });

  it.each(['TransferCertificate', 'CancelCertificateTransfer'] as const)(
    "lets the %s function call only its own IoT Actions, on this account's certificates",
    (action) => {
      const statements = statementsOf(sourceTemplate, new RegExp(`^${action}HandlerRole`));
      const iotActions = statements.flatMap(actionsOf).filter((name) => name.startsWith('iot:'));
      expect(iotActions.sort()).toEqual([...TRANSFER_ACTION_FUNCTIONS[action].iotActions].sort());
      expect(JSON.stringify(statements)).toContain(JSON.stringify(certificatesOf('111111111111')));
    },
  );

  it("lets only the prepare and restore steps, and the migration's cutover batches, change a certificate before and after the transfer", () => {
    expect(holdersOf(sourceTemplate, 'iot:UpdateCertificate')).toEqual([
      'OutboundMigrationCutoverFunction',
      'OutboundTransferPrepareFunction',
      'OutboundTransferRestoreFunction',
    ]);
    expect(holdersOf(sourceTemplate, 'iot:DetachPolicy')).toEqual(['OutboundMigrationCutoverFunction', 'OutboundTransferPrepareFunction']);
    expect(holdersOf(sourceTemplate, 'iot:AttachPolicy')).toEqual(['OutboundMigrationCutoverFunction', 'OutboundTransferRestoreFunction']);
    expect(holdersOf(sourceTemplate, 'iot:DetachThingPrincipal')).toEqual([
      'OutboundMigrationCutoverFunction',
      'OutboundTransferPrepareFunction',
    ]);
    expect(holdersOf(sourceTemplate, 'iot:AttachThingPrincipal')).toEqual([
      'OutboundMigrationCutoverFunction',
      'OutboundTransferRestoreFunction',
    ]);
  });

  it("lets only the TransferCertificate function and the migration's cutover batches offer a certificate, and only the Cancel function withdraw one", () => {
    expect(holdersOf(sourceTemplate, 'iot:TransferCertificate')).toEqual([
      'OutboundMigrationCutoverFunction',
      'TransferCertificateHandlerFunction',
    ]);
    expect(holdersOf(sourceTemplate, 'iot:CancelCertificateTransfer')).toEqual(['CancelCertificateTransferHandlerFunction']);
  });

  it('lets only the start API start the workflows people start, and the migration workflow start executions of itself', () => {
    const starters = grantsOf(sourceTemplate).filter((grant) => actionsOf(grant.statement).includes('states:StartExecution'));
    const arnOf = (name: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:states:eu-west-1:${SOURCE_ACCOUNT}:stateMachine:${name}`]],
    });
    expect(starters.map((grant) => ({ holders: grant.holders.map(withoutHash), resource: grant.statement.Resource }))).toEqual([
      {
        holders: ['StartRequestsStartFunction'],
        resource: [arnOf('CertflowSource-OutboundTransfer'), arnOf('CertflowSource-Migration')],
      },
      {
        holders: ['OutboundMigrationWorkflowStateMachine'],
        resource: expect.objectContaining({ Ref: expect.stringMatching(/^OutboundMigrationWorkflowStateMachine/) }),
      },
    ]);
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
  it.each(['AcceptCertificateTransfer', 'RejectCertificateTransfer'] as const)(
    'lets the %s function call only its own IoT Actions',
    (action) => {
      const statements = statementsOf(targetTemplate, new RegExp(`^${action}HandlerRole`));
      const iotActions = statements.flatMap(actionsOf).filter((name) => name.startsWith('iot:'));
      expect(iotActions.sort()).toEqual([...TRANSFER_ACTION_FUNCTIONS[action].iotActions].sort());
      expect(JSON.stringify(statements)).toContain(JSON.stringify(certificatesOf(TARGET_ACCOUNT)));
    },
  );

  it("lets only the Accept and Reject functions and the migration's land batches answer an offer; only the landing steps attach policies and create things", () => {
    expect(holdersOf(targetTemplate, 'iot:AcceptCertificateTransfer')).toEqual([
      'AcceptCertificateTransferHandlerFunction',
      'InboundMigrationLandFunction',
    ]);
    // The target approvers decide before anything is offered: a migration has nothing to reject.
    expect(holdersOf(targetTemplate, 'iot:RejectCertificateTransfer')).toEqual(['RejectCertificateTransferHandlerFunction']);
    for (const action of ['iot:AttachPolicy', 'iot:CreateThing', 'iot:AttachThingPrincipal'])
      expect(holdersOf(targetTemplate, action)).toEqual(['InboundMigrationLandFunction', 'ProposalReviewLandFunction']);
    for (const action of [
      'iot:UpdateCertificate',
      'iot:DetachPolicy',
      'iot:TransferCertificate',
      'iot:CancelCertificateTransfer',
      'iot:DetachThingPrincipal',
    ]) {
      expect(holdersOf(targetTemplate, action)).toEqual([]);
    }
  });

  it('polls for offered certificates on a schedule and may start only its own review workflow; the receiver starts reviews and migration runs', () => {
    targetTemplate.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' });
    const starters = grantsOf(targetTemplate).filter((grant) => actionsOf(grant.statement).includes('states:StartExecution'));
    const starts = starters.map((grant) => ({
      holders: grant.holders.map(withoutHash),
      starts: referencedResource(grant.statement.Resource),
    }));
    expect(starts.sort((a, b) => String(a.holders).localeCompare(String(b.holders)))).toEqual([
      { holders: ['InboundMigrationWorkflowStateMachine'], starts: 'InboundMigrationWorkflowStateMachine' },
      { holders: ['InboundTransferPollerFunction'], starts: 'InboundTransferWorkflowStateMachine' },
      // The receiver starts proposal reviews and migration runs by their workflows' ARNs (their names are fixed).
      { holders: ['ProposalReviewReceiveSourceMessagesFunction'], starts: undefined },
      { holders: ['ProposalReviewReceiveSourceMessagesFunction'], starts: undefined },
    ]);
    const receiverStarts = starters
      .filter((grant) => grant.holders.map(withoutHash).includes('ProposalReviewReceiveSourceMessagesFunction'))
      .map((grant) => JSON.stringify(grant.statement.Resource).match(/:stateMachine:([\w-]+)"/)?.[1])
      .sort();
    expect(receiverStarts).toEqual(['CertflowTarget-Migration', 'CertflowTarget-ProposalReview']);
  });

  it('tells the landing step which policies to attach and whether to recreate things, from context', () => {
    const { target: configured } = certflowApp({
      'certflow:landingPolicies': 'fleet-base',
      'certflow:landingPolicyMap': '{"old-device":"device"}',
      'certflow:landingRecreateThings': 'false',
    });
    templateOf(configured).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          LANDING_CONFIG: JSON.stringify({ policies: ['fleet-base'], policyNameMap: { 'old-device': 'device' }, recreateThings: false }),
        }),
      },
    });
  });
});

describe('configuration from CDK context', () => {
  it.each([
    [{ 'certflow:sourceApprovers': [] }, 'context certflow:sourceApprovers: must name at least one approver'],
    [
      { 'certflow:targetApprovers': ['not-an-address'] },
      'context certflow:targetApprovers: must be a list of e-mail addresses (a JSON array, or comma-separated with -c)',
    ],
    [{ 'certflow:approvalDeadlineMinutes': 2 }, 'context certflow:approvalDeadlineMinutes: must be a whole number from 5 to 525600'],
    [
      { 'certflow:reminderLeadMinutes': 1440 },
      'context certflow:reminderLeadMinutes: must be less than certflow:approvalDeadlineMinutes (1440)',
    ],
    [
      { 'certflow:minPollSeconds': 600, 'certflow:maxPollSeconds': 60 },
      'context certflow:maxPollSeconds: must be at least certflow:minPollSeconds (600)',
    ],
    [{ 'certflow:iotRequestsPerSecond': 0 }, 'context certflow:iotRequestsPerSecond: must be a whole number from 1 to 10000'],
    [{ 'certflow:iotRequestsPerSecond': 'ten' }, 'context certflow:iotRequestsPerSecond: must be a whole number from 1 to 10000'],
    // At most 50 a batch, so that a landing report stays far under EventBridge's 256 KB.
    [{ 'certflow:migrationBatchSize': 51 }, 'context certflow:migrationBatchSize: must be a whole number from 1 to 50'],
    [{ 'certflow:migrationBatchSize': 0 }, 'context certflow:migrationBatchSize: must be a whole number from 1 to 50'],
    [{ 'certflow:migrationMaxConcurrency': '2.5' }, 'context certflow:migrationMaxConcurrency: must be a whole number from 1 to 1000'],
    [{ 'certflow:migrationMaxConcurrency': 0 }, 'context certflow:migrationMaxConcurrency: must be a whole number from 1 to 1000'],
    [
      { 'certflow:migrationToleratedFailurePercent': 101 },
      'context certflow:migrationToleratedFailurePercent: must be a whole number from 0 to 100',
    ],
    [
      { 'certflow:migrationToleratedFailurePercent': -1 },
      'context certflow:migrationToleratedFailurePercent: must be a whole number from 0 to 100',
    ],
    [{ 'certflow:targetAccount': '2222' }, 'context certflow:targetAccount: must be an AWS account id of exactly 12 digits'],
    [
      { 'certflow:unmanagedTargetAccounts': '333333333333,x' },
      'context certflow:unmanagedTargetAccounts: must be a list of 12-digit AWS account ids',
    ],
    [{ 'certflow:landingPolicies': ['bad policy'] }, 'context certflow:landingPolicies: landing.policies[0]: must match the pattern'],
    [
      { 'certflow:landingPolicyMap': '{"a": 1}' },
      'context certflow:landingPolicyMap: landing.policyNameMap.a: is required and must be a string',
    ],
    [{ 'certflow:landingRecreateThings': '"yes"' }, 'context certflow:landingRecreateThings: landing.recreateThings: must be a boolean'],
    [{ 'certflow:cutoverTimeoutMinutes': 0 }, 'context certflow:cutoverTimeoutMinutes: must be a whole number from 1 to 10080'],
    [
      { 'certflow:migrationBatchSize': 50, 'certflow:iotRequestsPerSecond': 1, 'certflow:migrationMaxConcurrency': 7 },
      'context certflow:migrationBatchSize: must let a batch finish within 300 s at certflow:iotRequestsPerSecond / certflow:migrationMaxConcurrency requests a second (at most 42, got 50)',
    ],
  ])('refuses %j with an error naming the key and the rule', (context, message) => {
    expect(() => certflowApp(context)).toThrow(CertflowConfigError);
    expect(() => certflowApp(context)).toThrow(message);
  });

  it('accepts a migration batch that needs exactly 300 s at the quota / concurrency', () => {
    expect(() =>
      certflowApp({ 'certflow:migrationBatchSize': 50, 'certflow:iotRequestsPerSecond': 1, 'certflow:migrationMaxConcurrency': 6 }),
    ).not.toThrow();
    expect(() =>
      certflowApp({ 'certflow:migrationBatchSize': 43, 'certflow:iotRequestsPerSecond': 1, 'certflow:migrationMaxConcurrency': 7 }),
    ).toThrow(
      'context certflow:migrationBatchSize: must let a batch finish within 300 s at certflow:iotRequestsPerSecond / certflow:migrationMaxConcurrency requests a second (at most 42, got 43)',
    );
  });

  it('takes approvers comma-separated from the command line and deadlines in minutes', () => {
    const { target: configured } = certflowApp({
      'certflow:targetApprovers': 'tara@example.com, tom@example.com',
      'certflow:approvalDeadlineMinutes': '120',
    });
    const template = templateOf(configured);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Endpoint: 'tom@example.com',
      FilterPolicy: { approver: ['tom@example.com'] },
    });
    expect(JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'))).toContain('\\"TimeoutSeconds\\":7200');
  });
});
