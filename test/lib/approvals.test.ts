import { App, Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { HANDLER_ENVIRONMENT } from '../../lambdas/handlers/handler-environment';
import { Approvals, InvalidApproverError } from '../../lib/approvals';
import { actionsOf, certflowApp, definitionOf, grantsOf, templateOf, withoutHash } from './certflow-app-fixture';

const { source, target } = certflowApp();
const sides = [
  [
    'source',
    templateOf(source),
    {
      construct: 'SourceApprovals',
      workflow: 'CertflowSource-Migration',
      request: 'RequestSourceApproval',
      verify: 'VerifySourceApproval',
      resultPath: '$.sourceApproval',
      side: 'SOURCE',
      next: 'SourceDecision',
    },
  ],
  [
    'target',
    templateOf(target),
    {
      construct: 'TargetApprovals',
      workflow: 'CertflowTarget-Migration',
      request: 'RequestTargetApproval',
      verify: 'VerifyTargetApproval',
      resultPath: '$.targetApproval',
      side: 'TARGET',
      next: 'TargetDecision',
    },
  ],
] as const;

type TaskState = {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  ResultPath?: unknown;
  Next?: string;
  Retry?: Array<{ ErrorEquals: string[] }>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string }>;
};

function tableId(template: ReturnType<typeof templateOf>, pattern: RegExp): string {
  const [id = ''] = Object.keys(template.findResources('AWS::DynamoDB::Table')).filter((logicalId) => pattern.test(logicalId));
  return id;
}

describe.each(sides)('the %s side approvals', (_name, template, expected) => {
  const approvalTable = tableId(template, new RegExp(`^${expected.construct}RequestsTable[0-9A-F]{8}$`));
  const auditTable = tableId(template, /^AuditTable[0-9A-F]{8}$/);
  const definition = definitionOf(template, expected.workflow);
  const state = (name: string) => definition.States[name] as TaskState;
  const holderNamed = (suffix: string) => `${expected.construct}${suffix}Function`;

  it.each(['Verify', 'Close'])(
    'gives the %s step exactly GetItem/UpdateItem on the approval record and PutItem on the audit table',
    (step) => {
      const grants = grantsOf(template).filter(
        (grant) =>
          grant.holders.map(withoutHash).includes(holderNamed(step)) &&
          !actionsOf(grant.statement).some((action) => /^(logs|xray):/.test(action)),
      );
      expect(grants.map((grant) => [actionsOf(grant.statement).sort(), grant.statement.Resource])).toEqual([
        [['dynamodb:GetItem', 'dynamodb:UpdateItem'], { 'Fn::GetAtt': [approvalTable, 'Arn'] }],
        [['dynamodb:PutItem'], { 'Fn::GetAtt': [auditTable, 'Arn'] }],
      ]);
    },
  );

  it('tells the verify and close functions both tables', () => {
    for (const step of ['Verify', 'Close']) {
      const [fn] = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) => withoutHash(id) === holderNamed(step));
      expect(fn?.[1]).toMatchObject({
        Properties: {
          Environment: {
            Variables: {
              [HANDLER_ENVIRONMENT.approvalTableName]: { Ref: approvalTable },
              [HANDLER_ENVIRONMENT.auditTableName]: { Ref: auditTable },
            },
          },
        },
      });
    }
  });

  it('lets no approval function but verify and close write the audit table, and the page none of it', () => {
    const auditWriters = grantsOf(template)
      .filter(
        (grant) =>
          JSON.stringify(grant.statement.Resource).includes(auditTable) &&
          grant.holders.some((holder) => withoutHash(holder).startsWith(expected.construct)),
      )
      .flatMap((grant) => grant.holders.map(withoutHash));
    expect([...new Set(auditWriters)].sort()).toEqual([holderNamed('Close'), holderNamed('Verify')]);
  });

  it('verifies the migration approval right after its task, where the callback was, before anything reads the decision', () => {
    expect(state(expected.request)).toMatchObject({
      Resource: 'arn:<AWS::Partition>:states:::lambda:invoke.waitForTaskToken',
      Next: expected.verify,
    });
    const verify = state(expected.verify);
    expect(verify).toMatchObject({
      Type: 'Task',
      Parameters: { 'executionId.$': '$$.Execution.Id', side: expected.side, 'callback.$': expected.resultPath },
      ResultPath: expected.resultPath,
      Next: expected.next,
    });
    expect(verify.Resource).toMatch(new RegExp(`^<${holderNamed('Verify')}[0-9A-F]{8}\\.Arn>$`));
  });

  it('lets UnverifiedDecision fail the workflow: the verify step neither retries nor catches it', () => {
    const verify = state(expected.verify);
    expect(verify.Catch).toBeUndefined();
    const retried = (verify.Retry ?? []).flatMap((retry) => retry.ErrorEquals);
    expect(retried).toContain('ApprovalRecordUnavailable');
    expect(retried).not.toContain('UnverifiedDecision');
    expect(retried).not.toContain('States.ALL');
  });

  it.each([
    ['States.Timeout', 'CloseExpiredApproval', 'EXPIRED'],
    ['RequestCancelled', 'CloseCancelledApproval', 'CANCELLED'],
  ])('closes the request first when the approval task ends with %s', (error, closeState, status) => {
    const caught = state(expected.request).Catch?.find((catcher) => catcher.ErrorEquals.includes(error));
    expect(caught?.Next).toBe(closeState);
    expect(state(closeState)).toMatchObject({
      Type: 'Task',
      Parameters: { 'executionId.$': '$$.Execution.Id', side: expected.side, status },
      ResultPath: null,
    });
    expect(state(closeState).Resource).toMatch(new RegExp(`^<${holderNamed('Close')}[0-9A-F]{8}\\.Arn>$`));
  });
});

describe('Approvals', () => {
  function approvalsWith(approvers: string[]): () => Approvals {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Probe');
    const auditTable = new dynamodb.Table(stack, 'Audit', { partitionKey: { name: 'rowId', type: dynamodb.AttributeType.STRING } });
    return () => new Approvals(stack, 'Approvals', { side: 'SOURCE', approvers, reminderLead: Duration.hours(1), auditTable });
  }

  it.each([
    ['a display-name form', ['Bob <bob@example.com>'], /approvers\[0\]: must be a bare e-mail address/],
    ['an invisible character', ['bob@example.com\u200B'], /approvers\[0\]: must not contain control, invisible/],
    ['two spellings of one person', ['bob@example.com', 'Bob+x@example.com'], /approvers\[1\]: must not name the same person/],
  ])('refuses at synth an approver list with %s, saying what to change', (_, approvers, message) => {
    expect(approvalsWith(approvers)).toThrow(InvalidApproverError);
    expect(approvalsWith(approvers)).toThrow(message);
  });
});
