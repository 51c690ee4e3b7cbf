import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CertflowStack } from '../../lib/certflow-stack';
import { TRANSFER_ACTION_FUNCTIONS } from '../../lib/transfer-action-function';

interface PolicyStatement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
}

function synthesize(): Template {
  // Bundling is covered by the synth test; skipping it here keeps these assertions fast.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new CertflowStack(app, 'Certflow', { env: { account: '111111111111', region: 'eu-west-1' } });
  return Template.fromStack(stack);
}

function statementsOf(template: Template): PolicyStatement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => (policy as { Properties: { PolicyDocument: { Statement: PolicyStatement[] } } }).Properties.PolicyDocument.Statement,
  );
}

function actionsOf(statement: PolicyStatement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

const template = synthesize();
const THIS_ACCOUNTS_CERTIFICATES = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iot:eu-west-1:111111111111:cert/*']] };

describe('AuditTable', () => {
  it('is pay-per-request, encrypted, point-in-time recoverable and protected from deletion', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        KeySchema: [{ AttributeName: 'rowId', KeyType: 'HASH' }],
      }),
    });
  });

  it.each([
    ['byCertificate', 'certificateId'],
    ['byExecution', 'executionId'],
    ['byRequester', 'requestedBy'],
    ['byApprover', 'approvedBy'],
  ])('has the %s index keyed on %s and sorted by recordedAt', (indexName, partitionKey) => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: indexName,
          KeySchema: [
            { AttributeName: partitionKey, KeyType: 'HASH' },
            { AttributeName: 'recordedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ]),
    });
  });
});

describe('TransferActionFunction', () => {
  it('creates one Node.js 22 arm64 function per transfer Action with the audit table and account in its environment', () => {
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Runtime: 'nodejs22.x', Architectures: ['arm64'] }, 4);
    template.hasResourceProperties('AWS::Lambda::Function', {
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: Match.objectLike({
          AUDIT_TABLE_NAME: { Ref: Match.stringLikeRegexp('^AuditTable') },
          CERTFLOW_ACCOUNT_ID: '111111111111',
        }),
      },
    });
  });

  it('grants no IAM action on *, and no wildcard IoT action', () => {
    for (const statement of statementsOf(template)) {
      for (const action of actionsOf(statement)) {
        expect(action).not.toMatch(/\*/);
        if (action.startsWith('iot:')) {
          expect(statement.Resource).not.toEqual('*');
          expect(JSON.stringify(statement.Resource)).toContain(':cert/*');
        }
      }
    }
  });

  it.each(Object.entries(TRANSFER_ACTION_FUNCTIONS))('lets the %s function call only its own IoT Actions, on this account\'s certificates', (action, spec) => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { PolicyName: Match.stringLikeRegexp(`^${action}HandlerRole`) },
    });
    const statements = Object.values(policies).flatMap(
      (policy) => (policy as { Properties: { PolicyDocument: { Statement: PolicyStatement[] } } }).Properties.PolicyDocument.Statement,
    );
    const iotActions = statements.flatMap(actionsOf).filter((name) => name.startsWith('iot:'));
    expect(iotActions.sort()).toEqual([...spec.iotActions].sort());
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: spec.iotActions.length === 1 ? spec.iotActions[0] : spec.iotActions, Resource: THIS_ACCOUNTS_CERTIFICATES }),
    );
  });

  it('lets each function write only to the audit table and its indexes', () => {
    const dynamodbStatements = statementsOf(template).filter((statement) => actionsOf(statement).some((name) => name.startsWith('dynamodb:')));
    expect(dynamodbStatements).toHaveLength(4);
    for (const statement of dynamodbStatements) {
      expect(actionsOf(statement).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
      expect(JSON.stringify(statement.Resource)).toMatch(/AuditTable/);
    }
  });

  it('gives each function its own log group with a retention', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 4);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });
});
