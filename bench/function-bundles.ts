/**
 * Size and cold-start load time of every function bundle of the synthesized app (cdk.out,
 * synthesized when missing or older than the sources): for each function, index.js in KiB
 * and the time `require` takes to load it in a fresh `node` process, the median of
 * several processes. Run with `npm run bench:bundles [-- --runs 7]`.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { ensureSynthesized, PROJECT_ROOT, readSynthesizedStacks } from '../local/cloudformation/cloud-assembly';

const runsArgument = process.argv.indexOf('--runs');
const RUNS = runsArgument > 0 ? Number(process.argv[runsArgument + 1]) : 7;

// Loads the bundle as Lambda's runtime would at init, and prints how long require took.
const LOAD_ONE_BUNDLE = `
const start = process.hrtime.bigint();
require(process.argv[1]);
process.stdout.write(String(Number(process.hrtime.bigint() - start) / 1e6));
`;

interface BundleMeasure {
  stack: string;
  logicalId: string;
  kib: number;
  medianLoadMs: number;
  minLoadMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function loadTimeMs(bundleFile: string): number {
  const output = execFileSync(process.execPath, ['-e', LOAD_ONE_BUNDLE, bundleFile], {
    cwd: path.dirname(bundleFile),
    // What a function sees at init on Lambda, less the endpoints: region, log level, and tracing off (no daemon here).
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      POWERTOOLS_LOG_LEVEL: 'WARN',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    encoding: 'utf8',
  });
  return Number(output);
}

function main(): void {
  if (!(RUNS > 0)) throw new Error('--runs must be a number above 0');
  const assemblyDir = path.join(PROJECT_ROOT, 'cdk.out');
  ensureSynthesized(assemblyDir, (line) => console.log(line));
  const measures: BundleMeasure[] = [];
  for (const stack of readSynthesizedStacks(assemblyDir)) {
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const assetPath = resource.Metadata?.['aws:asset:path'];
      if (typeof assetPath !== 'string') throw new Error(`${logicalId} has no aws:asset:path metadata`);
      const bundleFile = path.join(assemblyDir, assetPath, 'index.js');
      const times = Array.from({ length: RUNS }, () => loadTimeMs(bundleFile));
      measures.push({
        stack: stack.stackName,
        logicalId: logicalId.replace(/[0-9A-F]{8}$/, ''),
        kib: statSync(bundleFile).size / 1024,
        medianLoadMs: median(times),
        minLoadMs: Math.min(...times),
      });
    }
  }
  console.log(
    `node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
      .map((load) => load.toFixed(1))
      .join(' ')}, ${RUNS} fresh processes per bundle`,
  );
  console.log('| stack | function | index.js KiB | require ms (median) | require ms (min) |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const measure of measures) {
    console.log(
      `| ${measure.stack} | ${measure.logicalId} | ${measure.kib.toFixed(0)} | ${measure.medianLoadMs.toFixed(0)} | ${measure.minLoadMs.toFixed(0)} |`,
    );
  }
  const totalKib = measures.reduce((sum, measure) => sum + measure.kib, 0);
  console.log(
    `${measures.length} functions, ${totalKib.toFixed(0)} KiB of bundles, median of the medians ${median(measures.map((measure) => measure.medianLoadMs)).toFixed(0)} ms`,
  );
}

main();
