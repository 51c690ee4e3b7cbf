import { parseBucketPolicy } from '../../../local/s3/bucket-policy';
import { evaluateBucketPolicy, type PolicyRequest } from '../../../local/s3/bucket-policy-evaluation';

const BUCKET = 'migrations-111111111111';
const PEER = '222222222222';
const THIRD = '333333333333';

const policyOf = (...statements: object[]) => parseBucketPolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }), BUCKET);
const getObject = (key: string, accountId = PEER, context: PolicyRequest['context'] = {}): PolicyRequest => ({
  accountId,
  action: 's3:GetObject',
  resourceArn: `arn:aws:s3:::${BUCKET}/${key}`,
  context: { 'aws:securetransport': 'true', 'aws:principalaccount': accountId, ...context },
});
const allowPeer = (extra: object = {}) => ({
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${PEER}:root` },
  Action: 's3:GetObject',
  Resource: `arn:aws:s3:::${BUCKET}/exchange/*`,
  ...extra,
});

describe('evaluateBucketPolicy', () => {
  it('allows the account an Allow names, by root ARN, by account id, in a list or as "*"', () => {
    for (const principal of [{ AWS: `arn:aws:iam::${PEER}:root` }, { AWS: PEER }, { AWS: [THIRD, PEER] }, '*', { AWS: '*' }]) {
      expect(evaluateBucketPolicy(policyOf(allowPeer({ Principal: principal })), getObject('exchange/ids.csv'))).toBe('allow');
    }
    expect(evaluateBucketPolicy(policyOf(allowPeer()), getObject('exchange/ids.csv', THIRD))).toBe('none');
  });

  it('matches actions without regard to case and with * and ? wildcards, and resources case-sensitively', () => {
    for (const action of ['s3:GetObject', 'S3:getobject', 's3:*', '*', 's3:Get*', 's3:GetObjec?', ['s3:PutObject', 's3:GetObject']]) {
      expect(evaluateBucketPolicy(policyOf(allowPeer({ Action: action })), getObject('exchange/ids.csv'))).toBe('allow');
    }
    expect(evaluateBucketPolicy(policyOf(allowPeer({ Action: 's3:Put*' })), getObject('exchange/ids.csv'))).toBe('none');
    expect(evaluateBucketPolicy(policyOf(allowPeer()), getObject('Exchange/ids.csv'))).toBe('none');
    expect(evaluateBucketPolicy(policyOf(allowPeer()), getObject('exchange/batches/0001/offers.json'))).toBe('allow');
    const oneCharacter = policyOf(allowPeer({ Resource: [`arn:aws:s3:::${BUCKET}/batch-?.json`] }));
    expect(evaluateBucketPolicy(oneCharacter, getObject('batch-7.json'))).toBe('allow');
    expect(evaluateBucketPolicy(oneCharacter, getObject('batch-17.json'))).toBe('none');
  });

  it('lets a matching Deny override any Allow', () => {
    const policy = policyOf(allowPeer(), {
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: `arn:aws:s3:::${BUCKET}/exchange/private/*`,
    });
    expect(evaluateBucketPolicy(policy, getObject('exchange/ids.csv'))).toBe('allow');
    expect(evaluateBucketPolicy(policy, getObject('exchange/private/key.pem'))).toBe('deny');
  });

  it('reads NotPrincipal, NotAction and NotResource as everything but what they name', () => {
    const denyAllButPeer = { Effect: 'Deny', NotPrincipal: { AWS: PEER }, Action: 's3:*', Resource: `arn:aws:s3:::${BUCKET}/*` };
    expect(evaluateBucketPolicy(policyOf(allowPeer({ Principal: '*' }), denyAllButPeer), getObject('exchange/a'))).toBe('allow');
    expect(evaluateBucketPolicy(policyOf(allowPeer({ Principal: '*' }), denyAllButPeer), getObject('exchange/a', THIRD))).toBe('deny');
    const allButPut = allowPeer({ Action: undefined, NotAction: 's3:PutObject' });
    expect(evaluateBucketPolicy(policyOf(allButPut), getObject('exchange/a'))).toBe('allow');
    expect(evaluateBucketPolicy(policyOf(allButPut), { ...getObject('exchange/a'), action: 's3:PutObject' })).toBe('none');
    const outsideRuns = allowPeer({ Resource: undefined, NotResource: `arn:aws:s3:::${BUCKET}/runs/*` });
    expect(evaluateBucketPolicy(policyOf(outsideRuns), getObject('exchange/a'))).toBe('allow');
    expect(evaluateBucketPolicy(policyOf(outsideRuns), getObject('runs/m-1/manifest.json'))).toBe('none');
  });

  it('evaluates Bool aws:SecureTransport, string operators and ...IfExists on the keys it knows', () => {
    const enforceSsl = {
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:*',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    };
    expect(evaluateBucketPolicy(policyOf(allowPeer(), enforceSsl), getObject('exchange/a'))).toBe('allow');
    expect(evaluateBucketPolicy(policyOf(allowPeer(), enforceSsl), getObject('exchange/a', PEER, { 'aws:securetransport': 'false' }))).toBe(
      'deny',
    );
    const onlyPeer = allowPeer({ Principal: '*', Condition: { StringEquals: { 'AWS:PrincipalAccount': [PEER] } } });
    expect(evaluateBucketPolicy(policyOf(onlyPeer), getObject('exchange/a'))).toBe('allow');
    expect(evaluateBucketPolicy(policyOf(onlyPeer), getObject('exchange/a', THIRD))).toBe('none');
    // s3:prefix is absent from a GetObject: StringLike does not hold, StringNotLike and ...IfExists do.
    expect(
      evaluateBucketPolicy(policyOf(allowPeer({ Condition: { StringLike: { 's3:prefix': 'exchange/*' } } })), getObject('exchange/a')),
    ).toBe('none');
    expect(
      evaluateBucketPolicy(policyOf(allowPeer({ Condition: { StringNotLike: { 's3:prefix': 'runs/*' } } })), getObject('exchange/a')),
    ).toBe('allow');
    expect(
      evaluateBucketPolicy(policyOf(allowPeer({ Condition: { StringLikeIfExists: { 's3:prefix': 'runs/*' } } })), getObject('exchange/a')),
    ).toBe('allow');
  });

  it('fails closed on a condition it cannot evaluate: such an Allow grants nothing, such a Deny denies', () => {
    const sourceIp = { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } };
    expect(evaluateBucketPolicy(policyOf(allowPeer({ Condition: sourceIp })), getObject('exchange/a'))).toBe('none');
    const deny = { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: `arn:aws:s3:::${BUCKET}/*`, Condition: sourceIp };
    expect(evaluateBucketPolicy(policyOf(allowPeer(), deny), getObject('exchange/a'))).toBe('deny');
    const unknownKey = { StringEquals: { 'aws:PrincipalOrgID': 'o-abc' } };
    expect(evaluateBucketPolicy(policyOf(allowPeer({ Condition: unknownKey })), getObject('exchange/a'))).toBe('none');
    // A statement that cannot apply (another action) denies nothing, whatever its condition.
    expect(evaluateBucketPolicy(policyOf(allowPeer(), { ...deny, Action: 's3:PutObject' }), getObject('exchange/a'))).toBe('allow');
  });

  it('fails closed on an IAM role of the caller account, which a sandbox caller cannot be told apart from', () => {
    const role = `arn:aws:iam::${PEER}:role/migration-reader`;
    expect(evaluateBucketPolicy(policyOf(allowPeer({ Principal: { AWS: role } })), getObject('exchange/a'))).toBe('none');
    const denyRole = { Effect: 'Deny', Principal: { AWS: role }, Action: 's3:*', Resource: `arn:aws:s3:::${BUCKET}/*` };
    expect(evaluateBucketPolicy(policyOf(allowPeer(), denyRole), getObject('exchange/a'))).toBe('deny');
    expect(evaluateBucketPolicy(policyOf(allowPeer({ Principal: '*' }), denyRole), getObject('exchange/a', THIRD))).toBe('allow');
  });

  it('treats a policy variable in a 2012-10-17 resource as not evaluable', () => {
    const withVariable = allowPeer({ Resource: `arn:aws:s3:::${BUCKET}/\${aws:PrincipalAccount}/*` });
    expect(evaluateBucketPolicy(policyOf(withVariable), getObject(`${PEER}/a`))).toBe('none');
  });
});
