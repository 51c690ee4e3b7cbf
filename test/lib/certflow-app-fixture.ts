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
}

export const APPROVERS_CONTEXT = {
  'certflow:sourceApprovers': ['alice@example.com', 'bob@example.com'],
  'certflow:targetApprovers': ['tara@example.com'],
  'certflow:alarmEmails': ['ops@example.com'],
};

/** Both sides as `cdk deploy` would deploy them into two accounts. Bundling is covered by the synth test. */
export function certflowApp(context: Record<string, unknown> = {}): { app: App; source: SourceSideStack; target: TargetSideStack } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...APPROVERS_CONTEXT, ...context } });
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
