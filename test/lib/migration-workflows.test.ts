import { Match, type Template } from 'aws-cdk-lib/assertions';
import { HANDLER_ENVIRONMENT } from '../../lambdas/handlers/handler-environment';
import { migrationBucketName } from '../../lambdas/cross-account/exchange-objects';
import { MIGRATION_PROGRESS_KEY } from '../../lambdas/migration/migration-progress';
import {
  parseAwaitLandings,
  parseCutoverBatch,
  parseFinishOutboundRequest,
  parseProposeMigration,
} from '../../lambdas/migration/migration-requests';
import { parseAwaitBatchOfferRequest, parseLandBatchRequest } from '../../lambdas/migration/target-migration-requests';
import {
  actionsOf,
  certflowApp,
  definitionOf,
  grantsOf,
  REGION,
  SOURCE_ACCOUNT,
  TARGET_ACCOUNT,
  templateOf,
  withoutHash,
} from './certflow-app-fixture';

// Not the defaults, so that a value the CDK app ignored would show.
const { source, target } = certflowApp({
  'certflow:iotRequestsPerSecond': 20,
  'certflow:migrationBatchSize': 25,
  'certflow:migrationMaxConcurrency': 4,
  'certflow:migrationToleratedFailurePercent': 5,
});
const sourceTemplate = templateOf(source);
const targetTemplate = templateOf(target);

const FIFTEEN_MINUTES = 900;

function logicalIdOf(template: Template, type: string, pattern: RegExp): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => pattern.test(id));
  expect(ids).toHaveLength(1);
  return ids[0] ?? '';
}

type MapState = {
  Type: string;
  ItemBatcher?: { MaxItemsPerBatch: number; BatchInput: Record<string, string> };
  ItemSelector?: Record<string, string>;
  ItemProcessor: { StartAt: string; States: Record<string, Record<string, unknown>> };
  ResultWriter: Record<string, unknown>;
};
type Definition = ReturnType<typeof definitionOf>;

/** The value at a `$.a.b` path of a state (a `$$.a.b` path of the context object); undefined when it selects nothing. */
function valueAt(state: unknown, path: string, context: unknown = {}): unknown {
  const [root, rest] = path.startsWith('$$') ? [context, path.slice(2)] : [state, path.slice(1)];
  return rest
    .replace(/^\.?/, '')
    .split('.')
    .filter(Boolean)
    .reduce<unknown>(
      (value, key) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined),
      root,
    );
}

/** What a step's Parameters (or a map's BatchInput) hand on for `state`: each `key.$` path filled in, the rest as written. */
function filledIn(parameters: Record<string, unknown>, state: unknown, context: unknown = {}): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(parameters).map(([key, value]) =>
      key.endsWith('.$') ? [key.slice(0, -2), valueAt(state, String(value), context)] : [key, value],
    ),
  );
}

/** Follows the Pass states from `start`: the states passed, the first other state, and what each Pass wrote where. */
function passesFrom(definition: Definition, start: string): { passed: string[]; next: string; written: Record<string, unknown> } {
  const passed: string[] = [];
  const written: Record<string, unknown> = {};
  let name = start;
  let state = definition.States[name];
  while (state?.Type === 'Pass') {
    passed.push(name);
    written[String(state.ResultPath)] = state.Result;
    name = String(state.Next);
    state = definition.States[name];
  }
  return { passed, next: name, written };
}

/** The approval close step a Catch path starts with (it settles the record and audits the ending), and the state after it. */
function afterCloseStep(definition: Definition, stateName: string, status: 'EXPIRED' | 'CANCELLED'): string {
  const close = definition.States[stateName] as { Type: string; Parameters?: Record<string, unknown>; ResultPath?: unknown; Next?: string };
  expect(close).toMatchObject({ Type: 'Task', Parameters: { 'executionId.$': '$$.Execution.Id', status }, ResultPath: null });
  return String(close.Next);
}

function catchOf(definition: Definition, stateName: string, error: string): { Next: string; ResultPath?: string } | undefined {
  const catchers =
    (definition.States[stateName] as { Catch?: Array<{ ErrorEquals: string[]; Next: string; ResultPath?: string }> }).Catch ?? [];
  return catchers.find((catcher) => catcher.ErrorEquals.includes(error));
}

const sourceDefinition = definitionOf(sourceTemplate, 'CertflowSource-Migration');
const targetDefinition = definitionOf(targetTemplate, 'CertflowTarget-Migration');

describe.each([
  ['source', sourceTemplate, { constructId: 'OutboundMigration', account: SOURCE_ACCOUNT, peer: TARGET_ACCOUNT }],
  ['target', targetTemplate, { constructId: 'InboundMigration', account: TARGET_ACCOUNT, peer: SOURCE_ACCOUNT }],
])('the %s side migration storage', (_side, template, expected) => {
  const bucketId = logicalIdOf(template, 'AWS::S3::Bucket', /^MigrationStorageFiles[0-9A-F]{8}$/);
  const progressTableId = logicalIdOf(template, 'AWS::DynamoDB::Table', /^MigrationStorageProgress[0-9A-F]{8}$/);
  const stateMachineId = logicalIdOf(
    template,
    'AWS::StepFunctions::StateMachine',
    new RegExp(`^${expected.constructId}WorkflowStateMachine[0-9A-F]{8}$`),
  );

  it('names its bucket certflow-migrations-<account>-<region>, so the peer knows it before any message', () => {
    expect(migrationBucketName(expected.account, REGION)).toBe(`certflow-migrations-${expected.account}-${REGION}`);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: migrationBucketName(expected.account, REGION),
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Status: 'Enabled', ExpirationInDays: 90 })]) },
    });
  });

  it('lets the peer account GetObject under exchange/ and nothing else, and refuses plain HTTP', () => {
    const [policy] = Object.values(template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: bucketId } } }));
    const statements = (policy as { Properties: { PolicyDocument: { Statement: Array<Record<string, unknown>> } } }).Properties
      .PolicyDocument.Statement;
    const allowed = statements.filter((statement) => statement.Effect === 'Allow');
    expect(allowed).toEqual([
      {
        Sid: 'certflow-peer-reads-exchange-objects',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${expected.peer}:root`]] } },
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/exchange/*']] },
      },
    ]);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('counts progress in a pay-per-request, recoverable table keyed by run', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: MIGRATION_PROGRESS_KEY, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: MIGRATION_PROGRESS_KEY, AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('tells the migration job its state machine, bucket and progress table', () => {
    template.hasOutput('MigrationStateMachineArn', { Value: { Ref: stateMachineId } });
    template.hasOutput('MigrationBucketName', { Value: { Ref: bucketId } });
    template.hasOutput('MigrationProgressTableName', { Value: { Ref: progressTableId } });
  });

  it('gives every migration function 15 minutes, its files, its progress table and its share of the IoT quota (quota / max concurrency)', () => {
    const migrationFunctions = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) =>
      withoutHash(id).startsWith(expected.constructId),
    );
    expect(migrationFunctions).toHaveLength(4);
    for (const [, resource] of migrationFunctions) {
      expect(resource).toMatchObject({
        Properties: {
          Timeout: FIFTEEN_MINUTES,
          Environment: {
            Variables: {
              [HANDLER_ENVIRONMENT.iotRequestsPerSecond]: '5',
              [HANDLER_ENVIRONMENT.migrationBucketName]: { Ref: bucketId },
              [HANDLER_ENVIRONMENT.migrationProgressTableName]: { Ref: progressTableId },
            },
          },
        },
      });
    }
  });

  it('lets only its migration functions and state machine write the migration bucket, and the receiver its landing reports', () => {
    const writes = grantsOf(template).filter(
      (grant) => actionsOf(grant.statement).includes('s3:PutObject') && JSON.stringify(grant.statement.Resource).includes(bucketId),
    );
    expect(writes.length).toBeGreaterThan(0);
    for (const { holders, statement } of writes) {
      for (const holder of holders.map(withoutHash)) {
        if (holder === 'OutboundTransferReceiveTargetMessagesFunction') {
          // The source's receiver keeps the target's landing reports for the run's last step: under migrations/, not exchange/.
          expect(statement.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/migrations/*']] });
        } else expect(holder).toMatch(new RegExp(`^${expected.constructId}`));
      }
    }
  });
});

/** A state's Task fields, as the tests read them. */
type TaskState = {
  Type: string;
  Resource: string;
  Next?: string;
  End?: boolean;
  TimeoutSeconds?: number;
  ResultPath?: string | null;
  Parameters: Record<string, unknown> & { Payload?: Record<string, unknown> };
  Catch?: Array<{ ErrorEquals: string[]; Next: string; ResultPath?: string | null }>;
};

const WAIT_FOR_TOKEN = 'arn:<AWS::Partition>:states:::lambda:invoke.waitForTaskToken';

describe('the source side migration workflow', () => {
  const states = sourceDefinition.States;
  const state = (name: string) => states[name] as unknown as TaskState;
  // The state as it is once the plan, the source approval and the target decision are in.
  const run = {
    request: {
      migrationId: 'eu-fleet',
      runName: 'eu-fleet-out-1700000000000',
      executionId: 'arn:aws:states:eu-west-1:111111111111:execution:CertflowSource-Migration:eu-fleet-out-1700000000000',
      targetAwsAccount: TARGET_ACCOUNT,
      transferMessage: null,
      requestedBy: 'alice',
      requestedByArn: null,
      reason: null,
    },
    plan: {
      itemsKey: 'migrations/eu-fleet/runs/r/transfer-items.json',
      settledKey: 'migrations/eu-fleet/runs/r/planned-outcomes.json',
      mapResultsPrefix: 'migrations/eu-fleet/runs/r/map-results',
      itemCount: 3,
      batchSize: 25,
      batchCount: 1,
      activeCount: 1,
      policies: { 'sensor-policy': 2 },
    },
    sourceApproval: { decision: 'APPROVED', approvedBy: 'bob', consentToPrepare: true },
    targetDecision: { decision: 'APPROVED', decidedBy: 'dave', rejectReason: null },
    cutover: { ResultWriterDetails: { Bucket: 'b', Key: 'migrations/eu-fleet/runs/r/map-results/x/manifest.json' } },
  };

  it('starts by verifying that the start API recorded this execution, then plans', () => {
    expect((sourceDefinition as { StartAt?: string }).StartAt).toBe('VerifyStartRequest');
    expect(state('VerifyStartRequest')).toMatchObject({
      Resource: expect.stringMatching(/^<StartRequestsVerifyFunction[0-9A-F]{8}\.Arn>$/),
      Parameters: { 'executionId.$': '$$.Execution.Id', 'input.$': '$$.Execution.Input' },
      ResultPath: null,
      Next: 'PlanMigration',
    });
    expect(state('PlanMigration').Next).toBe('AnythingToTransfer');
  });

  it('asks the source approvers first, then proposes to the target and waits for its decision with a task token', () => {
    expect(state('RequestSourceApproval')).toMatchObject({ Resource: WAIT_FOR_TOKEN, TimeoutSeconds: 86400 });
    expect(states.SourceDecision).toMatchObject({ Default: 'ProposeToTarget' });
    const propose = state('ProposeToTarget');
    expect(propose).toMatchObject({
      Resource: WAIT_FOR_TOKEN,
      Next: 'ReadTargetDecision',
      Parameters: { Payload: { step: 'ProposeMigration', 'taskToken.$': '$$.Task.Token' } },
    });
    expect(propose.TimeoutSeconds).toBeGreaterThan(86400);
    expect(catchOf(sourceDefinition, 'ProposeToTarget', 'States.Timeout')?.Next).toBe('TargetDidNotAnswer');
    expect(parseProposeMigration(filledIn(propose.Parameters.Payload ?? {}, run, { Task: { Token: 'token' } }))).toMatchObject({
      runName: run.request.runName,
      sourceApprovedBy: 'bob',
      itemsKey: run.plan.itemsKey,
      batchCount: 1,
      taskToken: 'token',
    });
    expect(states.TargetDecision).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.targetDecision.decision', StringEquals: 'APPROVED', Next: 'CutoverEachBatch' }],
      Default: 'TargetRejected',
    });
  });

  it('cuts over in a Distributed Map over the items in the bucket, in batches of the configured size and concurrency', () => {
    const map = states.CutoverEachBatch as unknown as MapState & Record<string, unknown>;
    expect(map).toMatchObject({
      Type: 'Map',
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'CutoverBatch' },
      ItemReader: {
        Resource: 'arn:<AWS::Partition>:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSON' },
        Parameters: { 'Key.$': '$.plan.itemsKey' },
      },
      ItemBatcher: { MaxItemsPerBatch: 25 },
      MaxConcurrency: 4,
      ToleratedFailurePercentage: 5,
      ResultWriter: { Resource: 'arn:<AWS::Partition>:states:::s3:putObject', Parameters: { 'Prefix.$': '$.plan.mapResultsPrefix' } },
      ResultPath: '$.cutover',
      Next: 'AwaitLandingReports',
    });
    // WriterConfig (output transformations) would change the files the report step reads.
    expect(map.ResultWriter).not.toHaveProperty('WriterConfig');
    const batch = parseCutoverBatch(
      {
        Items: [{ certificateId: 'c'.repeat(64), certificateArn: 'arn', status: 'ACTIVE', policies: [], position: 0 }],
        BatchInput: filledIn(map.ItemBatcher?.BatchInput ?? {}, run),
      },
      'invocation-1',
    );
    expect(batch.context).toMatchObject({
      migrationId: 'eu-fleet',
      runName: run.request.runName,
      targetAwsAccount: TARGET_ACCOUNT,
      approvedBy: 'bob',
      consentToPrepare: true,
      batchSize: 25,
    });
  });

  it('catches a failed batch into ReportFailedBatch, the same function told the failure, so the target does not wait for it', () => {
    const processor = (states.CutoverEachBatch as unknown as MapState).ItemProcessor.States;
    const cutover = processor.CutoverBatch as unknown as TaskState;
    const report = processor.ReportFailedBatch as unknown as TaskState;
    expect(cutover.Resource).toMatch(/^<OutboundMigrationCutoverFunction[0-9A-F]{8}\.Arn>$/);
    expect(cutover.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'ReportFailedBatch' }]);
    expect(report).toMatchObject({ Resource: cutover.Resource, End: true });
    expect(report).not.toHaveProperty('Catch');
    const caught = {
      Items: [{ certificateId: 'c'.repeat(64), certificateArn: 'arn', status: 'ACTIVE', policies: [], position: 0 }],
      BatchInput: filledIn((states.CutoverEachBatch as unknown as MapState).ItemBatcher?.BatchInput ?? {}, run),
      error: { Error: 'States.Timeout', Cause: 'the batch ran too long' },
    };
    expect(parseCutoverBatch(filledIn(report.Parameters, caught), 'invocation-2').failure).toEqual({
      error: 'States.Timeout',
      cause: 'the batch ran too long',
    });
  });

  it('waits for every landing report with a task token, then reports the cutover with the map results', () => {
    const wait = state('AwaitLandingReports');
    expect(wait).toMatchObject({
      Resource: WAIT_FOR_TOKEN,
      Next: 'Landed',
      Parameters: { Payload: { step: 'AwaitLandings', 'taskToken.$': '$$.Task.Token' } },
    });
    expect(parseAwaitLandings(filledIn(wait.Parameters.Payload ?? {}, run, { Task: { Token: 'token' } }))).toEqual({
      runName: run.request.runName,
      batchCount: 1,
      taskToken: 'token',
    });
    expect(catchOf(sourceDefinition, 'AwaitLandingReports', 'States.Timeout')?.Next).toBe('LandingReportsMissing');
    expect(passesFrom(sourceDefinition, 'Landed')).toMatchObject({ next: 'ReportCutover', written: { '$.outcome': 'LANDED' } });
    expect(passesFrom(sourceDefinition, 'LandingReportsMissing').next).toBe('ReportCutover');
    expect(parseFinishOutboundRequest(filledIn(state('ReportCutover').Parameters, run))).toMatchObject({
      resultsManifestKey: run.cutover.ResultWriterDetails.Key,
      batchCount: 1,
    });
  });

  it('catches a failed cutover map into a report read from the offer sheets, told the map error', () => {
    const caught = catchOf(sourceDefinition, 'CutoverEachBatch', 'States.ALL');
    expect(caught).toMatchObject({ Next: 'CutoverFailed', ResultPath: '$.error' });
    expect(passesFrom(sourceDefinition, 'CutoverFailed')).toMatchObject({
      next: 'ReportFailedCutover',
      written: { '$.outcome': 'CUTOVER_FAILED' },
    });
    expect(state('ReportFailedCutover').Next).toBe('Finished');
    const failedRun = { ...run, error: { Error: 'States.ExceedToleratedFailureThreshold', Cause: 'too many batches failed' } };
    expect(parseFinishOutboundRequest(filledIn(state('ReportFailedCutover').Parameters, failedRun))).toMatchObject({
      resultsManifestKey: null,
      batchCount: 1,
      cutoverFailure: { error: 'States.ExceedToleratedFailureThreshold', cause: 'too many batches failed' },
    });
  });

  it.each([
    ['TargetRejected', 'TARGET_REJECTED', 'ReportTargetRejected', 'TARGET_REJECTED'],
    ['TargetDidNotAnswer', 'TARGET_DID_NOT_ANSWER', 'ReportTargetRejected', 'TARGET_REJECTED'],
    ['SourceRejected', 'SOURCE_REJECTED', 'ReportNotApproved', 'NOT_APPROVED'],
    ['NothingToTransfer', 'NOTHING_TO_TRANSFER', 'ReportNotApproved', 'NOT_APPROVED'],
  ])('reports every certificate unmoved after %s: outcome %s, no map results', (start, outcome, report, unprocessedOutcome) => {
    const { next, written } = passesFrom(sourceDefinition, start);
    expect(written).toEqual({ '$.outcome': outcome });
    expect(next).toBe(report);
    expect(parseFinishOutboundRequest(filledIn(state(report).Parameters, run))).toMatchObject({
      resultsManifestKey: null,
      unprocessedOutcome,
    });
  });

  it.each([
    ['States.Timeout', 'APPROVAL_EXPIRED', 'EXPIRED'],
    ['RequestCancelled', 'CANCELLED', 'CANCELLED'],
  ] as const)(
    'proposes nothing when the source approval ends with %s: the request is closed, the run reported not approved',
    (error, outcome, closing) => {
      const caught = catchOf(sourceDefinition, 'RequestSourceApproval', error);
      const { next, written } = passesFrom(sourceDefinition, afterCloseStep(sourceDefinition, caught?.Next ?? '', closing));
      expect(written).toEqual({ '$.outcome': outcome });
      expect(next).toBe('ReportNotApproved');
    },
  );

  it('has no other Map than the cutover', () => {
    expect(
      Object.entries(states)
        .filter(([, candidate]) => candidate.Type === 'Map')
        .map(([name]) => name),
    ).toEqual(['CutoverEachBatch']);
  });
});

describe('the target side migration workflow', () => {
  const states = targetDefinition.States;
  const map = states.LandEachBatch as unknown as MapState & Record<string, unknown>;
  const processor = map.ItemProcessor.States;
  const run = {
    migrationId: 'eu-fleet',
    sourceRunName: 'eu-fleet-out-1700000000000',
    plan: {
      batchesKey: 'migrations/eu-fleet/runs/r/batches.json',
      mapResultsPrefix: 'p',
      requestedBy: 'alice',
      sourceAwsAccount: SOURCE_ACCOUNT,
    },
    targetApproval: { decision: 'APPROVED', approvedBy: 'dave' },
  };
  const context = {
    Map: { Item: { Value: { batch: 3, certificateIds: ['c'.repeat(64)] } } },
    Execution: {
      Name: 'eu-fleet-in-1700000000000',
      Id: 'arn:aws:states:eu-west-1:222222222222:execution:CertflowTarget-Migration:eu-fleet-in-1700000000000',
    },
    Task: { Token: 'token' },
  };

  it('answers the source once its approvers approved, then lands the batches in a Distributed Map over batches.json', () => {
    expect(states.AnswerApproved).toMatchObject({ Parameters: { decision: 'APPROVED' }, Next: 'LandEachBatch' });
    expect(map).toMatchObject({
      Type: 'Map',
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'AwaitBatchOffer' },
      ItemReader: { Resource: 'arn:<AWS::Partition>:states:::s3:getObject', Parameters: { 'Key.$': '$.plan.batchesKey' } },
      MaxConcurrency: 4,
      ResultWriter: { Parameters: { 'Prefix.$': '$.plan.mapResultsPrefix' } },
    });
    // One item is one batch: the source cut the list, the target does not batch again.
    expect(map).not.toHaveProperty('ItemBatcher');
  });

  it('waits in each item for its batch offer with a task token, then lands the batch', () => {
    const item = filledIn(map.ItemSelector ?? {}, run, context);
    const wait = processor.AwaitBatchOffer as unknown as TaskState;
    expect(wait).toMatchObject({ Resource: WAIT_FOR_TOKEN, Next: 'LandBatch', ResultPath: null });
    expect(wait.Resource.endsWith('.waitForTaskToken')).toBe(true);
    expect(parseAwaitBatchOfferRequest(filledIn(wait.Parameters.Payload ?? {}, item, context))).toEqual({
      sourceRunName: run.sourceRunName,
      batch: 3,
      taskToken: 'token',
    });
    const land = processor.LandBatch as unknown as TaskState;
    expect(land).toMatchObject({ Resource: expect.stringMatching(/^<InboundMigrationLandFunction[0-9A-F]{8}\.Arn>$/), End: true });
    expect(parseLandBatchRequest(filledIn(land.Parameters, item), 'invocation-1')).toMatchObject({
      sourceRunName: run.sourceRunName,
      runName: context.Execution.Name,
      batch: 3,
      certificateIds: ['c'.repeat(64)],
      offered: true,
      approvedBy: 'dave',
      sourceAwsAccount: SOURCE_ACCOUNT,
    });
  });

  it('reports a batch never offered in time as not offered, with the same function', () => {
    expect(catchOf({ States: processor }, 'AwaitBatchOffer', 'States.Timeout')?.Next).toBe('ReportBatchNotOffered');
    const report = processor.ReportBatchNotOffered as unknown as TaskState;
    expect(report.Resource).toBe((processor.LandBatch as unknown as TaskState).Resource);
    expect(report.Parameters).toMatchObject({ offered: false });
  });

  it('answers a rejection, an expiry, a cancellation and a landing not possible, and lands nothing then', () => {
    for (const answer of ['AnswerRejected', 'AnswerExpired', 'AnswerCancelled', 'AnswerLandingNotPossible']) {
      expect(states[answer]).toMatchObject({ Type: 'Task' });
      expect(states[answer]?.Next).not.toBe('LandEachBatch');
    }
    expect(
      Object.entries(states)
        .filter(([, candidate]) => candidate.Next === 'LandEachBatch')
        .map(([name]) => name),
    ).toEqual(['AnswerApproved']);
  });
});

describe('migration settings given on the command line', () => {
  const { source: configured } = certflowApp({ 'certflow:migrationBatchSize': '40', 'certflow:migrationMaxConcurrency': '4' });
  const template = templateOf(configured);

  it('are read as numbers, and split the default quota of 10 requests a second between the concurrent batches', () => {
    expect(definitionOf(template, 'CertflowSource-Migration').States.CutoverEachBatch).toMatchObject({
      ItemBatcher: { MaxItemsPerBatch: 40 },
      MaxConcurrency: 4,
      ToleratedFailurePercentage: 10,
    });
    const quotas = Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([id]) => id.startsWith('OutboundMigration'))
      .map(
        ([, resource]) =>
          (resource as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties.Environment?.Variables?.[
            HANDLER_ENVIRONMENT.iotRequestsPerSecond
          ],
      );
    expect(quotas).toEqual(['2.5', '2.5', '2.5', '2.5']);
  });
});
