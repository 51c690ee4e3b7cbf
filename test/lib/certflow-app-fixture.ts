import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SourceSideStack, TargetSideStack } from '../../lib/certflow-stacks';

export const SOURCE_ACCOUNT = '111111111111';
export const TARGET_ACCOUNT = '222222222222';
export const REGION = 'eu-west-1';

export interface PolicyStatement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
  Condition?: unknown;
}

export const APPROVERS_CONTEXT = {
  'certflow:sourceApprovers': ['alice@example.com', 'bob@example.com'],
  'certflow:targetApprovers': ['tara@example.com'],
  'certflow:alarmEmails': ['ops@example.com'],
};

/** Both sides as `cdk deploy` would deploy them into two accounts. Bundling is covered by the synth test. */
export function certflowApp(context: Record<string, unknown> = {}): { app: App; source: SourceSideStack; target: TargetSideStack } {
  const app = new App({
    context: {
      'aws:cdk:bundling-stacks': [],
      'certflow:sourceAccount': SOURCE_ACCOUNT,
      'certflow:targetAccount': TARGET_ACCOUNT,
      ...APPROVERS_CONTEXT,
      ...context,
    },
  });
  const source = new SourceSideStack(app, 'CertflowSource', { env: { account: SOURCE_ACCOUNT, region: REGION } });
  const target = new TargetSideStack(app, 'CertflowTarget', { env: { account: TARGET_ACCOUNT, region: REGION } });
  return { app, source, target };
}

export function statementsOf(template: Template, policyNamePattern?: RegExp): PolicyStatement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .map((policy) => (policy as { Properties: { PolicyName: string; PolicyDocument: { Statement: PolicyStatement[] } } }).Properties)
    .filter((properties) => !policyNamePattern || policyNamePattern.test(properties.PolicyName))
    .flatMap((properties) => properties.PolicyDocument.Statement);
}

export function actionsOf(statement: PolicyStatement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

export function templateOf(stack: Stack): Template {
  return Template.fromStack(stack);
}

/** A logical id without the hash the CDK appends (`OutboundTransferPrepareFunction0D266A7D` → `OutboundTransferPrepareFunction`). */
export function withoutHash(logicalId: string): string {
  return logicalId.replace(/[0-9A-F]{8}$/, '');
}

export interface Grant {
  /** Logical ids of the functions and state machines whose role holds the statement. */
  holders: string[];
  statement: PolicyStatement;
}

type RoleUser = { Properties: { Role?: unknown; RoleArn?: unknown } };
type AttachedPolicy = { Properties: { Roles?: Array<{ Ref?: string }>; PolicyDocument: { Statement: PolicyStatement[] } } };

function roleIdOf(arn: unknown): string | undefined {
  const getAtt = (arn as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
  return getAtt?.[1] === 'Arn' ? getAtt[0] : undefined;
}

/** Every statement of the template's policies, with who holds it (through the role it is attached to). */
export function grantsOf(template: Template): Grant[] {
  const usersOfRole = new Map<string, string[]>();
  const users = { ...template.findResources('AWS::Lambda::Function'), ...template.findResources('AWS::StepFunctions::StateMachine') };
  for (const [logicalId, resource] of Object.entries(users)) {
    const { Role, RoleArn } = (resource as RoleUser).Properties;
    const roleId = roleIdOf(Role ?? RoleArn);
    if (roleId) usersOfRole.set(roleId, [...(usersOfRole.get(roleId) ?? []), logicalId]);
  }
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) => {
    const { Roles = [], PolicyDocument } = (policy as AttachedPolicy).Properties;
    const holders = Roles.flatMap((role) => usersOfRole.get(role.Ref ?? '') ?? [`<unused role ${role.Ref ?? '?'}>`]);
    return PolicyDocument.Statement.map((statement) => ({ holders, statement }));
  });
}

/** Who may call `action` (logical ids without their hash, sorted). */
export function holdersOf(template: Template, action: string): string[] {
  const holders = grantsOf(template)
    .filter((grant) => actionsOf(grant.statement).includes(action))
    .flatMap((grant) => grant.holders.map(withoutHash));
  return [...new Set(holders)].sort();
}

/**
 * A state machine's definition, parsed; the intrinsics in it written as cdk-nag writes
 * them: `<LogicalId>` for a Ref, `<LogicalId.Arn>` for a GetAtt.
 */
export function definitionOf(template: Template, stateMachineName: string): { States: Record<string, Record<string, unknown>> } {
  const [stateMachine] = Object.values(
    template.findResources('AWS::StepFunctions::StateMachine', { Properties: { StateMachineName: stateMachineName } }),
  );
  const definition = (stateMachine as { Properties: { DefinitionString: string | { 'Fn::Join': [string, unknown[]] } } } | undefined)
    ?.Properties.DefinitionString;
  if (definition === undefined) throw new Error(`no state machine named ${stateMachineName}`);
  const text = typeof definition === 'string' ? definition : definition['Fn::Join'][1].map(intrinsicAsText).join(definition['Fn::Join'][0]);
  return JSON.parse(text) as { States: Record<string, Record<string, unknown>> };
}

function intrinsicAsText(part: unknown): string {
  if (typeof part === 'string') return part;
  const intrinsic = part as { Ref?: string; 'Fn::GetAtt'?: string[] };
  if (intrinsic.Ref !== undefined) return `<${intrinsic.Ref}>`;
  if (intrinsic['Fn::GetAtt']) return `<${intrinsic['Fn::GetAtt'].join('.')}>`;
  throw new Error(`unexpected intrinsic in a definition: ${JSON.stringify(part)}`);
}
