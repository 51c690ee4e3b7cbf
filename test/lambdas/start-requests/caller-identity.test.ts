import { ValidationError } from '../../../lambdas/iot-api/field-rules';
import { emailOfPrincipal, parseCallerIdentity, requesterOf } from '../../../lambdas/start-requests/caller-identity';

describe('the requester of a start request', () => {
  it('is the e-mail address an assumed-role session is named after (IAM Identity Center sessions)', () => {
    const arn = 'arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Operator_0123456789abcdef/Alice@Example.com';
    expect(requesterOf({ userArn: arn })).toEqual({ requestedBy: 'Alice@Example.com', requestedByArn: arn });
  });

  it('is the e-mail address an IAM user is named, under any path', () => {
    expect(emailOfPrincipal('arn:aws:iam::111111111111:user/ops/bob@example.com')).toBe('bob@example.com');
  });

  it.each([
    'arn:aws:sts::111111111111:assumed-role/Deployer/session-1234',
    'arn:aws:iam::111111111111:user/ci-robot',
    'arn:aws:iam::111111111111:root',
  ])('is the ARN itself when %s names no e-mail address', (arn) => {
    expect(requesterOf({ userArn: arn })).toEqual({ requestedBy: arn, requestedByArn: arn });
  });

  it('does not take a look-alike or display-name session as an address', () => {
    expect(emailOfPrincipal('arn:aws:sts::111111111111:assumed-role/R/alice\u200b@example.com')).toBeUndefined();
  });

  it('refuses a request context without the identity IAM authorization fills in', () => {
    expect(() => parseCallerIdentity({ sourceIp: '1.2.3.4', userArn: null })).toThrow(
      new ValidationError('requestContext.identity.userArn', 'is required: the API must use IAM authorization (AWS_IAM)'),
    );
  });
});
