import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** `npm start` ended before it printed its banner. */
export class SandboxDidNotStart extends Error {
  override readonly name = 'SandboxDidNotStart';
}

/** What a shell command printed and how it ended. */
export interface ShellResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `script` with `bash -c`, as a terminal would, and collects what it prints; killed after `timeoutMs`. */
export function runInShell(script: string, options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const output = { stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
    const timer = setTimeout(() => {
      output.stderr += `\n[killed after ${options.timeoutMs} ms]`;
      killGroup(child, 'SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, ...output });
    });
  });
}

/** Signals the child's whole process group (bash, npm, node), as Ctrl-C in its terminal would. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A `--port-base` whose nine sandbox ports (base+1..base+9) are free now, away from the
 * README's 7700 and below Linux's ephemeral range (32768 up), where sandboxes started on
 * any free port (test/e2e/sandbox-fixture.ts) and outgoing connections take theirs.
 */
export async function freePortBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + 10 * Math.floor(Math.random() * 1_200);
    const ports = Array.from({ length: 9 }, (_, index) => base + index + 1);
    if ((await Promise.all(ports.map(portIsFree))).every(Boolean)) return base;
  }
  throw new Error('no free run of nine ports found for --port-base');
}

export interface ProcessEnd {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/** `npm start` running in the background, as in the README's terminal 1. */
export interface SandboxTerminal {
  /** Everything it printed up to its banner's last line. */
  banner: string;
  output(): string;
  /**
   * Ctrl-C: SIGINT to its process group; SIGKILL when it has not exited after `graceMs`.
   * Resolves with how `npm` ended (it re-raises the SIGINT once its script has exited) and whether it had to be killed.
   */
  interrupt(graceMs?: number): Promise<ProcessEnd & { killed: boolean }>;
}

/** The banner's last line: once printed, every endpoint answers and the stacks are deployed. */
const BANNER_END = /Ctrl-C stops it\./;

/** Starts `script` (an `npm start ...` line) in its own process group and waits for the sandbox's banner. */
export async function startSandboxTerminal(
  script: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<SandboxTerminal> {
  const child = spawn('bash', ['-c', script], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let printed = '';
  child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const exited = new Promise<ProcessEnd>((resolve) => child.on('close', (exitCode, signal) => resolve({ exitCode, signal })));
  const interrupt = async (graceMs = 30_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return { ...(await exited), killed: false };
    killGroup(child, 'SIGINT');
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
    const ended = await Promise.race([exited, timer]);
    if (ended !== 'timeout') return { ...ended, killed: false };
    killGroup(child, 'SIGKILL');
    return { ...(await exited), killed: true };
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new SandboxDidNotStart(`no banner after ${options.timeoutMs} ms; it printed:\n${printed}`)),
        options.timeoutMs,
      );
      child.stdout.on('data', () => {
        if (BANNER_END.test(printed)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then((end) => {
        clearTimeout(timer);
        reject(
          new SandboxDidNotStart(
            `\`${script}\` ended (${end.signal ?? `exit ${end.exitCode}`}) before its banner; it printed:\n${printed}`,
          ),
        );
      });
    });
  } catch (error) {
    await interrupt(5_000);
    throw error;
  }
  return { banner: printed, output: () => printed, interrupt };
}
