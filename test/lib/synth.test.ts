import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildSync } from 'esbuild';
import type { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { LocalStackResources, type CfnTemplate } from '../../local/cloudformation/cloudformation-template';
import { SourceSideStack, TargetSideStack } from '../../lib/certflow-stacks';
import { APPROVERS_CONTEXT, SOURCE_ACCOUNT, TARGET_ACCOUNT } from './certflow-app-fixture';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };

type Resources = Record<string, { Type: string; Metadata?: Record<string, string>; Properties?: Record<string, unknown> }>;

const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/**
 * The modules a bundle loads from outside itself, Node's builtins excepted: esbuild parses
 * the bundle (a require in a string is no require) and lists what it would leave external.
 */
function externalModulesOf(bundleFile: string): string[] {
  const { metafile } = buildSync({
    entryPoints: [bundleFile],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    packages: 'external',
    logLevel: 'silent',
  });
  const external = Object.values(metafile.inputs)
    .flatMap((input) => input.imports)
    .filter((imported) => imported.external && !NODE_BUILTINS.has(imported.path))
    .map((imported) => imported.path);
  return [...new Set(external)].sort();
}

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
  const functionsOf = () =>
    artifacts
      .flatMap((artifact) => Object.entries(artifact.template.Resources as Resources))
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function');
  const bundleFileOf = (resource: Resources[string]) => path.join(outdir, resource.Metadata?.['aws:asset:path'] ?? '', 'index.js');

  it('bundles every handler locally with esbuild, without Docker', () => {
    const functions = functionsOf().map(([, resource]) => resource);
    // Source: 2 Action functions, 5 approval functions, 6 transfer steps (inspect, prepare, restore,
    // follow, exchange with the target, its receiver), the followed-offer sweep, 5 migration steps, the start API's start and
    // verify functions; target: 2 Action functions, 5 approval functions, the poller, 3 proposal review steps (review, land,
    // receiver), 3 migration steps.
    expect(functions).toHaveLength(35);
    for (const resource of functions) {
      const assetPath = resource.Metadata?.['aws:asset:path'];
      expect(assetPath).toBeDefined();
      const bundle = bundleFileOf(resource);
      expect(existsSync(bundle)).toBe(true);
      expect(readFileSync(bundle, 'utf8')).toMatch(/\.handler=|handler:\(\)=>/);
    }
  });

  it('bundles the AWS SDK and every other package: no bundle loads a module from outside itself but Node builtins', () => {
    const functions = functionsOf();
    expect(functions.length).toBeGreaterThan(0);
    const loadedFromOutside = Object.fromEntries(
      functions.map(([logicalId, resource]) => [logicalId, externalModulesOf(bundleFileOf(resource))]),
    );
    const expected = Object.fromEntries(functions.map(([logicalId]) => [logicalId, []]));
    expect(loadedFromOutside).toEqual(expected);
    // The check sees an SDK left outside a bundle (what NodejsFunction's default writes), not one named in a string.
    const sample = path.join(outdir, 'external-sdk-sample.js');
    writeFileSync(
      sample,
      'const iot = require("@aws-sdk/client-iot"); const fs = require("node:fs"); throw new Error(\'call [require("@aws-sdk/signature-v4a");]\');',
    );
    expect(externalModulesOf(sample)).toEqual(['@aws-sdk/client-iot']);
  });

  it('leaves the IoT SDK out of the functions that call no IoT Action', () => {
    // The IoT client's service id, present in any bundle that holds @aws-sdk/client-iot.
    const holdsIotClient = (resource: Resources[string]) => readFileSync(bundleFileOf(resource), 'utf8').includes('"AWSIotService"');
    const withIotClient = functionsOf()
      .filter(([, resource]) => holdsIotClient(resource))
      .map(([logicalId]) => logicalId.replace(/[0-9A-F]{8}$/, ''));
    expect(withIotClient.length).toBeGreaterThan(0);
    // The approval functions import lambda-runtime (for its logger and handler wrapper) but no IoT client.
    expect(withIotClient.filter((logicalId) => logicalId.includes('Approvals'))).toEqual([]);
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
    // Each side's transfer workflow and its migration workflow (Distributed Maps), and the target's proposal review.
    expect(checked).toBe(5);
  });
});
