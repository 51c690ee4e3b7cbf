import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { DescribeCertificateCommand, IoTClient, ListAttachedPoliciesCommand } from '@aws-sdk/client-iot';
import type { SandboxDescriptor } from '../../cli/cli-target';
import { PROJECT_ROOT } from '../../local/cloudformation/cloud-assembly';
import {
  auditTable,
  executionArnIn,
  fencedBlockAfter,
  fillPlaceholders,
  keyValues,
  linkFor,
  movePorts,
  seededCertificates,
  walkthroughSteps,
  type WalkthroughStep,
} from './readme-walkthrough-script';
import {
  freePortBase,
  runInShell,
  SandboxDidNotStart,
  startSandboxTerminal,
  type SandboxTerminal,
  type ShellResult,
} from './sandbox-terminal';

/**
 * A newcomer follows README.md's "The whole flow, step by step" as written: the `sh`
 * block's commands run in bash, in order, from a fresh sandbox to TRANSFERRED. The
 * test changes the commands in two ways only: each `<...>` placeholder is filled from
 * what the earlier commands printed, and the README's fixed ports 7701..7709 are moved
 * to the `--port-base` this test's sandbox runs on, so that it does not collide with a
 * sandbox already running on 7700. `npm start` is given its own `--data-dir` and that
 * base; the commands run from a folder whose `.certflow-data/sandbox.json` is the one it
 * writes, which is where the CLI looks by default (cli/cli-target.ts).
 */

const README = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
const HEADING = '### The whole flow, step by step';
/** The first synth of `npm start` takes a minute or two on a small machine. */
const SANDBOX_START_MS = 240_000;
const COMMAND_MS = 60_000;
/** "seconds later" (the target's links) and a cutover that is still running when `status` is first asked. */
const SETTLE_MS = 60_000;
const AWS_CLI_V2 = '/usr/bin/aws';

const block = fencedBlockAfter(README, HEADING);
const steps = walkthroughSteps(block.body);

/** Each AWS CLI on this machine, by major version: the one on PATH (pip's v1 here) and Debian's v2. */
function awsClis(): Array<{ version: string; binary: string }> {
  const found: Array<{ version: string; binary: string }> = [];
  const versionOf = (binary: string) => {
    try {
      return /^aws-cli\/(\d+)\./.exec(execFileSync(binary, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))?.[1];
    } catch {
      return undefined;
    }
  };
  let onPath: string | undefined;
  try {
    onPath = execFileSync('bash', ['-c', 'command -v aws'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    onPath = undefined;
  }
  for (const binary of [onPath, AWS_CLI_V2]) {
    if (!binary || !existsSync(binary)) continue;
    const version = versionOf(binary);
    if (version && !found.some((cli) => cli.version === version)) found.push({ version, binary });
  }
  return found;
}

/** A terminal with none of this process's AWS settings (jest.setup.ts sets some) nor the machine's AWS CLI config. */
function newcomerEnvironment(workDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('AWS_') || name.startsWith('JEST_') || name === 'NODE_ENV') continue;
    env[name] = value;
  }
  env.AWS_CONFIG_FILE = path.join(workDir, 'no-aws-config');
  env.AWS_SHARED_CREDENTIALS_FILE = path.join(workDir, 'no-aws-credentials');
  return env;
}

class WalkthroughStepFailed extends Error {
  override readonly name = 'WalkthroughStepFailed';
}

const isAwsCliCommand = (command: string) => /^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*aws\s/.test(command);

describe('the README walkthrough, followed verbatim', () => {
  let workDir: string;
  let env: NodeJS.ProcessEnv;
  let portBase: number;
  let terminal: SandboxTerminal | undefined;
  const transcript: string[] = [];
  const clientsToDestroy: Array<{ destroy(): void }> = [];

  beforeAll(async () => {
    mkdirSync(path.join(PROJECT_ROOT, 'test-artifacts'), { recursive: true });
    // Inside the project (test-artifacts/ is git-ignored), so that `npx certflow` finds the project's own CLI.
    workDir = mkdtempSync(path.join(PROJECT_ROOT, 'test-artifacts', 'readme-walkthrough-'));
    env = newcomerEnvironment(workDir);
    const [first] = steps;
    if (!first?.command.startsWith('npm start'))
      throw new Error(`the walkthrough should start the sandbox first; it starts with: ${first?.command}`);
    const started = Date.now();
    // A port can be taken between the check and the sandbox's listen (the synth takes a minute): then another base.
    for (let attempt = 1; ; attempt += 1) {
      portBase = await freePortBase();
      try {
        terminal = await startSandboxTerminal(
          `${first.command} --data-dir ${path.join(workDir, '.certflow-data')} --port-base ${portBase}`,
          {
            cwd: workDir,
            env,
            timeoutMs: SANDBOX_START_MS,
          },
        );
        break;
      } catch (error) {
        if (!(error instanceof SandboxDidNotStart && /port \d+ is in use/.test(error.message)) || attempt === 3) throw error;
        rmSync(path.join(workDir, '.certflow-data'), { recursive: true, force: true });
      }
    }
    transcript.push(`$ ${first.command}   [terminal 1, --port-base ${portBase}, up in ${Math.round((Date.now() - started) / 1000)} s]`);
  }, SANDBOX_START_MS + 120_000);

  afterAll(async () => {
    for (const client of clientsToDestroy) client.destroy();
    await terminal?.interrupt(5_000);
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('reads an sh block of commands with placeholders under its heading', () => {
    expect(block.language).toBe('sh');
    expect(steps.map((step) => step.command.split(' ').slice(0, 3).join(' '))).toEqual([
      'npm start --',
      'export AWS_ACCESS_KEY_ID=AKIA111111111111LOCL AWS_SECRET_ACCESS_KEY=x',
      'npx certflow transfer',
      'npx certflow links',
      'npx certflow approve',
      'npx certflow links',
      'npx certflow approve',
      'npx certflow status',
      'npx certflow audit',
      'AWS_ACCESS_KEY_ID=AKIA222222222222LOCL aws iot',
    ]);
  });

  it(
    'moves a certificate from a fresh --demo sandbox to TRANSFERRED, each command exiting 0 and showing what its comment says',
    async () => {
      if (!terminal) throw new Error('the sandbox did not start');
      const seeded = seededCertificates(terminal.banner);
      const sandbox = JSON.parse(readFileSync(path.join(workDir, '.certflow-data', 'sandbox.json'), 'utf8')) as SandboxDescriptor;
      const clients = {
        source: new IoTClient({ region: sandbox.region, endpoint: sandbox.endpoints.iot, credentials: sandbox.credentials.source }),
        target: new IoTClient({ region: sandbox.region, endpoint: sandbox.endpoints.iot, credentials: sandbox.credentials.target }),
      };
      clientsToDestroy.push(clients.source, clients.target);
      const iot = (side: 'source' | 'target') => clients[side];
      const printed = { links: '', transfer: '' };
      let certificateId: string | undefined;

      const placeholder = (name: string): string | undefined => {
        if (name === 'ACTIVE id with demo-device-policy') {
          certificateId = seeded.find(
            (certificate) =>
              certificate.accountId === sandbox.accounts.source && /^ACTIVE\b.*\bdemo-device-policy\b/.test(certificate.description),
          )?.certificateId;
          return certificateId;
        }
        const approver = /^link for (\S+@\S+)$/.exec(name)?.[1];
        if (approver) return linkFor(printed.links, approver);
        if (name === 'executionArn') return executionArnIn(printed.transfer);
        if (name === 'id') return certificateId;
        return undefined;
      };

      // The shell of terminal 2: what was exported so far holds for every later command.
      const exported: string[] = [];
      const run = async (command: string, pathPrefix?: string): Promise<ShellResult> => {
        const started = Date.now();
        const result = await runInShell([...exported, command].join('\n'), {
          cwd: workDir,
          env: pathPrefix ? { ...env, PATH: `${pathPrefix}:${env.PATH ?? ''}` } : env,
          timeoutMs: COMMAND_MS,
        });
        transcript.push(
          `$ ${command}${pathPrefix ? `   [aws = ${pathPrefix}/aws]` : ''}   [exit ${result.exitCode}, ${Date.now() - started} ms]`,
          result.stdout.trimEnd(),
          result.stderr.trimEnd(),
        );
        if (result.exitCode !== 0) throw new Error(`exited ${result.exitCode}`);
        return result;
      };
      /** Runs the command again, as a person would, until `done` says it shows what the README says it will. */
      const runUntil = async (command: string, done: (result: ShellResult) => boolean): Promise<ShellResult> => {
        const deadline = Date.now() + SETTLE_MS;
        for (;;) {
          const result = await run(command);
          if (done(result) || Date.now() > deadline) return result;
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      };

      const clis = awsClis();
      for (const step of steps.slice(1)) {
        try {
          await followStep(step);
        } catch (error) {
          throw new WalkthroughStepFailed(
            `${step.command}\n${error instanceof Error ? error.message : String(error)}\n\nWhat the walkthrough printed so far:\n${transcript.filter(Boolean).join('\n')}`,
            { cause: error },
          );
        }
      }

      // --set-as-active: the certificate is the target's now, and ACTIVE there.
      const landed = await iot('target').send(new DescribeCertificateCommand({ certificateId }));
      expect(landed.certificateDescription).toMatchObject({
        status: 'ACTIVE',
        ownedBy: sandbox.accounts.target,
        previousOwnedBy: sandbox.accounts.source,
      });

      /** "Nothing changes yet": until the target approved, the certificate stays ACTIVE with its policy in the source. */
      async function expectUnchangedInTheSource(): Promise<void> {
        const described = await iot('source').send(new DescribeCertificateCommand({ certificateId }));
        const attached = await iot('source').send(
          new ListAttachedPoliciesCommand({ target: described.certificateDescription?.certificateArn }),
        );
        expect({
          status: described.certificateDescription?.status,
          policies: attached.policies?.map((policy) => policy.policyName),
        }).toEqual({
          status: 'ACTIVE',
          policies: ['demo-device-policy'],
        });
      }

      async function followStep(step: WalkthroughStep): Promise<void> {
        const command = movePorts(fillPlaceholders(step, placeholder), portBase);

        if (command.startsWith('export ')) {
          await run(command);
          exported.push(command);
        } else if (/^npx certflow transfer /.test(command)) {
          printed.transfer = (await run(command)).stdout;
          expect(executionArnIn(printed.transfer)).toMatch(/:execution:CertflowSource-OutboundTransfer:/);
        } else if (/^npx certflow links --side (source|target)\b/.test(command)) {
          const side = /--side (source|target)/.exec(command)?.[1] ?? '';
          // The target's request comes "seconds later": a person runs it again until it is there.
          const result = await runUntil(command, (shown) => linkFor(shown.stdout, `${side}-approver-1@example.com`) !== undefined);
          printed.links = result.stdout;
          expect(step.comment).toContain(`the ${side} approvers' links`);
          // Still nothing changed while the target's approvers decide (or, when no link came, the reason why not).
          if (side === 'target') await expectUnchangedInTheSource();
          expect(linkFor(printed.links, `${side}-approver-1@example.com`)).toContain(
            `/${side === 'source' ? 'CertflowSource' : 'CertflowTarget'}-`,
          );
        } else if (/^npx certflow approve /.test(command)) {
          const result = await run(command);
          expect(result.stdout).toMatch(/^page\s+Approved \(HTTP 200\)/);
          if (command.includes('--consent-to-prepare')) {
            expect(step.comment).toMatch(/Nothing changes yet: the target gets the proposal and asks its approvers/);
            await expectUnchangedInTheSource();
          }
        } else if (/^npx certflow status /.test(command)) {
          // The README's comment: "SUCCEEDED, outcome TRANSFERRED, downtime N s".
          const said = /^(\w+), outcome (\w+), downtime N s$/.exec(step.comment);
          expect(said).not.toBeNull();
          const result = await runUntil(command, (shown) => keyValues(shown.stdout).get('status') !== 'RUNNING');
          const shown = keyValues(result.stdout);
          expect({ status: shown.get('status'), outcome: shown.get('outcome') }).toEqual({ status: said?.[1], outcome: said?.[2] });
          expect(shown.get('downtime')).toMatch(/^\d+(\.\d+)? s$/);
        } else if (/^npx certflow audit /.test(command)) {
          // The README's comment lists the rows of each side: "both accounts: A, B (source); C, D (target)".
          const said = /both accounts: (.+) \(source\); (.+) \(target\)$/.exec(step.comment);
          expect(said).not.toBeNull();
          const listed = (text: string | undefined) => (text ?? '').split(',').map((action) => action.trim());
          const rows = auditTable((await run(command)).stdout);
          for (const [side, actions] of [
            ['source', listed(said?.[1])],
            ['target', listed(said?.[2])],
          ] as const) {
            expect(rows.filter((row) => row.side === side).map((row) => `${row.action} ${row.outcome}`)).toEqual(
              actions.map((action) => `${action} SUCCEEDED`),
            );
          }
        } else if (isAwsCliCommand(command)) {
          // The README's comment: "demo-device-policy, attached in the target"; asked with each AWS CLI there is.
          const policy = /^([\w-]+), attached in the target$/.exec(step.comment)?.[1];
          expect(policy).toBe('demo-device-policy');
          for (const version of ['1', '2']) {
            const cli = clis.find((each) => each.version === version);
            if (!cli) {
              console.warn(`AWS CLI v${version} is not installed: \`${command}\` is run with the other one only`);
              continue;
            }
            const binDir = path.join(workDir, `aws-cli-v${version}`);
            mkdirSync(binDir, { recursive: true });
            if (!existsSync(path.join(binDir, 'aws'))) symlinkSync(cli.binary, path.join(binDir, 'aws'));
            const result = await run(command, binDir);
            const answer = JSON.parse(result.stdout) as { policies?: Array<{ policyName?: string }> };
            expect({ cli: `v${version}`, policies: answer.policies?.map((each) => each.policyName) }).toEqual({
              cli: `v${version}`,
              policies: [policy],
            });
          }
          expect(clis.length).toBeGreaterThan(0);
        } else {
          throw new Error(`the test does not know what the README's \`${step.command}\` should show ("${step.comment}"): teach it`);
        }
      }
    },
    6 * 60_000,
  );

  it('stops on Ctrl-C, closing its endpoints before it exits', async () => {
    if (!terminal) throw new Error('the sandbox did not start');
    const stopped = await terminal.interrupt(30_000);
    // npm ends by the SIGINT it got (a shell shows exit 130) once the sandbox itself stopped cleanly.
    expect(stopped.killed).toBe(false);
    expect(stopped.signal ?? `exit ${stopped.exitCode}`).toMatch(/^(SIGINT|exit 0|exit 130)$/);
    expect(terminal.output()).toMatch(/SIGINT: stopping the sandbox \.\.\.\nstopped\.\n/);
  }, 60_000);
});
