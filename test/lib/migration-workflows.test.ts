import { Match, type Template } from 'aws-cdk-lib/assertions';
import { HANDLER_ENVIRONMENT } from '../../lambdas/handlers/handler-environment';
import { MIGRATION_PROGRESS_KEY } from '../../lambdas/migration/migration-progress';
import { actionsOf, certflowApp, definitionOf, grantsOf, templateOf, withoutHash } from './certflow-app-fixture';

// Not the defaults, so that a value the CDK app ignored would show.
const { source, target } = certflowApp({
  'certflow:iotRequestsPerSecond': 20,
  'certflow:migrationBatchSize': 25,
  'certflow:migrationMaxConcurrency': 4,
  'certflow:migrationToleratedFailurePercent': 5,
});

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

describe.each([
  [
    'source',
    templateOf(source),
    {
      stateMachineName: 'CertflowSource-Migration',
      constructId: 'OutboundMigration',
      functions: ['Finish', 'Inspect', 'Plan', 'Summarize', 'Transfer'],
      maps: { InspectEachCertificate: 'Inspect', TransferEachCertificate: 'Transfer' },
      approval: 'RequestSourceApproval',
    },
  ],
  [
    'target',
    templateOf(target),
    {
      stateMachineName: 'CertflowTarget-Migration',
      constructId: 'InboundMigration',
      functions: ['Answer', 'Finish', 'Plan'],
      maps: { AnswerEachOffer: 'Answer' },
      approval: 'RequestTargetApproval',
    },
  ],
])('the %s side migration', (_side, template, expected) => {
  const bucketId = logicalIdOf(template, 'AWS::S3::Bucket', /^MigrationStorageFiles[0-9A-F]{8}$/);
  const progressTableId = logicalIdOf(template, 'AWS::DynamoDB::Table', /^MigrationStorageProgress[0-9A-F]{8}$/);
  const stateMachineId = logicalIdOf(template, 'AWS::StepFunctions::StateMachine', new RegExp(`^${expected.constructId}WorkflowStateMachine[0-9A-F]{8}$`));
  const definition = definitionOf(template, expected.stateMachineName);
  const migrationFunctions = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) => withoutHash(id).startsWith(expected.constructId));

  it('keeps its files in a bucket that blocks public access, refuses plain HTTP and expires them', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Status: 'Enabled', ExpirationInDays: 90 })]) },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
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
    expect(migrationFunctions.map(([id]) => withoutHash(id)).sort()).toEqual(expected.functions.map((name) => `${expected.constructId}${name}Function`));
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
    const fileGrants = grantsOf(template).filter((grant) => actionsOf(grant.statement).some((action) => action.startsWith('s3:')));
    expect(fileGrants.length).toBeGreaterThan(0);
    for (const { holders, statement } of fileGrants) {
      expect(holders).toHaveLength(1);
      const [holder = ''] = holders;
      expect(withoutHash(holder)).toMatch(new RegExp(`^${expected.constructId}`));
      if (holder === stateMachineId) {
        expect(MAP_FILE_ACTIONS).toEqual(expect.arrayContaining(actionsOf(statement)));
        expect(statement.Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: bucketId }, '/*']] });
      } else {
        expect(actionsOf(statement).sort()).toEqual(MIGRATION_FILE_ACTIONS);
        expect(statement.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/migrations/*']] });
      }
    }
  });

  it('lets only the migration functions count progress', () => {
    const progressGrants = grantsOf(template).filter((grant) => JSON.stringify(grant.statement.Resource).includes(progressTableId));
    expect(progressGrants.flatMap((grant) => grant.holders.map(withoutHash)).sort()).toEqual(expected.functions.map((name) => `${expected.constructId}${name}Function`));
    for (const { statement } of progressGrants) expect(actionsOf(statement).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
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
      .map((resource) => (resource as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties.Environment?.Variables?.[HANDLER_ENVIRONMENT.iotRequestsPerSecond])
      .filter((quota) => quota !== undefined);
    expect(quotas).toEqual(['2.5', '2.5', '2.5']);
  });
});
