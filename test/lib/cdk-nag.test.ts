import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SourceSideStack, TargetSideStack } from '../../lib/certflow-stacks';
import { APPROVERS_CONTEXT, REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT } from './certflow-app-fixture';

/** The CDK's validation report; a violation names its resources, its constructs, both or neither. */
interface ValidationReport {
  pluginReports?: Array<{
    violations?: Array<{
      ruleName: string;
      description: string;
      violatingResources?: Array<{ resourceLogicalId?: string; constructPath?: string }>;
      violatingConstructs?: Array<{ constructPath?: string }>;
    }>;
  }>;
}

describe('cdk-nag AwsSolutions', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'certflow-nag-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('finds nothing unacknowledged on either side', () => {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...APPROVERS_CONTEXT } });
    new SourceSideStack(app, 'CertflowSource', { env: { account: SOURCE_ACCOUNT, region: REGION } });
    new TargetSideStack(app, 'CertflowTarget', { env: { account: TARGET_ACCOUNT, region: REGION } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    let failure: unknown;
    try {
      app.synth();
    } catch (error) {
      failure = error;
    }
    const reports = ['validation-report.json', 'policy-validation-report.json']
      .map((name) => path.join(outdir, name))
      .filter((file) => existsSync(file))
      .map((file) => JSON.parse(readFileSync(file, 'utf8')) as ValidationReport);
    const findings = reports.flatMap((report) => report.pluginReports ?? []).flatMap((plugin) => plugin.violations ?? []).flatMap((violation) => {
      const where = [
        ...(violation.violatingResources ?? []).map((resource) => resource.resourceLogicalId ?? resource.constructPath ?? '?'),
        ...(violation.violatingConstructs ?? []).map((construct) => construct.constructPath ?? '?'),
      ];
      return (where.length > 0 ? where : ['(no resource named)']).map((place) => `${violation.ruleName} ${place}: ${violation.description.slice(0, 100)}`);
    });
    expect(findings).toEqual([]);
    expect(failure).toBeUndefined();
  });
});
