import { Match, type Template } from 'aws-cdk-lib/assertions';
import { HANDLER_ENVIRONMENT } from '../../lambdas/handlers/handler-environment';
import { MIGRATION_PROGRESS_KEY } from '../../lambdas/migration/migration-progress';
import { parseAnswerBatch, parseFinishRunRequest, parseSummarizeRequest } from '../../lambdas/migration/migration-requests';
import { APPROVAL_EXPIRED_REASON, REVIEW_CANCELLED_REASON } from '../../lib/inbound-transfer-workflow';
import {
  actionsOf,
  certflowApp,
  definitionOf,
  grantsOf,
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
const MIGRATION_FILE_ACTIONS = ['s3:GetObject', 's3:PutObject'];
// What the CDK grants a Distributed Map's ItemReader and ResultWriter.
const MAP_FILE_ACTIONS = [...MIGRATION_FILE_ACTIONS, 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'];

function logicalIdOf(template: Template, type: string, pattern: RegExp): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => pattern.test(id));
  expect(ids).toHaveLength(1);
  return ids[0] ?? '';
}

type MapState = {
  Type: string;
  ItemBatcher: { MaxItemsPerBatch: number; BatchInput: Record<string, string> };
  ResultWriter: Record<string, unknown>;
};
type Definition = ReturnType<typeof definitionOf>;

/** The value at a `$.a.b` path of a state; undefined when the path selects nothing. */
function valueAt(state: unknown, path: string): unknown {
  return path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)
    .reduce<unknown>(
      (value, key) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined),
      state,
    );
}

/** What a step's Parameters (or a map's BatchInput) hand on for `state`: each `key.$` path filled in, the rest as written. */
function filledIn(parameters: Record<string, unknown>, state: unknown): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(parameters).map(([key, value]) =>
      key.endsWith('.$') ? [key.slice(0, -2), valueAt(state, String(value))] : [key, value],
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

describe.each([
  [
    'source',
    sourceTemplate,
    {
      stateMachineName: 'CertflowSource-Migration',
      constructId: 'OutboundMigration',
      functions: ['Finish', 'Inspect', 'Plan', 'Summarize', 'Transfer'],
      maps: { InspectEachCertificate: 'Inspect', TransferEachCertificate: 'Transfer' },
      approval: 'RequestSourceApproval',
      fileUsers: ['Finish', 'Plan', 'Summarize'],
      progressCounters: ['Inspect', 'Plan', 'Summarize', 'Transfer'],
      finishLists: 'iot:ListOutgoingCertificates',
    },
  ],
  [
    'target',
    targetTemplate,
    {
      stateMachineName: 'CertflowTarget-Migration',
      constructId: 'InboundMigration',
      functions: ['Answer', 'Finish', 'Plan'],
      maps: { AnswerEachOffer: 'Answer' },
      approval: 'RequestTargetApproval',
      fileUsers: ['Finish', 'Plan'],
      progressCounters: ['Answer', 'Plan'],
      finishLists: 'iot:ListCertificates',
    },
  ],
])('the %s side migration', (_side, template, expected) => {
  const bucketId = logicalIdOf(template, 'AWS::S3::Bucket', /^MigrationStorageFiles[0-9A-F]{8}$/);
  const progressTableId = logicalIdOf(template, 'AWS::DynamoDB::Table', /^MigrationStorageProgress[0-9A-F]{8}$/);
  const stateMachineId = logicalIdOf(
    template,
    'AWS::StepFunctions::StateMachine',
    new RegExp(`^${expected.constructId}WorkflowStateMachine[0-9A-F]{8}$`),
  );
  const definition = definitionOf(template, expected.stateMachineName);
  const migrationFunctions = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) =>
    withoutHash(id).startsWith(expected.constructId),
  );
  const functionsNamed = (names: string[]) => names.map((name) => `${expected.constructId}${name}Function`);

  it('keeps its files in a bucket that blocks public access, refuses plain HTTP and expires them', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Status: 'Enabled', ExpirationInDays: 90 })]) },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
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

  it('runs a Distributed Map over the items in the migration bucket, in batches of the configured size and concurrency, its results written back to the bucket', () => {
    const maps = Object.entries(definition.States).filter(([, state]) => state.Type === 'Map');
    expect(maps.map(([name]) => name).sort()).toEqual(Object.keys(expected.maps).sort());
    for (const [name, state] of maps) {
      expect(state).toMatchObject({
        ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
        ItemReader: {
          Resource: 'arn:<AWS::Partition>:states:::s3:getObject',
          ReaderConfig: { InputType: 'JSON' },
          Parameters: { Bucket: `<${bucketId}>`, 'Key.$': expect.stringMatching(/^\$\./) },
        },
        ItemBatcher: { MaxItemsPerBatch: 25 },
        MaxConcurrency: 4,
        ToleratedFailurePercentage: 5,
        ResultWriter: {
          Resource: 'arn:<AWS::Partition>:states:::s3:putObject',
          Parameters: { Bucket: `<${bucketId}>`, 'Prefix.$': expect.stringMatching(/^\$\./) },
        },
      });
      // WriterConfig (output transformations) would change the files the finish step reads.
      expect((state as MapState).ResultWriter).not.toHaveProperty('WriterConfig');
      const batchFunction = `${expected.constructId}${expected.maps[name as keyof typeof expected.maps]}Function`;
      expect(JSON.stringify(state.ItemProcessor)).toMatch(new RegExp(`"Resource":"<${batchFunction}[0-9A-F]{8}\\.Arn>"`));
    }
  });

  it('gives every batch its run as paths into the state (BatchInput keys ending in .$)', () => {
    for (const [, state] of Object.entries(definition.States).filter(([, candidate]) => candidate.Type === 'Map')) {
      const batchInput = Object.entries((state as MapState).ItemBatcher.BatchInput);
      expect(batchInput.map(([key]) => key)).toContain('runName.$');
      for (const [key, path] of batchInput) {
        expect(key).toMatch(/\.\$$/);
        expect(path).toMatch(/^\$\./);
      }
    }
  });

  it('asks the approvers once, for the whole migration on its summary, not for a certificate', () => {
    expect(JSON.stringify(definition).match(/lambda:invoke\.waitForTaskToken/g)).toHaveLength(1);
    const approval = definition.States[expected.approval];
    expect(approval).toMatchObject({
      Resource: 'arn:<AWS::Partition>:states:::lambda:invoke.waitForTaskToken',
      TimeoutSeconds: 86400,
      Parameters: { Payload: { 'taskToken.$': '$$.Task.Token', 'migration.$': expect.stringMatching(/\.summary$/) } },
    });
    const payload = (approval as { Parameters: { Payload: Record<string, unknown> } }).Parameters.Payload;
    expect(Object.keys(payload).filter((key) => /^certificate/i.test(key))).toEqual([]);
  });

  it('gives every migration function 15 minutes, its files, its progress table and its share of the IoT quota (quota / max concurrency)', () => {
    expect(migrationFunctions.map(([id]) => withoutHash(id)).sort()).toEqual(
      expected.functions.map((name) => `${expected.constructId}${name}Function`),
    );
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

  it('lets only the migration functions and state machine use the migration files: the functions under migrations/ only', () => {
    // The approval page's GetObject of the certificate lists is asserted with the page (test/lib/certflow-stacks.test.ts).
    const isApprovalPage = (holder: string) => /^(Source|Target)ApprovalsPageFunction/.test(holder);
    const fileGrants = grantsOf(template).filter(
      (grant) => actionsOf(grant.statement).some((action) => action.startsWith('s3:')) && !grant.holders.every(isApprovalPage),
    );
    expect(fileGrants.length).toBeGreaterThan(0);
    const functionHolders = fileGrants.flatMap((grant) => grant.holders).filter((holder) => holder !== stateMachineId);
    expect([...new Set(functionHolders.map(withoutHash))].sort()).toEqual(functionsNamed(expected.fileUsers));
    for (const { holders, statement } of fileGrants) {
      expect(holders).toHaveLength(1);
      const [holder = ''] = holders;
      expect(withoutHash(holder)).toMatch(new RegExp(`^${expected.constructId}`));
      if (holder === stateMachineId) {
        expect(MAP_FILE_ACTIONS).toEqual(expect.arrayContaining(actionsOf(statement)));
        expect(statement.Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: bucketId }, '/*']] });
      } else {
        if (actionsOf(statement).includes('s3:ListBucket')) {
          // Listing is what makes S3 answer a missing file with NoSuchKey; only the migrations/ prefix.
          expect(actionsOf(statement)).toEqual(['s3:ListBucket']);
          expect(statement.Resource).toEqual({ 'Fn::GetAtt': [bucketId, 'Arn'] });
          expect(statement.Condition).toEqual({ StringLike: { 's3:prefix': ['migrations/*'] } });
        } else {
          expect(actionsOf(statement).sort()).toEqual(MIGRATION_FILE_ACTIONS);
          expect(statement.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/migrations/*']] });
        }
      }
    }
  });

  it('lets only the functions that count progress update the progress table, and none read it (only the job does)', () => {
    const progressGrants = grantsOf(template).filter((grant) => JSON.stringify(grant.statement.Resource).includes(progressTableId));
    expect(progressGrants.flatMap((grant) => grant.holders.map(withoutHash)).sort()).toEqual(functionsNamed(expected.progressCounters));
    for (const { statement } of progressGrants) expect(actionsOf(statement)).toEqual(['dynamodb:UpdateItem']);
  });

  it(`lets the finish step list what it checks failed items against (${expected.finishLists}), on * as the list Actions require, and call no other IoT Action`, () => {
    const [finish = ''] = functionsNamed(['Finish']);
    const iotGrants = grantsOf(template).filter(
      (grant) => grant.holders.map(withoutHash).includes(finish) && actionsOf(grant.statement).some((action) => action.startsWith('iot:')),
    );
    expect(iotGrants.map((grant) => [actionsOf(grant.statement), grant.statement.Resource])).toEqual([[[expected.finishLists], '*']]);
  });
});

describe('the source side migration workflow', () => {
  const template = sourceTemplate;
  const definition = definitionOf(template, 'CertflowSource-Migration');
  const request = {
    migrationId: 'eu-fleet',
    runName: 'eu-fleet-out-1700000000000',
    executionId: 'arn:execution',
    targetAwsAccount: TARGET_ACCOUNT,
    transferMessage: null,
    requestedBy: 'alice',
    reason: null,
  };
  const plan = {
    certificateCount: 3,
    duplicateCount: 0,
    itemsKey: 'inspect-items.json',
    itemCount: 0,
    settledKey: 'planned.json',
    settledCount: 3,
    mapResultsPrefix: 'map-results',
  };

  it('skips the inspect map when the plan left nothing to inspect', () => {
    expect(definition.States.PlanMigration?.Next).toBe('AnythingToInspect');
    expect(definition.States.AnythingToInspect).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.plan.itemCount', NumericEquals: 0, Next: 'NothingToInspect' }],
      Default: 'InspectEachCertificate',
    });
    expect(passesFrom(definition, 'NothingToInspect').next).toBe('SummarizeInspection');
    expect(definition.States.InspectEachCertificate?.Next).toBe('SummarizeInspection');
  });

  it('summarizes a skipped inspection as one without results: the inspection manifest key it hands on is null', () => {
    const { written } = passesFrom(definition, 'NothingToInspect');
    const state = {
      request,
      plan,
      ...Object.fromEntries(Object.entries(written).map(([path, value]) => [path.replace(/^\$\./, ''), value])),
    };
    const parameters = definition.States.SummarizeInspection?.Parameters as Record<string, unknown>;
    expect(parseSummarizeRequest(filledIn(parameters, state))).toMatchObject({
      migrationId: 'eu-fleet',
      inspectionManifestKey: null,
      plan: { itemCount: 0 },
    });
  });

  it.each([
    ['States.Timeout', 'APPROVAL_EXPIRED', 'EXPIRED'],
    ['RequestCancelled', 'CANCELLED', 'CANCELLED'],
  ] as const)(
    'transfers nothing when the source approval ends with %s: the request is closed, every certificate is reported not approved',
    (error, outcome, closing) => {
      const caught = catchOf(definition, 'RequestSourceApproval', error);
      expect(caught).toBeDefined();
      const { next, written } = passesFrom(definition, afterCloseStep(definition, caught?.Next ?? '', closing));
      expect(written).toEqual({ '$.outcome': outcome });
      expect(next).toBe('ReportNotApproved');
      const parameters = definition.States.ReportNotApproved?.Parameters as Record<string, unknown>;
      const finish = parseFinishRunRequest(
        filledIn(parameters, { request, inspected: { settledKey: 'inspected.json', itemsKey: 'transfer-items.json' } }),
      );
      expect(finish).toMatchObject({ resultsManifestKey: null, unprocessedOutcome: 'NOT_APPROVED' });
    },
  );

  it('checks the failed transfers against the offers pending to the target account', () => {
    const parameters = definition.States.ReportTransfers?.Parameters as Record<string, unknown>;
    const state = {
      request,
      inspected: { settledKey: 'inspected.json', itemsKey: 'transfer-items.json' },
      transfers: { ResultWriterDetails: { Key: 'map-results/manifest.json' } },
    };
    expect(parseFinishRunRequest(filledIn(parameters, state))).toMatchObject({
      reconcile: 'OFFERS',
      targetAwsAccount: TARGET_ACCOUNT,
      resultsManifestKey: 'map-results/manifest.json',
    });
  });

  it('lets the plan Query only the indexes of the audit table, and neither read nor write its rows', () => {
    const auditTableArn = {
      'Fn::GetAtt': [Object.keys(template.findResources('AWS::DynamoDB::Table')).find((id) => /^AuditTable[0-9A-F]{8}$/.test(id)), 'Arn'],
    };
    const auditGrants = grantsOf(template).filter(
      (grant) =>
        grant.holders.map(withoutHash).includes('OutboundMigrationPlanFunction') &&
        JSON.stringify(grant.statement.Resource).includes(JSON.stringify(auditTableArn)),
    );
    expect(auditGrants.map((grant) => [actionsOf(grant.statement), grant.statement.Resource])).toEqual([
      [['dynamodb:Query'], { 'Fn::Join': ['', [auditTableArn, '/index/*']] }],
    ]);
  });
});

describe('the target side migration workflow', () => {
  const definition = definitionOf(targetTemplate, 'CertflowTarget-Migration');
  const request = {
    migrationId: 'eu-fleet',
    runName: 'eu-fleet-in-1700000000000',
    executionId: 'arn:execution',
    requestedBy: 'alice',
    reason: null,
  };
  const plan = {
    sourceAwsAccount: SOURCE_ACCOUNT,
    itemsKey: 'answer-items.json',
    itemCount: 2,
    settledKey: 'planned.json',
    mapResultsPrefix: 'map-results',
  };

  it.each([
    ['States.Timeout', APPROVAL_EXPIRED_REASON, 'APPROVAL_EXPIRED', 'EXPIRED'],
    ['RequestCancelled', REVIEW_CANCELLED_REASON, 'CANCELLED', 'CANCELLED'],
  ] as const)(
    'rejects every offer when the target approval ends with %s, as certflow and with the reason, once the request is closed',
    (error, rejectReason, outcome, closing) => {
      const caught = catchOf(definition, 'RequestTargetApproval', error);
      expect(caught).toBeDefined();
      const { next, written } = passesFrom(definition, afterCloseStep(definition, caught?.Next ?? '', closing));
      expect(next).toBe('AnswerEachOffer');
      expect(written['$.outcome']).toBe(outcome);
      expect(written['$.targetApproval']).toMatchObject({ decision: 'REJECTED', approvedBy: 'certflow', rejectReason });

      // What each answer batch then gets: a rejection, with the reason, that the batch accepts.
      const batchInput = (definition.States.AnswerEachOffer as MapState).ItemBatcher.BatchInput;
      const state = { request, plan, targetApproval: written['$.targetApproval'] };
      const batch = parseAnswerBatch(
        { Items: [{ certificateId: 'c'.repeat(64) }], BatchInput: filledIn(batchInput, state) },
        'invocation-1',
      );
      expect(batch.context).toMatchObject({
        decision: 'REJECTED',
        rejectReason,
        approvedBy: 'certflow',
        sourceAwsAccount: SOURCE_ACCOUNT,
        setAsActive: false,
      });
    },
  );

  it('checks the failed answers against the certificates now in this account', () => {
    const parameters = definition.States.ReportAnswers?.Parameters as Record<string, unknown>;
    const state = { request, plan, answers: { ResultWriterDetails: { Key: 'map-results/manifest.json' } } };
    expect(parseFinishRunRequest(filledIn(parameters, state))).toMatchObject({
      reconcile: 'ACCEPTANCES',
      targetAwsAccount: null,
      resultsManifestKey: 'map-results/manifest.json',
    });
  });
});

describe('migration settings given on the command line', () => {
  const { target: configured } = certflowApp({ 'certflow:migrationBatchSize': '40', 'certflow:migrationMaxConcurrency': '4' });
  const template = templateOf(configured);

  it('are read as numbers, and split the default quota of 10 requests a second between the concurrent batches', () => {
    expect(definitionOf(template, 'CertflowTarget-Migration').States.AnswerEachOffer).toMatchObject({
      ItemBatcher: { MaxItemsPerBatch: 40 },
      MaxConcurrency: 4,
      ToleratedFailurePercentage: 10,
    });
    const quotas = Object.values(template.findResources('AWS::Lambda::Function'))
      .map(
        (resource) =>
          (resource as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties.Environment?.Variables?.[
            HANDLER_ENVIRONMENT.iotRequestsPerSecond
          ],
      )
      .filter((quota) => quota !== undefined);
    expect(quotas).toEqual(['2.5', '2.5', '2.5']);
  });
});
