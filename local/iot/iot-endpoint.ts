/**
 * The local AWS IoT control plane: the certificate, policy and thing Actions certflow
 * uses, over restJson1, for the AWS SDK and the AWS CLI (`--endpoint-url`). The caller's
 * account is taken from its SigV4 access key id; signatures are not checked.
 *
 * Control endpoints, unsigned, for tests and the sandbox:
 *   GET  /_certflow/stats        request, throttled and faulted counts, in total and per account and Action
 *   POST /_certflow/reset-stats  zeroes those counts
 *   PUT  /_certflow/faults       body: FaultSettings, replaces the injected faults ({} removes them)
 *   PUT  /_certflow/quotas       body: false (no limits) or { "<Action>": requestsPerSecond, ... } over the defaults
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ValidationError } from '../../lambdas/iot-api/field-rules';
import { callerAccountId } from '../aws-protocol/caller-account';
import { readRequestBody } from '../aws-protocol/request-body';
import type { Caller } from './certificate-registry';
import { DeviceKeyPairs, type DeviceKeyAlgorithm } from './device-key-pairs';
import { faultSettingsProblem, FaultInjection, type FaultSettings } from './fault-injection';
import { IotControlPlane, type ResponseBody } from './iot-control-plane';
import { IotServiceError } from './iot-errors';
import { isIotOperation, type IotOperation } from './iot-operations';
import { IotRegistry } from './iot-registry';
import { matchIotRoute, parseIotCall } from './iot-routes';
import { IotStateJournal, type IotState } from './iot-state-file';
import { RequestQuotas, type QuotaSettings } from './request-quotas';
import { RequestStats, type IotRequestStats } from './request-stats';
import { LocalCertificateAuthority } from './x509-certificates';

export type { FaultSettings } from './fault-injection';
export type { IotOperation } from './iot-operations';
export type { IotRequestStats } from './request-stats';

export interface IotEndpointOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /**
   * Where the state is kept across restarts, as a snapshot and a journal of changes
   * written before each answer; in memory when unset.
   */
  dataDir?: string;
  /** Request-rate limits; see RequestQuotas. Default: 10/s for certflow's Actions. */
  quotas?: QuotaSettings;
  faults?: FaultSettings;
  now?: () => Date;
  /** The random source of fault injection. */
  random?: () => number;
  /** Keys CreateKeysAndCertificate makes: RSA-2048 as AWS (default), or EC-P256, much faster, for benchmarks. */
  keyAlgorithm?: DeviceKeyAlgorithm;
}

export interface IotEndpoint {
  url: string;
  port: number;
  stats(): IotRequestStats;
  setFaults(faults: FaultSettings): void;
  setQuotas(quotas: IotEndpointOptions['quotas']): void;
  close(): Promise<void>;
}

const DEFAULT_REGION = 'us-east-1';
const CREDENTIAL_REGION = /Credential=[^/,\s]+\/[0-9]{8}\/([a-z0-9-]+)\//;

function regionOf(request: IncomingMessage): string {
  const authorization = request.headers.authorization;
  return (typeof authorization === 'string' && CREDENTIAL_REGION.exec(authorization)?.[1]) || DEFAULT_REGION;
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

function sendError(response: ServerResponse, requestId: string, error: IotServiceError): void {
  send(
    response,
    error.status,
    { message: error.message, ...error.details },
    { 'x-amzn-requestid': requestId, 'x-amzn-errortype': error.type },
  );
}

function asServiceError(error: unknown): IotServiceError {
  if (error instanceof IotServiceError) return error;
  if (error instanceof ValidationError) return new IotServiceError('InvalidRequestException', error.message);
  console.error('local IoT endpoint: unexpected failure', error);
  return new IotServiceError('InternalFailureException', 'An unexpected error has occurred');
}

function parseJsonBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new IotServiceError('SerializationException', 'The request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new IotServiceError('SerializationException', 'The request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

function wait(milliseconds: number): Promise<void> {
  return milliseconds > 0 ? new Promise((resolve) => setTimeout(resolve, milliseconds)) : Promise.resolve();
}

function quotaSettingsProblem(value: unknown): string | undefined {
  if (value === false) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'quotas must be false or an object keyed by operation name';
  for (const [operation, rate] of Object.entries(value)) {
    if (!isIotOperation(operation)) return `${operation} is not an operation of this endpoint`;
    if (typeof rate !== 'number' || !(rate > 0)) return `${operation}: must be a number of requests per second above 0`;
  }
  return undefined;
}

export async function startIotEndpoint(options: IotEndpointOptions = {}): Promise<IotEndpoint> {
  const now = options.now ?? (() => new Date());
  const journal = options.dataDir ? new IotStateJournal(options.dataDir) : undefined;
  const saved = journal?.load();
  const authority = saved?.snapshot
    ? LocalCertificateAuthority.fromMaterial(saved.snapshot.certificateAuthority)
    : await LocalCertificateAuthority.create(now());
  const registry = new IotRegistry(saved?.snapshot?.registry);
  for (const changeSet of saved?.changeSets ?? []) registry.store.apply(changeSet);
  const keyPairs = new DeviceKeyPairs(options.keyAlgorithm);
  const controlPlane = new IotControlPlane(registry, authority, keyPairs, now);
  const quotas = new RequestQuotas(options.quotas);
  const faults = new FaultInjection(options.faults, options.random);
  const stats = new RequestStats();
  const state = (): IotState => ({ version: 1, certificateAuthority: authority.material, registry: registry.snapshot() });
  // Start from a fresh snapshot and an empty journal.
  journal?.compact(state());

  /** Makes the changes of the requests run so far durable; called before any answer is sent. */
  function persistChanges(): void {
    const changeSet = registry.store.drainChanges();
    if (!changeSet || !journal) return;
    journal.append(changeSet);
    if (journal.needsCompaction) journal.compact(state());
  }

  async function serveAction(request: IncomingMessage, response: ServerResponse, url: URL, requestId: string): Promise<void> {
    const matched = matchIotRoute(request.method ?? 'GET', url.pathname);
    if (!matched) {
      throw new IotServiceError('UnknownOperationException', `No IoT operation matches ${request.method ?? 'GET'} ${url.pathname}`);
    }
    const accountId = callerAccountId(request.headers);
    if (accountId === undefined) {
      throw request.headers.authorization === undefined
        ? new IotServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token')
        : new IotServiceError('UnrecognizedClientException', 'The security token included in the request is invalid.');
    }
    const caller: Caller = { accountId, region: regionOf(request) };
    const operation: IotOperation = matched.route.operation;
    const body = parseJsonBody(await readRequestBody(request));

    const fault = faults.decide(operation);
    await wait(fault.latencyMs);
    if (!quotas.tryTake(accountId, operation, now().getTime())) {
      stats.record(accountId, operation, 'throttled');
      throw new IotServiceError('ThrottlingException', 'Rate exceeded');
    }
    if (fault.error) {
      stats.record(accountId, operation, 'faulted');
      throw new IotServiceError(fault.error, `Injected fault: ${fault.error}`);
    }
    stats.record(accountId, operation, 'run');

    const call = parseIotCall(matched, { query: url.searchParams, headers: request.headers, body });
    let result: ResponseBody;
    try {
      result = await controlPlane.execute(caller, call);
    } finally {
      persistChanges();
    }
    send(response, 200, result, { 'x-amzn-requestid': requestId });
  }

  async function serveControl(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const route = `${request.method ?? 'GET'} ${url.pathname}`;
    const text = await readRequestBody(request);
    const readJson = (): unknown => (text.trim() === '' ? undefined : JSON.parse(text));
    const badRequest = (message: string) => send(response, 400, { message }, {});
    try {
      switch (route) {
        case 'GET /_certflow/stats':
          return send(response, 200, stats.snapshot(), {});
        case 'POST /_certflow/reset-stats':
          stats.reset();
          return send(response, 200, {}, {});
        case 'PUT /_certflow/faults': {
          const settings = readJson() ?? {};
          const problem = faultSettingsProblem(settings, isIotOperation);
          if (problem) return badRequest(problem);
          faults.configure(settings as FaultSettings);
          return send(response, 200, { faults: faults.current() }, {});
        }
        case 'PUT /_certflow/quotas': {
          const settings = readJson() ?? {};
          const problem = quotaSettingsProblem(settings);
          if (problem) return badRequest(problem);
          quotas.configure(settings as QuotaSettings);
          return send(response, 200, { quotas: quotas.limits() }, {});
        }
        default:
          return send(response, 404, { message: `No control endpoint ${route}` }, {});
      }
    } catch (error) {
      if (error instanceof SyntaxError) return badRequest('The request body is not valid JSON');
      throw error;
    }
  }

  const server = createServer((request, response) => {
    const requestId = randomUUID();
    const url = new URL(request.url ?? '/', 'http://localhost');
    const served = url.pathname.startsWith('/_certflow/')
      ? serveControl(request, response, url)
      : serveAction(request, response, url, requestId);
    served.catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      request.resume();
      sendError(response, requestId, asServiceError(error));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    stats: () => stats.snapshot(),
    setFaults: (settings) => faults.configure(settings),
    setQuotas: (settings) => quotas.configure(settings),
    close: async () => {
      keyPairs.close();
      const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      server.closeAllConnections();
      await closed;
      persistChanges();
      if (journal) {
        journal.compact(state());
        journal.close();
      }
    },
  };
}
