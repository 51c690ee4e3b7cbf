import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { serveStartRequest } from '../../../lambdas/start-requests/start-request-routes';
import { canonicalJson, sha256Hex } from '../../../lambdas/start-requests/start-request-rules';
import { startRequestId, type StartRequestStore } from '../../../lambdas/start-requests/start-request-store';
import { verifyStartRequest } from '../../../lambdas/start-requests/start-request-verification';
import { UnverifiedRequest } from '../../../lambdas/start-requests/start-request-errors';
import { InMemoryAuditTrail } from '../audit-trail/in-memory-audit-trail';
import { startRequestTableFixture } from './start-request-table-fixture';

const TRANSFER = 'arn:aws:states:us-east-1:111111111111:stateMachine:CertflowSource-OutboundTransfer';
const MIGRATION = 'arn:aws:states:us-east-1:111111111111:stateMachine:CertflowSource-Migration';
const ALICE = 'arn:aws:sts::111111111111:assumed-role/CertflowOperator/alice@example.com';
const CERTIFICATE = 'a'.repeat(64);
const identity = (userArn = ALICE) => ({ accountId: '111111111111', userArn, caller: 'AROAEXAMPLE:session', sourceIp: '10.0.0.1' });
const INPUT = { certificateId: CERTIFICATE, targetAwsAccount: '222222222222', reason: 'consolidation' };

describe('the start API', () => {
  const sfn = mockClient(SFNClient);
  let fixture: Awaited<ReturnType<typeof startRequestTableFixture>>;
  let store: StartRequestStore;
  const deps = () => ({
    sfn: new SFNClient({ region: 'us-east-1' }),
    store,
    stateMachines: { transfer: TRANSFER, migration: MIGRATION },
    now: () => new Date('2026-01-01T00:00:00Z'),
  });
  const post = (body: unknown, workflow = 'transfer', userArn = ALICE) =>
    serveStartRequest(deps(), { workflow, body: JSON.stringify(body), identity: identity(userArn) });

  beforeAll(async () => {
    fixture = await startRequestTableFixture();
    store = fixture.store;
  });
  afterAll(() => fixture.close());
  beforeEach(() => {
    sfn.reset();
    sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
      executionArn: `${TRANSFER.replace(':stateMachine:', ':execution:')}:${input.name}`,
      startDate: new Date('2026-01-01T00:00:01Z'),
    }));
  });

  it("starts the workflow with the caller's identity as requester, after recording the start request", async () => {
    const response = await post({ name: 'move-1', input: INPUT });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      executionArn: expect.stringMatching(/:execution:CertflowSource-OutboundTransfer:move-1$/),
      startDate: '2026-01-01T00:00:01.000Z',
      requestedBy: 'alice@example.com',
      requestedByArn: ALICE,
    });
    const sent = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(sent?.stateMachineArn).toBe(TRANSFER);
    expect(JSON.parse(sent?.input ?? '')).toEqual({ ...INPUT, requestedBy: 'alice@example.com', requestedByArn: ALICE });
    expect(await store.find(startRequestId(TRANSFER, 'move-1'))).toEqual({
      startRequestId: startRequestId(TRANSFER, 'move-1'),
      stateMachineArn: TRANSFER,
      executionName: 'move-1',
      callerArn: ALICE,
      requestedBy: 'alice@example.com',
      inputSha256: sha256Hex(sent?.input ?? ''),
      createdAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it.each(['requestedBy', 'requestedByArn'])('refuses 400 an input that names its own %s, and starts nothing', async (field) => {
    const response = await post({ input: { ...INPUT, [field]: 'mallory@example.com' } });
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ field: `input.${field}`, message: expect.stringContaining("caller's AWS identity") });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it.each([
    ['a name with a space', { name: 'move 1', input: INPUT }, 'name'],
    ['a name of 81 characters', { name: 'x'.repeat(81), input: INPUT }, 'name'],
    ['a name with a colon', { name: 'move:1', input: INPUT }, 'name'],
    ['no input', { name: 'move-2' }, 'input'],
    ['an unknown field', { input: INPUT, stateMachineArn: MIGRATION }, 'stateMachineArn'],
  ])('refuses 400 %s, naming the field', async (_what, body, field) => {
    const response = await post(body);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ field });
  });

  it('refuses 400 a workflow it does not start', async () => {
    expect(JSON.parse((await post({ input: INPUT }, 'InboundTransfer')).body)).toMatchObject({ field: 'workflow' });
  });

  it('starts the same name with the same input again as StartExecution does (idempotent)', async () => {
    expect((await post({ name: 'move-3', input: INPUT })).statusCode).toBe(200);
    expect((await post({ name: 'move-3', input: INPUT })).statusCode).toBe(200);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(2);
  });

  it('refuses 409 the same name with another input, or by another caller, and does not call StartExecution', async () => {
    await post({ name: 'move-4', input: INPUT });
    const other = await post({ name: 'move-4', input: { ...INPUT, reason: 'other' } });
    expect(other.statusCode).toBe(409);
    expect(JSON.parse(other.body)).toMatchObject({
      field: 'name',
      message: expect.stringContaining('already started with a different input'),
    });
    expect((await post({ name: 'move-4', input: INPUT }, 'transfer', 'arn:aws:iam::111111111111:user/bob@example.com')).statusCode).toBe(
      409,
    );
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('answers 409 when Step Functions has a closed execution of that name', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    expect((await post({ name: 'move-5', input: INPUT })).statusCode).toBe(409);
  });
});

describe("the workflow's start-request check", () => {
  let fixture: Awaited<ReturnType<typeof startRequestTableFixture>>;
  const sfn = mockClient(SFNClient);

  beforeAll(async () => {
    fixture = await startRequestTableFixture();
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });
    await serveStartRequest(
      { sfn: new SFNClient({ region: 'us-east-1' }), store: fixture.store, stateMachines: { transfer: TRANSFER, migration: MIGRATION } },
      { workflow: 'transfer', body: JSON.stringify({ name: 'started', input: INPUT }), identity: identity() },
    );
  });
  afterAll(() => fixture.close());

  const started = { ...INPUT, requestedBy: 'alice@example.com', requestedByArn: ALICE };
  const check = (trail: InMemoryAuditTrail, executionName: string, input: unknown) =>
    verifyStartRequest(
      { store: fixture.store, auditTrail: trail },
      {
        executionId: `arn:aws:states:us-east-1:111111111111:execution:x:${executionName}`,
        executionName,
        stateMachineArn: TRANSFER,
        input,
        invocationId: 'i-1',
      },
    );

  it('passes the execution the start API started, whatever key order Step Functions hands the input on in', async () => {
    const shuffled = Object.fromEntries(Object.entries(started).reverse());
    expect(JSON.stringify(shuffled)).not.toBe(canonicalJson(started));
    await expect(check(new InMemoryAuditTrail(), 'started', shuffled)).resolves.toEqual({
      requestedBy: 'alice@example.com',
      requestedByArn: ALICE,
    });
  });

  it('fails UnverifiedRequest, with one RequestUnverified row, an execution no start request backs (a direct StartExecution)', async () => {
    const trail = new InMemoryAuditTrail();
    await expect(check(trail, 'forged', { ...started })).rejects.toThrow(UnverifiedRequest);
    await expect(check(trail, 'forged', { ...started })).rejects.toThrow(/not started through the start API/);
    expect(trail.rows).toEqual([
      expect.objectContaining({
        action: 'RequestUnverified',
        outcome: 'FAILED',
        certificateId: CERTIFICATE,
        errorName: 'UnverifiedRequest',
      }),
    ]);
    expect(trail.rows[0]?.requestedBy).toBeUndefined();
  });

  it('fails UnverifiedRequest an execution whose input is not the one recorded', async () => {
    const trail = new InMemoryAuditTrail();
    await expect(check(trail, 'started', { ...started, targetAwsAccount: '333333333333' })).rejects.toThrow(
      /not the one the start API recorded/,
    );
    await expect(check(trail, 'started', { ...started, requestedBy: 'bob@example.com' })).rejects.toThrow(UnverifiedRequest);
    expect(trail.rows.map((row) => row.action)).toEqual(['RequestUnverified']);
  });
});
