import { LocalStackResources, type CfnTemplate } from '../../../local/cloudformation/cloudformation-template';
import { restApiRoutesOf, startRestApiEndpoint, type RestApiEndpoint } from '../../../local/apigateway/rest-api-endpoint';
import { credentialsFor, principalCredentialsFor, SANDBOX_SECRET_ACCESS_KEY } from '../../../local/sandbox-accounts';
import { executeApiSigner } from '../../../cli/sigv4-signing';
import { startWorkflowExecution, StartRequestRefused } from '../../../cli/start-request-client';

const ALICE = 'arn:aws:sts::111111111111:assumed-role/CertflowOperator/alice@example.com';

const resource = (id: string, parent: unknown, part: string) => ({
  [id]: { Type: 'AWS::ApiGateway::Resource', Properties: { ParentId: parent, PathPart: part, RestApiId: { Ref: 'Api' } } },
});

const TEMPLATE: CfnTemplate = {
  Resources: {
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'start' } },
    Stage: { Type: 'AWS::ApiGateway::Stage', Properties: { RestApiId: { Ref: 'Api' }, StageName: 'v1' } },
    ...resource('Workflows', { 'Fn::GetAtt': ['Api', 'RootResourceId'] }, 'workflows'),
    ...resource('Workflow', { Ref: 'Workflows' }, '{workflow}'),
    ...resource('Executions', { Ref: 'Workflow' }, 'executions'),
    StartFn: { Type: 'AWS::Lambda::Function', Properties: {} },
    Post: {
      Type: 'AWS::ApiGateway::Method',
      Properties: {
        HttpMethod: 'POST',
        AuthorizationType: 'AWS_IAM',
        ResourceId: { Ref: 'Executions' },
        RestApiId: { Ref: 'Api' },
        Integration: {
          Type: 'AWS_PROXY',
          Uri: {
            'Fn::Join': [
              '',
              ['arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/', { 'Fn::GetAtt': ['StartFn', 'Arn'] }, '/invocations'],
            ],
          },
        },
      },
    },
  },
};

describe('local API Gateway, AWS_IAM methods', () => {
  const resources = new LocalStackResources(TEMPLATE, { accountId: '111111111111', region: 'us-east-1', stackName: 'Start' });
  const routes = restApiRoutesOf(resources);
  const events: Array<{ pathParameters: unknown; requestContext: { identity: Record<string, unknown> }; body: string }> = [];
  let endpoint: RestApiEndpoint;
  let apiUrl: string;

  beforeAll(async () => {
    endpoint = await startRestApiEndpoint(
      async (_functionArn, event) => {
        events.push(event as (typeof events)[number]);
        return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ executionArn: 'arn:x' }) };
      },
      { region: 'us-east-1' },
    );
    endpoint.addRoutes(routes);
    apiUrl = `${endpoint.url}/${routes[0]?.apiId ?? ''}/v1/`;
  });
  afterAll(() => endpoint.close());

  it("reads the method's AuthorizationType from the template", () => {
    expect(routes).toEqual([expect.objectContaining({ resourcePath: '/workflows/{workflow}/executions', authorizationType: 'AWS_IAM' })]);
  });

  it('fills requestContext.identity from the signing key and the path parameters from the path', async () => {
    await startWorkflowExecution({
      apiUrl,
      region: 'us-east-1',
      credentials: principalCredentialsFor(ALICE),
      workflow: 'transfer',
      input: { certificateId: 'c' },
    });
    const event = events.pop();
    expect(event?.pathParameters).toEqual({ workflow: 'transfer' });
    expect(event?.requestContext.identity).toMatchObject({
      accountId: '111111111111',
      userArn: ALICE,
      caller: expect.stringMatching(/^AROA[0-9A-F]{17}:alice@example\.com$/),
      accessKey: principalCredentialsFor(ALICE).accessKeyId,
    });
    expect(JSON.parse(event?.body ?? '')).toEqual({ input: { certificateId: 'c' } });
  });

  it("makes the account's plain key its root", async () => {
    await startWorkflowExecution({
      apiUrl,
      region: 'us-east-1',
      credentials: credentialsFor('111111111111'),
      workflow: 'migration',
      input: {},
    });
    expect(events.pop()?.requestContext.identity).toMatchObject({ userArn: 'arn:aws:iam::111111111111:root', caller: '111111111111' });
  });

  it('answers an unsigned call 403 Missing Authentication Token and invokes nothing', async () => {
    const response = await fetch(`${apiUrl}workflows/transfer/executions`, { method: 'POST', body: '{"input":{}}' });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(await response.json()).toEqual({ message: 'Missing Authentication Token' });
    expect(events).toHaveLength(0);
  });

  it('answers a call signed with another secret 403 with the signature mismatch message', async () => {
    const refused = await startWorkflowExecution({
      apiUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: principalCredentialsFor(ALICE).accessKeyId, secretAccessKey: 'not-the-sandbox-secret' },
      workflow: 'transfer',
      input: {},
    }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StartRequestRefused);
    expect(refused).toMatchObject({
      statusCode: 403,
      message: expect.stringMatching(/^The request signature we calculated does not match the signature you provided\./),
    });
    expect(events).toHaveLength(0);
  });

  it('answers 403 when the body is not the one that was signed', async () => {
    const url = new URL(`${apiUrl}workflows/transfer/executions`);
    const signed = await executeApiSigner(principalCredentialsFor(ALICE), 'us-east-1').sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: {},
      headers: { host: url.host, 'content-type': 'application/json' },
      body: '{"input":{"a":1}}',
    });
    const response = await fetch(url, { method: 'POST', headers: signed.headers, body: '{"input":{"a":2}}' });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    expect(events).toHaveLength(0);
  });

  it('answers 403 for an access key the sandbox never made', async () => {
    const refused = await startWorkflowExecution({
      apiUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SANDBOX_SECRET_ACCESS_KEY },
      workflow: 'transfer',
      input: {},
    }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ statusCode: 403, message: 'The security token included in the request is invalid.' });
  });
});
