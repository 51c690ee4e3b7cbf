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
    memoryLimitInMB: '256',
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
 * One deployed Lambda function run locally: its bundle loaded once in a worker thread
 * with its own process.env, so several functions with different environments share a
 * process without seeing each other's settings.
 */
export class LocalLambdaFunction {
  private readonly worker: Worker;
  private readonly pending = new Map<string, { resolve(value: unknown): void; reject(error: Error): void; timer: NodeJS.Timeout }>();
  invocations = 0;

  constructor(readonly options: LocalLambdaFunctionOptions) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      env: options.environment,
      // Piped only when they go elsewhere: by default a worker writes through the process's own streams.
      stdout: options.logStream !== undefined,
      stderr: options.logStream !== undefined,
      workerData: {
        bundleFile: options.bundleFile,
        handlerExport: options.handlerExport,
        functionName: options.functionName,
        functionArn: options.functionArn,
      },
    });
    const logStream = options.logStream;
    if (logStream) {
      // Written rather than piped: dozens of functions share one stream, and each pipe would add its listeners to it.
      this.worker.stdout.on('data', (chunk: Buffer) => logStream.write(chunk));
      this.worker.stderr.on('data', (chunk: Buffer) => logStream.write(chunk));
    }
    this.worker.on('message', (reply: InvocationReply) => this.settle(reply));
    this.worker.on('error', (error) => {
      for (const [id] of this.pending) {
        this.settle({ id, ok: false, errorType: 'Runtime.ExitError', errorMessage: error.message });
      }
    });
    this.worker.unref();
  }

  invoke(event: unknown): Promise<unknown> {
    this.invocations += 1;
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.settle({
            id,
            ok: false,
            errorType: 'Sandbox.Timedout',
            errorMessage: `Task timed out after ${this.options.timeoutMs / 1000} seconds`,
          }),
        this.options.timeoutMs,
      );
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage({ id, event, requestId: id, deadline: Date.now() + this.options.timeoutMs });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private settle(reply: InvocationReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    clearTimeout(waiting.timer);
    if (reply.ok) waiting.resolve(reply.result);
    else waiting.reject(new LambdaInvocationError(reply.errorType ?? 'Error', reply.errorMessage ?? '', this.options.functionName));
  }
}
