import { LocalStackResources, type CfnTemplate } from '../../../local/cloudformation/cloudformation-template';
import { restApiRoutesOf, startRestApiEndpoint, type RestApiEndpoint } from '../../../local/apigateway/rest-api-endpoint';

const TEMPLATE: CfnTemplate = {
  Resources: {
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'pages' } },
    Stage: { Type: 'AWS::ApiGateway::Stage', Properties: { RestApiId: { Ref: 'Api' }, StageName: 'v1' } },
    Page: {
      Type: 'AWS::ApiGateway::Resource',
      Properties: { ParentId: { 'Fn::GetAtt': ['Api', 'RootResourceId'] }, PathPart: 'approval', RestApiId: { Ref: 'Api' } },
    },
    PageFn: { Type: 'AWS::Lambda::Function', Properties: {} },
    Get: {
      Type: 'AWS::ApiGateway::Method',
      Properties: {
        HttpMethod: 'GET',
        ResourceId: { Ref: 'Page' },
        RestApiId: { Ref: 'Api' },
        Integration: {
          Type: 'AWS_PROXY',
          Uri: {
            'Fn::Join': [
              '',
              ['arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/', { 'Fn::GetAtt': ['PageFn', 'Arn'] }, '/invocations'],
            ],
          },
        },
      },
    },
  },
};

describe('local API Gateway', () => {
  const resources = new LocalStackResources(TEMPLATE, { accountId: '111111111111', region: 'us-east-1', stackName: 'Pages' });
  const routes = restApiRoutesOf(resources);
  const events: Array<Record<string, unknown>> = [];
  let endpoint: RestApiEndpoint;

  beforeAll(async () => {
    endpoint = await startRestApiEndpoint(
      async (functionArn, event) => {
        events.push(event as Record<string, unknown>);
        return { statusCode: 200, headers: { 'content-type': 'text/html' }, body: `<p>${functionArn}</p>` };
      },
      { region: 'us-east-1' },
    );
    endpoint.addRoutes(routes);
  });
  afterAll(() => endpoint.close());

  it('finds the proxy methods of a template with their path, stage and function', () => {
    expect(routes).toEqual([
      expect.objectContaining({
        resourcePath: '/approval',
        stage: 'v1',
        httpMethod: 'GET',
        functionArn: 'arn:aws:lambda:us-east-1:111111111111:function:Pages-PageFn-111111111111',
      }),
    ]);
  });

  it('serves an execute-api URL locally with an API Gateway proxy event', async () => {
    const apiId = routes[0]?.apiId ?? '';
    const local = endpoint.localUrl(`https://${apiId}.execute-api.us-east-1.amazonaws.com/v1/approval?r=abc&s=sig`);
    const response = await fetch(local);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Pages-PageFn');
    expect(events.pop()).toMatchObject({
      httpMethod: 'GET',
      path: '/approval',
      resource: '/approval',
      queryStringParameters: { r: 'abc', s: 'sig' },
      requestContext: { stage: 'v1' },
    });
  });

  it('answers 403 Missing Authentication Token for a method or path the API does not have, as API Gateway does', async () => {
    const apiId = routes[0]?.apiId ?? '';
    expect((await fetch(`${endpoint.url}/${apiId}/v1/approval`, { method: 'DELETE' })).status).toBe(403);
    expect((await fetch(`${endpoint.url}/${apiId}/v1/elsewhere`)).status).toBe(403);
  });
});
