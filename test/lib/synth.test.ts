import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { CertflowStack } from '../../lib/certflow-stack';

describe('synthesis', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'certflow-synth-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('bundles every handler locally with esbuild, without Docker', () => {
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    new CertflowStack(app, 'Certflow');
    const assembly = app.synth();
    const artifact = assembly.getStackByName('Certflow');
    const functions = Object.values(artifact.template.Resources as Record<string, { Type: string; Metadata?: Record<string, string> }>).filter(
      (resource) => resource.Type === 'AWS::Lambda::Function',
    );
    expect(functions).toHaveLength(4);
    for (const resource of functions) {
      const assetPath = resource.Metadata?.['aws:asset:path'];
      expect(assetPath).toBeDefined();
      const bundle = path.join(outdir, assetPath ?? '', 'index.js');
      expect(existsSync(bundle)).toBe(true);
      expect(readFileSync(bundle, 'utf8')).toContain('AUDIT_TABLE_NAME');
    }
  });
});
