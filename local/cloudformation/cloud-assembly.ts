import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { readTemplate, type CfnTemplate } from './cloudformation-template';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const SOURCES_OF_THE_APP = ['bin', 'lib', 'lambdas', 'cdk.json', 'package-lock.json'];

export interface SynthesizedStack {
  stackName: string;
  template: CfnTemplate;
  /** The folder the template's asset paths are relative to. */
  assemblyDir: string;
}

/**
 * Runs `cdk synth` (offline, no Docker) when the cloud assembly is missing, older than
 * the app's sources, or was synthesized with other `context` (given as `-c key=value`).
 */
export function ensureSynthesized(
  assemblyDir: string,
  log: (line: string) => void = () => undefined,
  context: Record<string, string> = {},
): void {
  const manifest = path.join(assemblyDir, 'manifest.json');
  const contextFile = path.join(assemblyDir, 'certflow-context.json');
  const wanted = JSON.stringify(context);
  const sameContext = existsSync(contextFile) ? readFileSync(contextFile, 'utf8') === wanted : Object.keys(context).length === 0;
  if (existsSync(manifest) && sameContext && newestSourceChange() <= statSync(manifest).mtimeMs) return;
  log(`synthesizing the CDK app into ${assemblyDir} ...`);
  const contextArguments = Object.entries(context).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
  execFileSync(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--output', assemblyDir, ...contextArguments], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  writeFileSync(contextFile, wanted);
}

export function readSynthesizedStacks(assemblyDir: string): SynthesizedStack[] {
  const manifest = JSON.parse(readFileSync(path.join(assemblyDir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string }; displayName?: string }>;
  };
  return Object.entries(manifest.artifacts ?? {})
    .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile)
    .map(([stackName, artifact]) => ({
      stackName,
      template: readTemplate(path.join(assemblyDir, artifact.properties?.templateFile ?? '')),
      assemblyDir,
    }));
}

function newestSourceChange(): number {
  let newest = 0;
  const visit = (entry: string): void => {
    if (!existsSync(entry)) return;
    const stat = statSync(entry);
    if (stat.isDirectory()) {
      for (const child of readdirSync(entry)) visit(path.join(entry, child));
    } else {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const source of SOURCES_OF_THE_APP) visit(path.join(PROJECT_ROOT, source));
  return newest;
}
