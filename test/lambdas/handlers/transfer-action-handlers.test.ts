import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  InternalServerError,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import {
  AcceptCertificateTransferCommand,
  CancelCertificateTransferCommand,
  CertificateStateException,
  DescribeCertificateCommand,
  InternalFailureException,
  InvalidRequestException,
  IoTClient,
  RejectCertificateTransferCommand,
  ResourceNotFoundException,
  ServiceUnavailableException,
  ThrottlingException,
  TransferAlreadyCompletedException,
  TransferCertificateCommand,
  TransferConflictException,
  UnauthorizedException,
  type CertificateDescription,
} from '@aws-sdk/client-iot';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { Context } from 'aws-lambda';
import { handler as acceptHandler } from '../../../lambdas/handlers/accept-certificate-transfer';
import { handler as cancelHandler } from '../../../lambdas/handlers/cancel-certificate-transfer';
import { handler as rejectHandler } from '../../../lambdas/handlers/reject-certificate-transfer';
import { handler as transferHandler } from '../../../lambdas/handlers/transfer-certificate';
import type { AuditRow } from '../../../lambdas/audit-trail/audit-row';
import type { TransferActionResult } from '../../../lambdas/transfer-actions/run-transfer-action';
import { CERTIFICATE_ID, EXECUTION_ID, NOW, SOURCE_ACCOUNT, TARGET_ACCOUNT, lambdaContext } from './handler-fixtures';

const iot = mockClient(IoTClient);
const dynamodb = mockClient(DynamoDBClient);
const AUDIT_TABLE = 'certflow-audit-test';

/** The four command classes differ only in their input shapes; these tests drive them alike. */
const drivenAlike = (command: unknown) => command as typeof TransferCertificateCommand;

type Handler = (event: unknown, context: Context) => Promise<TransferActionResult>;

interface HandlerCase {
  action: string;
  handler: Handler;
  command: typeof TransferCertificateCommand;
  /** The account the function runs in. */
  accountId: string;
  event: Record<string, unknown>;
  expectedInput: Record<string, unknown>;
  expectedRow: Partial<AuditRow>;
}

const CASES: HandlerCase[] = [
  {
    action: 'TransferCertificate',
    handler: transferHandler,
    command: TransferCertificateCommand,
    accountId: SOURCE_ACCOUNT,
    event: {
      certificateId: CERTIFICATE_ID,
      targetAwsAccount: TARGET_ACCOUNT,
      transferMessage: 'fleet move',
      requestedBy: 'alice',
      approvedBy: 'bob',
      executionId: EXECUTION_ID,
    },
    expectedInput: { certificateId: CERTIFICATE_ID, targetAwsAccount: TARGET_ACCOUNT, transferMessage: 'fleet move' },
    expectedRow: { sourceAwsAccount: SOURCE_ACCOUNT, targetAwsAccount: TARGET_ACCOUNT, message: 'fleet move' },
  },
  {
    action: 'AcceptCertificateTransfer',
    handler: acceptHandler,
    command: drivenAlike(AcceptCertificateTransferCommand),
    accountId: TARGET_ACCOUNT,
    event: {
      certificateId: CERTIFICATE_ID,
      setAsActive: true,
      sourceAwsAccount: SOURCE_ACCOUNT,
      requestedBy: 'alice',
      approvedBy: 'bob',
      executionId: EXECUTION_ID,
    },
    expectedInput: { certificateId: CERTIFICATE_ID, setAsActive: true },
    expectedRow: { sourceAwsAccount: SOURCE_ACCOUNT, targetAwsAccount: TARGET_ACCOUNT, setAsActive: true },
  },
  {
    action: 'RejectCertificateTransfer',
    handler: rejectHandler,
    command: drivenAlike(RejectCertificateTransferCommand),
    accountId: TARGET_ACCOUNT,
    event: {
      certificateId: CERTIFICATE_ID,
      rejectReason: 'unknown device',
      sourceAwsAccount: SOURCE_ACCOUNT,
      requestedBy: 'alice',
      approvedBy: 'bob',
      executionId: EXECUTION_ID,
    },
    expectedInput: { certificateId: CERTIFICATE_ID, rejectReason: 'unknown device' },
    expectedRow: { sourceAwsAccount: SOURCE_ACCOUNT, targetAwsAccount: TARGET_ACCOUNT, message: 'unknown device' },
  },
  {
    action: 'CancelCertificateTransfer',
    handler: cancelHandler,
    command: drivenAlike(CancelCertificateTransferCommand),
    accountId: SOURCE_ACCOUNT,
    event: {
      certificateId: CERTIFICATE_ID,
      targetAwsAccount: TARGET_ACCOUNT,
      requestedBy: 'alice',
      approvedBy: 'bob',
      executionId: EXECUTION_ID,
    },
    expectedInput: { certificateId: CERTIFICATE_ID },
    expectedRow: { sourceAwsAccount: SOURCE_ACCOUNT, targetAwsAccount: TARGET_ACCOUNT },
  },
];

const IOT_ERRORS = [
  { error: ThrottlingException, retryable: true },
  { error: ServiceUnavailableException, retryable: true },
  { error: InternalFailureException, retryable: true },
  { error: CertificateStateException, retryable: false },
  { error: TransferConflictException, retryable: false },
  { error: TransferAlreadyCompletedException, retryable: false },
  { error: ResourceNotFoundException, retryable: false },
  { error: InvalidRequestException, retryable: false },
  { error: UnauthorizedException, retryable: false },
];

/** A certificate that shows none of the signs of an Action having already taken effect. */
const UNTOUCHED_CERTIFICATE: CertificateDescription = {
  certificateId: CERTIFICATE_ID,
  certificateArn: `arn:aws:iot:us-east-1:${SOURCE_ACCOUNT}:cert/${CERTIFICATE_ID}`,
  status: 'INACTIVE',
  ownedBy: SOURCE_ACCOUNT,
};

function writtenRows(): AuditRow[] {
  return dynamodb.commandCalls(PutItemCommand).map((call) => unmarshall(call.args[0].input.Item ?? {}) as AuditRow);
}

function useAccount(accountId: string): void {
  process.env.CERTFLOW_ACCOUNT_ID = accountId;
}

beforeAll(() => {
  process.env.AUDIT_TABLE_NAME = AUDIT_TABLE;
  jest.useFakeTimers({
    now: NOW,
    doNotFake: [
      'nextTick',
      'setImmediate',
      'setTimeout',
      'setInterval',
      'clearTimeout',
      'clearInterval',
      'clearImmediate',
      'queueMicrotask',
      'performance',
      'hrtime',
    ],
  });
});

afterAll(() => {
  jest.useRealTimers();
});

beforeEach(() => {
  iot.reset();
  dynamodb.reset();
  dynamodb.on(GetItemCommand).resolves({ $metadata: {} });
  dynamodb.on(PutItemCommand).resolves({ $metadata: {} });
  dynamodb.on(QueryCommand).resolves({ $metadata: {}, Items: [] });
  iot.on(DescribeCertificateCommand).resolves({ $metadata: {}, certificateDescription: UNTOUCHED_CERTIFICATE });
});

describe.each(CASES)('$action handler', (testCase) => {
  beforeAll(() => useAccount(testCase.accountId));

  it('calls the IoT Action with the validated fields and records one SUCCEEDED row', async () => {
    iot.on(testCase.command).resolves({
      $metadata: { requestId: 'iot-request-1' },
      ...(testCase.action === 'TransferCertificate'
        ? { transferredCertificateArn: `arn:aws:iot:us-east-1:${SOURCE_ACCOUNT}:cert/${CERTIFICATE_ID}` }
        : {}),
    });

    const result = await testCase.handler(testCase.event, lambdaContext());

    expect(iot).toHaveReceivedCommandTimes(testCase.command, 1);
    expect(iot).toHaveReceivedCommandWith(testCase.command, testCase.expectedInput);
    expect(result.alreadyApplied).toBe(false);
    expect(result.action).toBe(testCase.action);
    const rows = writtenRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toEqual({
      rowId: result.auditRowId,
      certificateId: CERTIFICATE_ID,
      action: testCase.action,
      outcome: 'SUCCEEDED',
      requestedBy: 'alice',
      approvedBy: 'bob',
      executionId: EXECUTION_ID,
      invocationId: 'invocation-1',
      awsRequestId: 'iot-request-1',
      recordedAt: NOW.toISOString(),
      ...testCase.expectedRow,
      ...(result.transferredCertificateArn ? { transferredCertificateArn: result.transferredCertificateArn } : {}),
      ...(result.certificateStatus ? { certificateStatus: result.certificateStatus } : {}),
    });
    const put = dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(put?.TableName).toBe(AUDIT_TABLE);
    expect(put?.ConditionExpression).toBe('attribute_not_exists(#rowId)');
  });

  it.each(IOT_ERRORS)(
    'rethrows $error.name under its own name (retryable: $retryable) and records one FAILED row',
    async ({ error, retryable }) => {
      iot.on(testCase.command).rejects(new error({ message: `IoT said ${error.name}`, $metadata: { requestId: 'iot-request-2' } }));

      const thrown = await testCase.handler(testCase.event, lambdaContext()).catch((e: unknown) => e);

      expect(thrown).toMatchObject({ name: error.name, retryable, message: `IoT said ${error.name}` });
      const rows = writtenRows();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toEqual({
        rowId: expect.stringMatching(new RegExp(`^${CERTIFICATE_ID}#${testCase.action}#[0-9a-f]{32}$`)),
        certificateId: CERTIFICATE_ID,
        action: testCase.action,
        outcome: 'FAILED',
        errorName: error.name,
        errorMessage: `IoT said ${error.name}`,
        requestedBy: 'alice',
        approvedBy: 'bob',
        executionId: EXECUTION_ID,
        invocationId: 'invocation-1',
        awsRequestId: 'iot-request-2',
        recordedAt: NOW.toISOString(),
        ...testCase.expectedRow,
      });
    },
  );

  it('maps an error that is not an IoT error to the retryable IotRequestFailed', async () => {
    iot.on(testCase.command).rejects(new Error('socket hang up'));

    const thrown = await testCase.handler(testCase.event, lambdaContext()).catch((e: unknown) => e);

    expect(thrown).toMatchObject({ name: 'IotRequestFailed', retryable: true, message: 'socket hang up' });
    expect(writtenRows()).toEqual([expect.objectContaining({ outcome: 'FAILED', errorName: 'IotRequestFailed' })]);
  });

  it('reports a step re-run after its recorded success as the same success, without calling IoT or writing a row', async () => {
    iot.on(testCase.command).resolves({ $metadata: { requestId: 'iot-request-1' } });
    const first = await testCase.handler(testCase.event, lambdaContext('invocation-1'));
    const [recorded] = writtenRows();
    dynamodb
      .on(GetItemCommand, { Key: marshall({ rowId: first.auditRowId }) })
      .resolves({ Item: marshall(recorded, { removeUndefinedValues: true }) });
    iot.resetHistory();
    dynamodb.resetHistory();

    const again = await testCase.handler(testCase.event, lambdaContext('invocation-2'));

    expect(again).toEqual({ ...first, alreadyApplied: true });
    expect(iot).toHaveReceivedCommandTimes(testCase.command, 0);
    expect(writtenRows()).toHaveLength(0);
  });

  it('writes no second row when the same outcome was already recorded (conditional put refused)', async () => {
    iot.on(testCase.command).resolves({ $metadata: { requestId: 'iot-request-1' } });
    dynamodb.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));

    const result = await testCase.handler(testCase.event, lambdaContext());

    expect(result.alreadyApplied).toBe(false);
    expect(dynamodb).toHaveReceivedCommandTimes(PutItemCommand, 1);
  });

  it('fails with the retryable AuditTrailUnavailable when the audit row cannot be written', async () => {
    iot.on(testCase.command).resolves({ $metadata: { requestId: 'iot-request-1' } });
    dynamodb.on(PutItemCommand).rejects(new InternalServerError({ message: 'boom', $metadata: {} }));

    await expect(testCase.handler(testCase.event, lambdaContext())).rejects.toMatchObject({ name: 'AuditTrailUnavailable' });
  });

  it('validates certificateId before any AWS call', async () => {
    for (const [certificateId, rule] of [
      [undefined, 'certificateId: is required and must be a string'],
      ['abc', 'certificateId: must be exactly 64 characters long (got 3)'],
      ['g'.repeat(64), 'certificateId: must match the pattern (0x)?[a-fA-F0-9]+'],
      [42, 'certificateId: is required and must be a string'],
    ] as const) {
      await expect(testCase.handler({ ...testCase.event, certificateId }, lambdaContext())).rejects.toMatchObject({
        name: 'ValidationError',
        field: 'certificateId',
        message: rule,
      });
    }
    expect(iot.calls()).toHaveLength(0);
    expect(dynamodb.calls()).toHaveLength(0);
  });

  it('rejects an event that is not a JSON object', async () => {
    await expect(testCase.handler('not-an-object', lambdaContext())).rejects.toMatchObject({ name: 'ValidationError', field: 'event' });
    await expect(testCase.handler([testCase.event], lambdaContext())).rejects.toMatchObject({ name: 'ValidationError', field: 'event' });
  });

  it('validates the actor and execution fields', async () => {
    await expect(testCase.handler({ ...testCase.event, requestedBy: '' }, lambdaContext())).rejects.toThrow(
      'requestedBy: must be a non-empty string',
    );
    await expect(testCase.handler({ ...testCase.event, approvedBy: 'x'.repeat(257) }, lambdaContext())).rejects.toThrow(
      'approvedBy: must be at most 256 characters long (got 257)',
    );
    await expect(testCase.handler({ ...testCase.event, executionId: 7 }, lambdaContext())).rejects.toThrow(
      'executionId: must be a non-empty string',
    );
    expect(iot.calls()).toHaveLength(0);
  });
});

describe('TransferCertificate handler', () => {
  const event = CASES[0]!.event;
  beforeAll(() => useAccount(SOURCE_ACCOUNT));

  it('accepts a certificateId with the 0x prefix and upper-case hex', async () => {
    const certificateId = `0x${'AB'.repeat(31)}`;
    iot.on(TransferCertificateCommand).resolves({ $metadata: {} });
    await transferHandler({ ...event, certificateId }, lambdaContext());
    expect(iot).toHaveReceivedCommandWith(TransferCertificateCommand, { certificateId });
  });

  it.each([
    [{ targetAwsAccount: undefined }, 'targetAwsAccount: is required and must be a string'],
    [{ targetAwsAccount: '12345678901' }, 'targetAwsAccount: must be exactly 12 digits'],
    [{ targetAwsAccount: '12345678901a' }, 'targetAwsAccount: must be exactly 12 digits'],
    [{ transferMessage: 'm'.repeat(129) }, 'transferMessage: must be at most 128 characters long (got 129)'],
    [{ transferMessage: 5 }, 'transferMessage: must be a string'],
  ])('rejects %o with a ValidationError', async (change, message) => {
    await expect(transferHandler({ ...event, ...change }, lambdaContext())).rejects.toMatchObject({ name: 'ValidationError', message });
    expect(iot.calls()).toHaveLength(0);
  });

  it('accepts a transferMessage of exactly 128 characters and no message at all', async () => {
    iot.on(TransferCertificateCommand).resolves({ $metadata: {} });
    await transferHandler({ ...event, transferMessage: 'm'.repeat(128) }, lambdaContext('a'));
    await transferHandler({ ...event, transferMessage: undefined }, lambdaContext('b'));
    expect(iot).toHaveReceivedCommandTimes(TransferCertificateCommand, 2);
  });

  it('reports a re-run on a certificate already PENDING_TRANSFER with the same message as the same success, audited once', async () => {
    iot
      .on(TransferCertificateCommand)
      .rejects(new CertificateStateException({ message: 'not INACTIVE', $metadata: { requestId: 'iot-request-3' } }));
    iot.on(DescribeCertificateCommand).resolves({
      $metadata: { requestId: 'iot-describe-1' },
      certificateDescription: {
        ...UNTOUCHED_CERTIFICATE,
        status: 'PENDING_TRANSFER',
        transferData: { transferMessage: 'fleet move', transferDate: NOW },
        certificatePem: '-----BEGIN CERTIFICATE-----never logged-----END CERTIFICATE-----',
      },
    });

    const result = await transferHandler(event, lambdaContext());

    expect(result).toMatchObject({
      alreadyApplied: true,
      certificateStatus: 'PENDING_TRANSFER',
      transferredCertificateArn: UNTOUCHED_CERTIFICATE.certificateArn,
    });
    expect(writtenRows()).toEqual([
      {
        rowId: result.auditRowId,
        certificateId: CERTIFICATE_ID,
        action: 'TransferCertificate',
        outcome: 'SUCCEEDED',
        alreadyApplied: true,
        sourceAwsAccount: SOURCE_ACCOUNT,
        targetAwsAccount: TARGET_ACCOUNT,
        message: 'fleet move',
        requestedBy: 'alice',
        approvedBy: 'bob',
        executionId: EXECUTION_ID,
        invocationId: 'invocation-1',
        awsRequestId: 'iot-describe-1',
        transferredCertificateArn: UNTOUCHED_CERTIFICATE.certificateArn,
        certificateStatus: 'PENDING_TRANSFER',
        recordedAt: NOW.toISOString(),
      },
    ]);
  });

  it('keeps the error when the pending transfer carries a different message', async () => {
    iot.on(TransferCertificateCommand).rejects(new CertificateStateException({ message: 'not INACTIVE', $metadata: {} }));
    iot.on(DescribeCertificateCommand).resolves({
      $metadata: {},
      certificateDescription: { ...UNTOUCHED_CERTIFICATE, status: 'PENDING_TRANSFER', transferData: { transferMessage: 'someone else' } },
    });
    await expect(transferHandler(event, lambdaContext())).rejects.toMatchObject({ name: 'CertificateStateException' });
    expect(writtenRows()).toEqual([expect.objectContaining({ outcome: 'FAILED', errorName: 'CertificateStateException' })]);
  });

  it('keeps the error when the audit trail shows the pending transfer went to another account', async () => {
    iot.on(TransferCertificateCommand).rejects(new CertificateStateException({ message: 'not INACTIVE', $metadata: {} }));
    iot.on(DescribeCertificateCommand).resolves({
      $metadata: {},
      certificateDescription: { ...UNTOUCHED_CERTIFICATE, status: 'PENDING_TRANSFER', transferData: { transferMessage: 'fleet move' } },
    });
    dynamodb.on(QueryCommand).resolves({
      Items: [
        marshall({
          rowId: 'r',
          certificateId: CERTIFICATE_ID,
          action: 'TransferCertificate',
          outcome: 'SUCCEEDED',
          targetAwsAccount: '333333333333',
        }),
      ],
    });
    await expect(transferHandler(event, lambdaContext())).rejects.toMatchObject({ name: 'CertificateStateException' });
    expect(dynamodb).toHaveReceivedCommandWith(QueryCommand, { IndexName: 'byCertificate', ScanIndexForward: false });
  });

  it('rethrows a throttled confirmation as retryable, and records the Action error', async () => {
    iot.on(TransferCertificateCommand).rejects(new CertificateStateException({ message: 'not INACTIVE', $metadata: {} }));
    iot.on(DescribeCertificateCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    await expect(transferHandler(event, lambdaContext())).rejects.toMatchObject({ name: 'ThrottlingException', retryable: true });
    expect(writtenRows()).toEqual([
      expect.objectContaining({
        outcome: 'FAILED',
        errorName: 'CertificateStateException',
        errorMessage: 'not INACTIVE (confirming whether the Action had already taken effect failed: ThrottlingException: Rate exceeded)',
      }),
    ]);
  });
});

describe('AcceptCertificateTransfer handler', () => {
  const event = CASES[1]!.event;
  beforeAll(() => useAccount(TARGET_ACCOUNT));

  it.each([
    ['true', true],
    ['false', false],
    [false, false],
  ])('accepts setAsActive %p as %p', async (setAsActive, expected) => {
    iot.on(AcceptCertificateTransferCommand).resolves({ $metadata: {} });
    const result = await acceptHandler({ ...event, setAsActive }, lambdaContext());
    expect(iot).toHaveReceivedCommandWith(AcceptCertificateTransferCommand, { setAsActive: expected });
    expect(result.certificateStatus).toBe(expected ? 'ACTIVE' : 'INACTIVE');
  });

  it.each([['yes'], [1], ['TRUE']])('rejects setAsActive %p with a ValidationError', async (setAsActive) => {
    await expect(acceptHandler({ ...event, setAsActive }, lambdaContext())).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'setAsActive: must be a boolean (true or false)',
    });
    expect(iot.calls()).toHaveLength(0);
  });

  it('rejects a sourceAwsAccount that is not 12 digits', async () => {
    await expect(acceptHandler({ ...event, sourceAwsAccount: 'abc' }, lambdaContext())).rejects.toThrow(
      'sourceAwsAccount: must be exactly 12 digits',
    );
  });

  it('reports a re-run after the certificate was accepted into this account as the same success', async () => {
    iot.on(AcceptCertificateTransferCommand).rejects(new TransferAlreadyCompletedException({ message: 'done', $metadata: {} }));
    iot.on(DescribeCertificateCommand).resolves({
      $metadata: { requestId: 'iot-describe-2' },
      certificateDescription: {
        ...UNTOUCHED_CERTIFICATE,
        status: 'ACTIVE',
        ownedBy: TARGET_ACCOUNT,
        previousOwnedBy: SOURCE_ACCOUNT,
        transferData: { acceptDate: NOW },
      },
    });

    const result = await acceptHandler(event, lambdaContext());

    expect(result).toMatchObject({ alreadyApplied: true, certificateStatus: 'ACTIVE' });
    expect(writtenRows()).toEqual([
      expect.objectContaining({ outcome: 'SUCCEEDED', alreadyApplied: true, awsRequestId: 'iot-describe-2', certificateStatus: 'ACTIVE' }),
    ]);
  });

  it('keeps TransferAlreadyCompletedException when the certificate came from another source account', async () => {
    iot.on(AcceptCertificateTransferCommand).rejects(new TransferAlreadyCompletedException({ message: 'done', $metadata: {} }));
    iot.on(DescribeCertificateCommand).resolves({
      $metadata: {},
      certificateDescription: {
        ...UNTOUCHED_CERTIFICATE,
        ownedBy: TARGET_ACCOUNT,
        previousOwnedBy: '333333333333',
        transferData: { acceptDate: NOW },
      },
    });
    await expect(acceptHandler(event, lambdaContext())).rejects.toMatchObject({ name: 'TransferAlreadyCompletedException' });
  });
});

describe('RejectCertificateTransfer handler', () => {
  const event = CASES[2]!.event;
  beforeAll(() => useAccount(TARGET_ACCOUNT));

  it('rejects a rejectReason over 128 characters', async () => {
    await expect(rejectHandler({ ...event, rejectReason: 'r'.repeat(129) }, lambdaContext())).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'rejectReason: must be at most 128 characters long (got 129)',
    });
    expect(iot.calls()).toHaveLength(0);
  });

  it('does not ask DescribeCertificate after TransferAlreadyCompletedException: the target can no longer see the certificate', async () => {
    iot.on(RejectCertificateTransferCommand).rejects(new TransferAlreadyCompletedException({ message: 'done', $metadata: {} }));
    await expect(rejectHandler(event, lambdaContext())).rejects.toMatchObject({ name: 'TransferAlreadyCompletedException' });
    expect(iot).toHaveReceivedCommandTimes(DescribeCertificateCommand, 0);
  });
});

describe('CancelCertificateTransfer handler', () => {
  const event = CASES[3]!.event;
  beforeAll(() => useAccount(SOURCE_ACCOUNT));

  it('reports a re-run after the transfer was cancelled as the same success', async () => {
    iot.on(CancelCertificateTransferCommand).rejects(new TransferAlreadyCompletedException({ message: 'done', $metadata: {} }));
    iot.on(DescribeCertificateCommand).resolves({
      $metadata: {},
      certificateDescription: { ...UNTOUCHED_CERTIFICATE, transferData: { transferMessage: 'fleet move', transferDate: NOW } },
    });
    const result = await cancelHandler(event, lambdaContext());
    expect(result).toMatchObject({ alreadyApplied: true, certificateStatus: 'INACTIVE' });
    expect(writtenRows()).toEqual([expect.objectContaining({ outcome: 'SUCCEEDED', alreadyApplied: true })]);
  });

  it('keeps TransferAlreadyCompletedException when the target had already accepted or rejected', async () => {
    iot.on(CancelCertificateTransferCommand).rejects(new TransferAlreadyCompletedException({ message: 'done', $metadata: {} }));
    iot.on(DescribeCertificateCommand).resolves({
      $metadata: {},
      certificateDescription: { ...UNTOUCHED_CERTIFICATE, transferData: { transferDate: NOW, rejectDate: NOW, rejectReason: 'no' } },
    });
    await expect(cancelHandler(event, lambdaContext())).rejects.toMatchObject({ name: 'TransferAlreadyCompletedException' });
    expect(writtenRows()).toEqual([expect.objectContaining({ outcome: 'FAILED', errorName: 'TransferAlreadyCompletedException' })]);
  });

  it('keeps InvalidRequestException for a certificate that was never transferred', async () => {
    iot.on(CancelCertificateTransferCommand).rejects(new InvalidRequestException({ message: 'not pending', $metadata: {} }));
    await expect(cancelHandler(event, lambdaContext())).rejects.toMatchObject({ name: 'InvalidRequestException' });
  });
});
