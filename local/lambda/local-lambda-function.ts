import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';

export interface LocalLambdaFunctionOptions {
  functionName: string;
  functionArn: string;
  /** The bundled handler file, as deployed (the esbuild output in cdk.out). */
  bundleFile: string;
  /** The export to call, from the template's `Handler` ("index.handler" → "handler"). */
  handlerExport: string;
  /** The function's environment: the template's variables plus the sandbox's endpoints and credentials. */
  environment: Record<string, string>;
  timeoutMs: number;
  /** The function's MemorySize in MB: its heap limit here, as Lambda stops an environment that outgrows it. */
  memorySizeMb: number;
  /** How long an idle environment stays warm before it is stopped; IDLE_WORKER_MS when unset. */
  idleEnvironmentMs?: number;
  /** A cap on idle environments that this function shares with others; none when unset. */
  idleEnvironments?: IdleEnvironments;
  /** Where the function's stdout and stderr (its logs) go; the sandbox process's own when unset. */
  logStream?: NodeJS.WritableStream;
}

/** The error a failed invocation rejects with: its name is the handler's error type, as Lambda reports it. */
export class LambdaInvocationError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly functionName: string,
  ) {
    super(message);
  }
}

interface InvocationReply {
  id: string;
  ok: boolean;
  result?: unknown;
  errorType?: string;
  errorMessage?: string;
}

// Runs inside the worker: one module instance per function, like one Lambda container.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const handler = require(workerData.bundleFile)[workerData.handlerExport];
parentPort.on('message', async ({ id, event, requestId, deadline }) => {
  const context = {
    awsRequestId: requestId,
    functionName: workerData.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: workerData.functionArn,
    memoryLimitInMB: String(workerData.memorySizeMb),
    logGroupName: '/aws/lambda/' + workerData.functionName,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    if (typeof handler !== 'function') throw new Error(workerData.handlerExport + ' is not a function in ' + workerData.bundleFile);
    const result = await handler(event, context);
    parentPort.postMessage({ id, ok: true, result });
  } catch (error) {
    const errorType = error && typeof error.name === 'string' ? error.name : 'Error';
    const errorMessage = error && typeof error.message === 'string' ? error.message : String(error);
    parentPort.postMessage({ id, ok: false, errorType, errorMessage });
  }
});
`;

/**
 * Workers one function may run at once. Lambda runs one invocation per execution
 * environment at a time and starts another environment for a concurrent invocation (up
 * to the account's concurrency, 1,000 by default); the sandbox stops at this many and
 * queues the rest, to keep its memory bounded.
 */
export const MAX_WORKERS_PER_FUNCTION = 32;

/**
 * How long an idle worker stays warm. Lambda keeps idle environments for an undocumented
 * while; the sandbox gives their memory back sooner, so a function called again after
 * this long starts cold.
 */
export const IDLE_WORKER_MS = 30_000;

/**
 * Each worker's young generation. V8's default lets a busy worker's grow to tens of MiB, and
 * the sandbox runs dozens of workers in one process; a small one costs only more frequent,
 * cheap scavenges.
 */
const YOUNG_GENERATION_MB = 4;

/**
 * A cap on the idle (warm) environments of all the functions that share it: when one more
 * goes idle beyond `max`, the one idle longest is stopped. Lambda keeps idle environments
 * for an undocumented while; in the sandbox each is a worker thread holding tens of MiB,
 * so a burst that touches many functions once would otherwise keep them all.
 */
export class IdleEnvironments {
  /** Idle environments, longest idle first, each with how to stop it. */
  private readonly idle = new Map<object, () => void>();

  constructor(readonly max: number) {
    if (!(Number.isInteger(max) && max >= 0)) throw new RangeError('max must be a whole number of environments');
  }

  get count(): number {
    return this.idle.size;
  }

  wentIdle(environment: object, stop: () => void): void {
    this.idle.set(environment, stop);
    for (const [longestIdle, stopIt] of this.idle) {
      if (this.idle.size <= this.max) break;
      this.idle.delete(longestIdle);
      stopIt();
    }
  }

  /** The environment is busy again, or stopped. */
  left(environment: object): void {
    this.idle.delete(environment);
  }
}

interface PendingInvocation {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  worker: Worker;
}

/**
 * One deployed Lambda function run locally: its bundle loaded in worker threads with their
 * own process.env, so several functions with different environments share a process
 * without seeing each other's settings. Like Lambda's execution environments, a worker
 * serves one invocation at a time and is reused warm afterwards (module-level state, such
 * as a paced client, lives as long as it does); concurrent invocations get workers of
 * their own.
 */
export class LocalLambdaFunction {
  private readonly idle: Worker[] = [];
  private readonly workers = new Set<Worker>();
  private readonly waiting: Array<(worker: Worker) => void> = [];
  private readonly pending = new Map<string, PendingInvocation>();
  invocations = 0;

  /** Idle workers, each with the timer that stops it once idle for idleEnvironmentMs, to give back its memory. */
  private readonly idleSince = new Map<Worker, NodeJS.Timeout>();

  // Started on first invocation: a deployed function nobody calls holds no memory.
  constructor(readonly options: LocalLambdaFunctionOptions) {}

  /** How many execution environments (workers) the function has started and still runs. */
  get environments(): number {
    return this.workers.size;
  }

  private startWorker(): Worker {
    const { options } = this;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      env: { ...options.environment, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memorySizeMb) },
      resourceLimits: { maxOldGenerationSizeMb: options.memorySizeMb, maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
      // Piped only when they go elsewhere: by default a worker writes through the process's own streams.
      stdout: options.logStream !== undefined,
      stderr: options.logStream !== undefined,
      workerData: {
        bundleFile: options.bundleFile,
        handlerExport: options.handlerExport,
        functionName: options.functionName,
        functionArn: options.functionArn,
        memorySizeMb: options.memorySizeMb,
      },
    });
    const logStream = options.logStream;
    if (logStream) {
      // Written rather than piped: dozens of functions share one stream, and each pipe would add its listeners to it.
      worker.stdout.on('data', (chunk: Buffer) => logStream.write(chunk));
      worker.stderr.on('data', (chunk: Buffer) => logStream.write(chunk));
    }
    worker.on('message', (reply: InvocationReply) => this.settle(reply, true));
    // A crash, or a heap beyond MemorySize (ERR_WORKER_OUT_OF_MEMORY): Lambda reports both as Runtime.ExitError.
    worker.on('error', (error) => {
      this.retire(worker);
      for (const [id, invocation] of this.pending) {
        if (invocation.worker === worker)
          this.settle({ id, ok: false, errorType: 'Runtime.ExitError', errorMessage: error.message }, false);
      }
    });
    worker.unref();
    this.workers.add(worker);
    return worker;
  }

  private async acquire(): Promise<Worker> {
    const idle = this.idle.pop();
    if (idle) {
      clearTimeout(this.idleSince.get(idle));
      this.idleSince.delete(idle);
      this.options.idleEnvironments?.left(idle);
      return idle;
    }
    if (this.workers.size < MAX_WORKERS_PER_FUNCTION) return this.startWorker();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(worker: Worker): void {
    if (!this.workers.has(worker)) return;
    const next = this.waiting.shift();
    if (next) return next(worker);
    const timer = setTimeout(() => {
      this.idleSince.delete(worker);
      this.retire(worker);
    }, this.options.idleEnvironmentMs ?? IDLE_WORKER_MS);
    timer.unref();
    this.idleSince.set(worker, timer);
    this.idle.push(worker);
    this.options.idleEnvironments?.wentIdle(worker, () => this.retire(worker));
  }

  /** A worker that crashed or timed out is not reused (Lambda starts a fresh environment). */
  private retire(worker: Worker): void {
    if (!this.workers.delete(worker)) return;
    this.options.idleEnvironments?.left(worker);
    clearTimeout(this.idleSince.get(worker));
    this.idleSince.delete(worker);
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
    void worker.terminate();
    // Someone queued for a worker gets a fresh one.
    const next = this.waiting.shift();
    if (next) next(this.startWorker());
  }

  async invoke(event: unknown): Promise<unknown> {
    this.invocations += 1;
    const id = randomUUID();
    const worker = await this.acquire();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(
          { id, ok: false, errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${this.options.timeoutMs / 1000} seconds` },
          false,
        );
        this.retire(worker);
      }, this.options.timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer, worker });
      worker.postMessage({ id, event, requestId: id, deadline: Date.now() + this.options.timeoutMs });
    });
  }

  async close(): Promise<void> {
    for (const timer of this.idleSince.values()) clearTimeout(timer);
    this.idleSince.clear();
    const workers = [...this.workers];
    this.workers.clear();
    for (const worker of workers) this.options.idleEnvironments?.left(worker);
    this.idle.length = 0;
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private settle(reply: InvocationReply, workerIsFree: boolean): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    clearTimeout(waiting.timer);
    if (workerIsFree) this.release(waiting.worker);
    if (reply.ok) waiting.resolve(reply.result);
    else waiting.reject(new LambdaInvocationError(reply.errorType ?? 'Error', reply.errorMessage ?? '', this.options.functionName));
  }
}
