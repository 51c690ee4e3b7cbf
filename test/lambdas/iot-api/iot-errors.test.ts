import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CancelCertificateTransferCommand, IoTClient, ThrottlingException, TransferCertificateCommand } from '@aws-sdk/client-iot';
import {
  AUDIT_TRAIL_UNAVAILABLE,
  AuditTrailUnavailableError,
  IotActionError,
  nameDeniedPermissions,
  PermissionDeniedError,
  RETRYABLE_ERROR_NAMES,
  TERMINAL_IOT_ERRORS,
  toAuditTrailError,
  toIotActionError,
} from '../../../lambdas/iot-api/iot-errors';

const CERTIFICATE_ID = 'a'.repeat(64);
const IAM_DENIAL =
  'User: arn:aws:sts::111111111111:assumed-role/certflow-transfer/fn is not authorized to perform: iot:TransferCertificate on resource: arn:aws:iot:us-east-1:111111111111:cert/' +
  CERTIFICATE_ID +
  ' because no identity-based policy allows the iot:TransferCertificate action';

/** One AWS error answer, as the service sends it: a status, the error type header and a JSON body. */
interface ErrorAnswer {
  status: number;
  errorType: string;
  message: string;
}

describe('IoT and AWS errors a workflow step throws', () => {
  let server: Server;
  let endpoint: string;
  let answer: ErrorAnswer;
  let requests = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests += 1;
      request.resume();
      request.on('end', () => {
        response.writeHead(answer.status, {
          'content-type': 'application/json',
          'x-amzn-ErrorType': answer.errorType,
          'x-amzn-RequestId': 'req-1',
        });
        response.end(JSON.stringify({ __type: answer.errorType, message: answer.message }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    requests = 0;
  });

  // Three attempts, as a denied call would get if it were retried.
  const iotClient = (maxAttempts = 3) => {
    const client = new IoTClient({ endpoint, region: 'us-east-1', maxAttempts });
    nameDeniedPermissions(client, 'iot');
    return client;
  };

  it('treats AccessDeniedException and UnauthorizedException as terminal: a retry cannot grant a permission', () => {
    expect(TERMINAL_IOT_ERRORS).toEqual(expect.arrayContaining(['AccessDeniedException', 'UnauthorizedException']));
    expect(RETRYABLE_ERROR_NAMES).not.toContain('AccessDeniedException');
    expect(RETRYABLE_ERROR_NAMES).not.toContain('UnauthorizedException');
    const mapped = toIotActionError(Object.assign(new Error(IAM_DENIAL), { name: 'AccessDeniedException' }));
    expect(mapped).toMatchObject({ name: 'AccessDeniedException', retryable: false });
  });

  it('fails a call IAM denies at once, naming the Action from AWS’s message, without SDK retries', async () => {
    answer = { status: 403, errorType: 'AccessDeniedException', message: IAM_DENIAL };
    const error: unknown = await iotClient()
      .send(new TransferCertificateCommand({ certificateId: CERTIFICATE_ID, targetAwsAccount: '222222222222' }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect(error).toMatchObject({ name: 'AccessDeniedException', action: 'iot:TransferCertificate' });
    expect((error as Error).message).toMatch(/^iot:TransferCertificate was denied: the function's role needs iot:TransferCertificate/);
    expect((error as Error).cause).toMatchObject({ name: 'AccessDeniedException', message: IAM_DENIAL });
    expect(requests).toBe(1);

    const stepError = toIotActionError(error);
    expect(stepError).toBeInstanceOf(IotActionError);
    expect(stepError).toMatchObject({ name: 'AccessDeniedException', retryable: false });
    expect(stepError.message).toContain('iot:TransferCertificate');
    expect(stepError.cause).toBe(error);
  });

  it('names the Action from the operation when IoT answers UnauthorizedException without one', async () => {
    answer = { status: 401, errorType: 'UnauthorizedException', message: 'You are not authorized to perform this operation.' };
    const error: unknown = await iotClient()
      .send(new CancelCertificateTransferCommand({ certificateId: CERTIFICATE_ID }))
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'UnauthorizedException', action: 'iot:CancelCertificateTransfer' });
    expect(toIotActionError(error)).toMatchObject({ name: 'UnauthorizedException', retryable: false });
  });

  it('leaves every other error as the SDK threw it', async () => {
    answer = { status: 400, errorType: 'ThrottlingException', message: 'Rate exceeded' };
    const error: unknown = await iotClient(1)
      .send(new CancelCertificateTransferCommand({ certificateId: CERTIFICATE_ID }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ThrottlingException);
    expect(toIotActionError(error)).toMatchObject({ name: 'ThrottlingException', retryable: true });
  });

  it('fails an audit-trail write DynamoDB denies as the denied dynamodb: Action, not as AuditTrailUnavailable', async () => {
    answer = { status: 400, errorType: 'com.amazon.coral.service#AccessDeniedException', message: 'Access denied' };
    const dynamodb = new DynamoDBClient({ endpoint, region: 'us-east-1', maxAttempts: 3 });
    nameDeniedPermissions(dynamodb, 'dynamodb');
    const error: unknown = await dynamodb
      .send(new PutItemCommand({ TableName: 'audit', Item: { rowId: { S: 'r1' } } }))
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'AccessDeniedException', action: 'dynamodb:PutItem' });
    expect(requests).toBe(1);

    expect(toAuditTrailError('audit row r1 was not written', error)).toBe(error);
    expect(RETRYABLE_ERROR_NAMES).not.toContain((error as Error).name);
    const outage = new Error('socket hang up');
    const unavailable = toAuditTrailError('audit row r1 was not written', outage);
    expect(unavailable).toBeInstanceOf(AuditTrailUnavailableError);
    expect(unavailable).toMatchObject({ name: AUDIT_TRAIL_UNAVAILABLE, message: 'audit row r1 was not written', cause: outage });
    expect(RETRYABLE_ERROR_NAMES).toContain(unavailable.name);
  });
});
