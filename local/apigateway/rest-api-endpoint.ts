import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalStackResources } from '../cloudformation/cloudformation-template';
import { readRequestBody } from '../aws-protocol/request-body';
import { authorizeIamCall, MISSING_AUTHENTICATION_TOKEN, type IamCallerIdentity, type IamRefusal } from './iam-authorization';

/** One method of a deployed REST API with a Lambda proxy integration. */
export interface RestApiRoute {
  accountId: string;
  apiId: string;
  stage: string;
  /** e.g. `/approval` */
  resourcePath: string;
  httpMethod: string;
  functionArn: string;
  /** The method's AuthorizationType: `NONE`, or `AWS_IAM` (SigV4, see iam-authorization.ts). */
  authorizationType: string;
}

interface ProxyResult {
  statusCode?: number;
  headers?: Record<string, string | number | boolean>;
  multiValueHeaders?: Record<string, Array<string | number | boolean>>;
  body?: string;
  isBase64Encoded?: boolean;
}

type Ref = { Ref: string } | { 'Fn::GetAtt': [string, string] };

function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if ('Ref' in value) return (value as { Ref: string }).Ref;
  if ('Fn::GetAtt' in value) return (value as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return undefined;
}

/** The Lambda-proxy methods of a template's REST APIs, with their paths and stages. */
export function restApiRoutesOf(resources: LocalStackResources): RestApiRoute[] {
  const template = resources.template.Resources;
  const pathOf = (resourceRef: unknown): string => {
    const logicalId = referencedId(resourceRef);
    const resource = logicalId ? template[logicalId] : undefined;
    if (!resource || resource.Type !== 'AWS::ApiGateway::Resource') return '';
    return `${pathOf(resource.Properties?.ParentId as Ref)}/${String(resource.Properties?.PathPart)}`;
  };
  const stagesOf = (apiLogicalId: string): string[] =>
    resources
      .resourcesOfType('AWS::ApiGateway::Stage')
      .filter(([, stage]) => referencedId(stage.Properties?.RestApiId) === apiLogicalId)
      .map(([, stage]) => String(stage.Properties?.StageName));
  const routes: RestApiRoute[] = [];
  for (const [, method] of resources.resourcesOfType('AWS::ApiGateway::Method')) {
    const properties = method.Properties ?? {};
    const integration = properties.Integration as { Type?: string; Uri?: unknown } | undefined;
    const apiLogicalId = referencedId(properties.RestApiId);
    if (integration?.Type !== 'AWS_PROXY' || !apiLogicalId) continue;
    const uri = String(resources.resolve(integration.Uri));
    const functionArn = /functions\/(arn:[^/]+)\/invocations/.exec(uri)?.[1];
    if (!functionArn) continue;
    for (const stage of stagesOf(apiLogicalId)) {
      routes.push({
        accountId: resources.target.accountId,
        apiId: resources.physicalName(apiLogicalId),
        stage,
        resourcePath: pathOf(properties.ResourceId) || '/',
        httpMethod: String(properties.HttpMethod),
        functionArn,
        authorizationType: typeof properties.AuthorizationType === 'string' ? properties.AuthorizationType : 'NONE',
      });
    }
  }
  return routes;
}

const EXECUTE_API_URL = /^https:\/\/([^./]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com\//;

export interface RestApiEndpoint {
  url: string;
  port: number;
  /** An API Gateway URL as the template gives it (`https://{api}.execute-api...`), served here instead. */
  localUrl(executeApiUrl: string): string;
  addRoutes(routes: RestApiRoute[]): void;
  close(): Promise<void>;
}

/**
 * The path parameters of `resourcePath` (`/workflows/{workflow}/executions`, `{proxy+}` for
 * the rest of the path) when `path` is one of its paths; undefined when it is not.
 */
export function matchResourcePath(resourcePath: string, path: string): Record<string, string> | undefined {
  const templates = resourcePath.split('/').filter(Boolean);
  const segments = path.split('/').filter(Boolean);
  const parameters: Record<string, string> = {};
  for (const [index, template] of templates.entries()) {
    const greedy = /^\{(.+)\+\}$/.exec(template)?.[1];
    if (greedy !== undefined) {
      if (index !== templates.length - 1 || segments.length <= index) return undefined;
      parameters[greedy] = segments.slice(index).map(decodeURIComponent).join('/');
      return parameters;
    }
    const segment = segments[index];
    if (segment === undefined) return undefined;
    const name = /^\{(.+)\}$/.exec(template)?.[1];
    if (name !== undefined) parameters[name] = decodeURIComponent(segment);
    else if (template !== segment) return undefined;
  }
  return segments.length === templates.length ? parameters : undefined;
}

/**
 * Local API Gateway for REST APIs with Lambda proxy integrations: serves
 * `/{apiId}/{stage}/{path}` by invoking the method's function with an API Gateway proxy
 * event and answering with the function's proxy result. A method with AuthorizationType
 * AWS_IAM takes only SigV4-signed calls and hands the caller on in `requestContext.identity`.
 */
export async function startRestApiEndpoint(
  invoke: (functionArn: string, event: unknown) => Promise<unknown>,
  options: { host?: string; port?: number; region: string },
): Promise<RestApiEndpoint> {
  const routes: RestApiRoute[] = [];
  const server = createServer((request, response) => {
    serve(routes, invoke, options.region, request, response).catch((error: unknown) => {
      answer(response, 502, { message: 'Internal server error', detail: error instanceof Error ? error.message : String(error) });
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  return {
    url,
    port,
    localUrl: (executeApiUrl) => executeApiUrl.replace(EXECUTE_API_URL, (_match, apiId: string) => `${url}/${apiId}/`),
    addRoutes: (added) => routes.push(...added),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(
  routes: RestApiRoute[],
  invoke: (functionArn: string, event: unknown) => Promise<unknown>,
  region: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const [, apiId = '', stage = '', ...rest] = url.pathname.split('/');
  const resourcePath = `/${rest.join('/')}`;
  // A literal path part wins over a parameter, as in API Gateway.
  const apiRoutes = routes
    .filter((route) => route.apiId === apiId && route.stage === stage)
    .map((route) => ({ route, pathParameters: matchResourcePath(route.resourcePath, resourcePath) }))
    .filter((candidate) => candidate.pathParameters !== undefined)
    .sort((a, b) => (a.route.resourcePath.match(/\{/g)?.length ?? 0) - (b.route.resourcePath.match(/\{/g)?.length ?? 0));
  const matched = apiRoutes.find(({ route: candidate }) => candidate.httpMethod === request.method || candidate.httpMethod === 'ANY');
  if (!matched) {
    // API Gateway's answers: no such resource is 403 "Missing Authentication Token"; a known path without the method too.
    refuse(response, MISSING_AUTHENTICATION_TOKEN);
    return;
  }
  const { route } = matched;
  const pathParameters = matched.pathParameters ?? {};
  const body = await readRequestBody(request);
  let caller: IamCallerIdentity | undefined;
  if (route.authorizationType === 'AWS_IAM') {
    const authorized = await authorizeIamCall({
      method: request.method ?? 'GET',
      rawPath: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      body,
    });
    if ('refused' in authorized) {
      refuse(response, authorized.refused);
      return;
    }
    caller = authorized.identity;
  }
  const query = [...url.searchParams.keys()];
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : (value ?? '')]),
  );
  const event = {
    resource: route.resourcePath,
    path: resourcePath,
    httpMethod: request.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: query.length ? Object.fromEntries(query.map((name) => [name, url.searchParams.get(name) ?? ''])) : null,
    multiValueQueryStringParameters: query.length ? Object.fromEntries(query.map((name) => [name, url.searchParams.getAll(name)])) : null,
    pathParameters: Object.keys(pathParameters).length ? pathParameters : null,
    stageVariables: null,
    requestContext: {
      accountId: route.accountId,
      apiId,
      stage,
      resourcePath: route.resourcePath,
      httpMethod: request.method,
      path: `/${stage}${resourcePath}`,
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      identity: {
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
        // Filled only for an IAM-authorized method, as API Gateway does; null otherwise.
        accountId: caller?.accountId ?? null,
        caller: caller?.caller ?? null,
        user: caller?.user ?? null,
        userArn: caller?.userArn ?? null,
        accessKey: caller?.accessKey ?? null,
      },
      domainName: `${apiId}.execute-api.${region}.amazonaws.com`,
    },
    body: body.length ? body : null,
    isBase64Encoded: false,
  };
  let result: ProxyResult;
  try {
    result = (await invoke(route.functionArn, event)) as ProxyResult;
  } catch {
    answer(response, 502, { message: 'Internal server error' });
    return;
  }
  const responseHeaders: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) responseHeaders[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) responseHeaders[name] = values.map(String);
  response.writeHead(result.statusCode ?? 200, responseHeaders);
  response.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
}

function refuse(response: ServerResponse, refusal: IamRefusal): void {
  response.writeHead(403, { 'content-type': 'application/json', 'x-amzn-errortype': refusal.errorType });
  response.end(JSON.stringify({ message: refusal.message }));
}

function answer(response: ServerResponse, status: number, body: Record<string, string>): void {
  response.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-errortype': status === 403 ? 'MissingAuthenticationTokenException' : 'InternalServerErrorException',
  });
  response.end(JSON.stringify(body));
}
