import { LocalStackResources, type CfnTemplate } from '../../../local/cloudformation/cloudformation-template';

const template: CfnTemplate = {
  Resources: {
    AuditTable: { Type: 'AWS::DynamoDB::Table', Properties: {} },
    Named: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'explicit-name' } },
    TransferFn: { Type: 'AWS::Lambda::Function', Properties: {} },
    Outbound: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
    Approvers: { Type: 'AWS::SNS::Topic', Properties: {} },
    Files: { Type: 'AWS::S3::Bucket', Properties: {} },
  },
};
const resources = new LocalStackResources(template, { accountId: '111111111111', region: 'eu-west-1', stackName: 'Certflow' });

describe('LocalStackResources', () => {
  it('names resources after the stack, the logical id and the account, unless the template names them', () => {
    expect(resources.physicalName('AuditTable')).toBe('Certflow-AuditTable-111111111111');
    expect(resources.physicalName('Named')).toBe('explicit-name');
  });

  it('resolves Ref to a name, or to an ARN for state machines and topics', () => {
    expect(resources.resolve({ Ref: 'AuditTable' })).toBe('Certflow-AuditTable-111111111111');
    expect(resources.resolve({ Ref: 'Outbound' })).toBe(
      'arn:aws:states:eu-west-1:111111111111:stateMachine:Certflow-Outbound-111111111111',
    );
    expect(resources.resolve({ Ref: 'Approvers' })).toBe('arn:aws:sns:eu-west-1:111111111111:Certflow-Approvers-111111111111');
    expect(resources.resolve({ Ref: 'AWS::AccountId' })).toBe('111111111111');
  });

  it('resolves Fn::GetAtt Arn, Fn::Join, Fn::Select, Fn::Split and Fn::Sub inside nested values', () => {
    const resolved = resources.resolve({
      Definition: {
        'Fn::Join': ['', ['{"Resource":"', { 'Fn::GetAtt': ['TransferFn', 'Arn'] }, '","Partition":"', { Ref: 'AWS::Partition' }, '"}']],
      },
      Picked: { 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] },
      Sub: { 'Fn::Sub': ['${AWS::Region}/${Table}/${TransferFn.Arn}', { Table: { Ref: 'AuditTable' } }] },
    });
    expect(resolved).toEqual({
      Definition: '{"Resource":"arn:aws:lambda:eu-west-1:111111111111:function:Certflow-TransferFn-111111111111","Partition":"aws"}',
      Picked: 'b',
      Sub: 'eu-west-1/Certflow-AuditTable-111111111111/arn:aws:lambda:eu-west-1:111111111111:function:Certflow-TransferFn-111111111111',
    });
  });

  it("resolves a bucket policy's Fn::Join of the bucket ARN and the peer's root ARN, as the CDK renders them", () => {
    expect(
      resources.resolve({
        Bucket: { Ref: 'Files' },
        Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::222222222222:root']] } },
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Files', 'Arn'] }, '/exchange/*']] },
      }),
    ).toEqual({
      Bucket: 'certflow-files-111111111111',
      Principal: { AWS: 'arn:aws:iam::222222222222:root' },
      Resource: 'arn:aws:s3:::certflow-files-111111111111/exchange/*',
    });
  });

  it('fails clearly on a resource the template does not have', () => {
    expect(() => resources.resolve({ Ref: 'Missing' })).toThrow('the template has no resource Missing');
  });
});
