import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import type { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { LocalStackResources, type CfnTemplate } from '../../local/cloudformation/cloudformation-template';
import { SourceSideStack, TargetSideStack } from '../../lib/certflow-stacks';
import { APPROVERS_CONTEXT, SOURCE_ACCOUNT, TARGET_ACCOUNT } from './certflow-app-fixture';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };

type Resources = Record<string, { Type: string; Metadata?: Record<string, string>; Properties?: Record<string, unknown> }>;

describe('synthesis', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'certflow-synth-'));
  let artifacts: CloudFormationStackArtifact[];
  beforeAll(() => {
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true, ...APPROVERS_CONTEXT } });
    new SourceSideStack(app, 'CertflowSource');
    new TargetSideStack(app, 'CertflowTarget');
    const assembly = app.synth();
    artifacts = [assembly.getStackByName('CertflowSource'), assembly.getStackByName('CertflowTarget')];
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('bundles every handler locally with esbuild, without Docker', () => {
    const functions = artifacts.flatMap((artifact) => Object.values(artifact.template.Resources as Resources)).filter((resource) => resource.Type === 'AWS::Lambda::Function');
    // Source: 2 Action functions, 5 approval functions, 6 transfer steps (inspect, prepare, restore,
    // follow, exchange with the target, its receiver), 5 migration steps; target: 2 Action functions,
    // 5 approval functions, the poller, 3 proposal review steps (review, land, receiver), 3 migration steps.
    expect(functions).toHaveLength(32);
    for (const resource of functions) {
      const assetPath = resource.Metadata?.['aws:asset:path'];
      expect(assetPath).toBeDefined();
      const bundle = path.join(outdir, assetPath ?? '', 'index.js');
      expect(existsSync(bundle)).toBe(true);
      expect(readFileSync(bundle, 'utf8')).toMatch(/\.handler=|handler:\(\)=>/);
    }
  });

  it('emits state machine definitions that asl-validator accepts', () => {
    let checked = 0;
    for (const [index, artifact] of artifacts.entries()) {
      const resources = new LocalStackResources(artifact.template as CfnTemplate, {
        accountId: index === 0 ? SOURCE_ACCOUNT : TARGET_ACCOUNT,
        region: 'us-east-1',
        stackName: artifact.stackName,
      });
      for (const [, resource] of resources.resourcesOfType('AWS::StepFunctions::StateMachine')) {
        const { DefinitionString } = resources.resolve(resource.Properties ?? {}) as { DefinitionString: string };
        const definition = JSON.parse(DefinitionString) as { States: Record<string, unknown> };
        const result = aslValidator(definition);
        expect(result.errorsText('\n')).toBe('');
        expect(result.isValid).toBe(true);
        expect(Object.keys(definition.States).length).toBeGreaterThan(3);
        checked += 1;
      }
    }
    // Each side's transfer workflow and its migration workflow (Distributed Maps).
    expect(checked).toBe(4);
  });
});
