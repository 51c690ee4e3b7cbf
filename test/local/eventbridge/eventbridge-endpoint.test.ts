import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  ListEventBusesCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemovePermissionCommand,
  RemoveTargetsCommand,
  TestEventPatternCommand,
  type EventBridgeClient,
} from '@aws-sdk/client-eventbridge';
import {
  eventually,
  functionArn,
  recordingFunctions,
  REGION,
  SOURCE,
  startEventBridgeFixture,
  TARGET,
  type EventBridgeFixture,
} from './eventbridge-fixture';

const busArn = (accountId: string, name: string) => `arn:aws:events:${REGION}:${accountId}:event-bus/${name}`;
const proposal = (extra: object = {}) => ({
  Source: 'certflow.transfer',
  DetailType: 'TransferProposed',
  Detail: JSON.stringify({ certificateId: 'abc', ...extra }),
});

describe('local EventBridge endpoint (SDK)', () => {
  let fixture: EventBridgeFixture;
  let functions: ReturnType<typeof recordingFunctions>;
  let source: EventBridgeClient;
  let target: EventBridgeClient;

  beforeEach(async () => {
    functions = recordingFunctions();
    fixture = await startEventBridgeFixture({ invoke: functions.invoke });
    source = fixture.client(SOURCE);
    target = fixture.client(TARGET);
  });
  afterEach(() => fixture.close());

  async function lambdaRule(client: EventBridgeClient, bus: string, name: string, pattern: object, arn: string, extra: object = {}) {
    await client.send(new PutRuleCommand({ Name: name, EventBusName: bus, EventPattern: JSON.stringify(pattern) }));
    await client.send(new PutTargetsCommand({ Rule: name, EventBusName: bus, Targets: [{ Id: 'fn', Arn: arn, ...extra }] }));
  }

  describe('PutEvents', () => {
    it('refuses no entries and more than 10 entries as ValidationException', async () => {
      await expect(source.send(new PutEventsCommand({ Entries: [] }))).rejects.toMatchObject({
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400 },
      });
      await expect(source.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => proposal()) }))).rejects.toMatchObject({
        name: 'ValidationException',
      });
    });

    it('fails only the entries that lack Source, DetailType or Detail, or whose Detail is not a JSON object', async () => {
      const answer = await source.send(
        new PutEventsCommand({
          Entries: [
            proposal(),
            { Source: 'certflow.transfer', DetailType: 'TransferProposed' },
            { ...proposal(), Detail: '[1,2]' },
            { ...proposal(), Detail: '{oops' },
          ],
        }),
      );
      expect(answer.FailedEntryCount).toBe(3);
      expect(answer.Entries?.[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
      expect(answer.Entries?.[1]).toMatchObject({ ErrorCode: 'InvalidArgument' });
      expect(answer.Entries?.[2]).toMatchObject({ ErrorCode: 'MalformedDetail' });
      expect(answer.Entries?.[3]).toMatchObject({ ErrorCode: 'MalformedDetail' });
    });

    it('fails the whole request when no entry has Source, DetailType and Detail', async () => {
      await expect(source.send(new PutEventsCommand({ Entries: [{ Source: 'a', DetailType: 'b' }] }))).rejects.toMatchObject({
        name: 'ValidationException',
      });
    });

    it('refuses an entry over 256 KB, counted as the user guide counts it', async () => {
      const big = 'x'.repeat(256 * 1024);
      await expect(
        source.send(new PutEventsCommand({ Entries: [{ ...proposal(), Detail: JSON.stringify({ big }) }] })),
      ).rejects.toMatchObject({ name: 'ValidationException' });
      const fits = 'x'.repeat(256 * 1024 - 200);
      const answer = await source.send(new PutEventsCommand({ Entries: [{ ...proposal(), Detail: JSON.stringify({ fits }) }] }));
      expect(answer.FailedEntryCount).toBe(0);
    });

    it('answers ResourceNotFoundException for an entry whose bus does not exist, and takes a bus by name or ARN', async () => {
      await source.send(new CreateEventBusCommand({ Name: 'certflow' }));
      const answer = await source.send(
        new PutEventsCommand({
          Entries: [
            { ...proposal(), EventBusName: 'nope' },
            { ...proposal(), EventBusName: 'certflow' },
            { ...proposal(), EventBusName: busArn(SOURCE, 'certflow') },
          ],
        }),
      );
      expect(answer.FailedEntryCount).toBe(1);
      expect(answer.Entries?.[0]).toMatchObject({ ErrorCode: 'ResourceNotFoundException' });
      expect(answer.Entries?.[1]?.EventId).toBeDefined();
      expect(answer.Entries?.[2]?.EventId).toBeDefined();
    });
  });

  describe('rules with Lambda targets', () => {
    const receiver = functionArn(SOURCE, 'receiver');

    it('delivers a matching event after PutEvents answers, in the standard envelope', async () => {
      await source.send(new CreateEventBusCommand({ Name: 'certflow' }));
      await lambdaRule(
        source,
        'certflow',
        'proposals',
        { source: ['certflow.transfer'], 'detail-type': ['TransferProposed'], detail: { certificateId: [{ prefix: 'ab' }] } },
        receiver,
      );
      const time = new Date('2026-01-02T03:04:05Z');
      const answer = await source.send(
        new PutEventsCommand({
          Entries: [
            { ...proposal(), EventBusName: 'certflow', Resources: ['arn:aws:iot:us-east-1:111111111111:cert/abc'], Time: time },
            { ...proposal({ certificateId: 'zz' }), EventBusName: 'certflow' },
          ],
        }),
      );
      const [event] = await eventually('the delivery', () => (functions.of(receiver).length > 0 ? functions.of(receiver) : undefined));
      await fixture.engine.settled();
      expect(functions.of(receiver)).toHaveLength(1);
      expect(event).toEqual({
        version: '0',
        id: answer.Entries?.[0]?.EventId,
        'detail-type': 'TransferProposed',
        source: 'certflow.transfer',
        account: SOURCE,
        time: '2026-01-02T03:04:05Z',
        region: REGION,
        resources: ['arn:aws:iot:us-east-1:111111111111:cert/abc'],
        detail: { certificateId: 'abc' },
      });
      expect(fixture.engine.deliveries()).toEqual([
        expect.objectContaining({
          targetArn: receiver,
          attempts: 1,
          ruleArn: `arn:aws:events:${REGION}:${SOURCE}:rule/certflow/proposals`,
        }),
      ]);
    });

    it('skips DISABLED rules until they are enabled again', async () => {
      await lambdaRule(source, 'default', 'proposals', { source: ['certflow.transfer'] }, receiver);
      await source.send(new DisableRuleCommand({ Name: 'proposals' }));
      await source.send(new PutEventsCommand({ Entries: [proposal()] }));
      await fixture.engine.settled();
      expect(functions.of(receiver)).toHaveLength(0);
      await source.send(new EnableRuleCommand({ Name: 'proposals' }));
      await source.send(new PutEventsCommand({ Entries: [proposal()] }));
      await eventually('the delivery', () => functions.of(receiver).length === 1);
    });

    it('passes Input or the InputPath part of the event instead of the event', async () => {
      await source.send(new PutRuleCommand({ Name: 'proposals', EventPattern: JSON.stringify({ source: ['certflow.transfer'] }) }));
      await source.send(
        new PutTargetsCommand({
          Rule: 'proposals',
          Targets: [
            { Id: 'constant', Arn: functionArn(SOURCE, 'constant'), Input: '{"fixed":true}' },
            { Id: 'detail', Arn: functionArn(SOURCE, 'detail'), InputPath: '$.detail' },
          ],
        }),
      );
      await source.send(new PutEventsCommand({ Entries: [proposal()] }));
      await fixture.engine.settled();
      expect(functions.of(functionArn(SOURCE, 'constant'))).toEqual([{ fixed: true }]);
      expect(functions.of(functionArn(SOURCE, 'detail'))).toEqual([{ certificateId: 'abc' }]);
    });

    it('retries a failed invocation with back-off until it succeeds', async () => {
      functions.failures.set(receiver, 2);
      await lambdaRule(source, 'default', 'proposals', { source: ['certflow.transfer'] }, receiver);
      await source.send(new PutEventsCommand({ Entries: [proposal()] }));
      await eventually('the third attempt', () => fixture.engine.deliveries().length === 1);
      expect(functions.of(receiver)).toHaveLength(3);
      expect(fixture.engine.deliveries()[0]).toMatchObject({ attempts: 3 });
      expect(fixture.engine.failedDeliveries()).toEqual([]);
    });

    it('gives up after the RetryPolicy MaximumRetryAttempts', async () => {
      functions.failures.set(receiver, 10);
      await lambdaRule(source, 'default', 'proposals', { source: ['certflow.transfer'] }, receiver, {
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
      });
      await source.send(new PutEventsCommand({ Entries: [proposal()] }));
      const [failure] = await eventually('the failure', () =>
        fixture.engine.failedDeliveries().length > 0 ? fixture.engine.failedDeliveries() : undefined,
      );
      expect(failure).toMatchObject({ errorCode: 'RetriesExhausted', attempts: 3, targetArn: receiver });
      expect(functions.of(receiver)).toHaveLength(3);
    });

    it('gives up once the retries would outlast MaximumEventAgeInSeconds, time-scaled', async () => {
      functions.failures.set(receiver, 1000);
      await lambdaRule(source, 'default', 'proposals', { source: ['certflow.transfer'] }, receiver, {
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 60 },
      });
      await source.send(new PutEventsCommand({ Entries: [proposal()] }));
      const [failure] = await eventually('the failure', () =>
        fixture.engine.failedDeliveries().length > 0 ? fixture.engine.failedDeliveries() : undefined,
      );
      expect(failure?.errorCode).toBe('MaximumEventAgeExceeded');
      expect(failure?.attempts).toBeGreaterThan(2);
      expect(failure?.attempts).toBeLessThan(185);
    });

    it('does not retry a function that does not exist', async () => {
      const missing = functionArn(SOURCE, 'missing');
      functions.missing.add(missing);
      await lambdaRule(source, 'default', 'proposals', { source: ['certflow.transfer'] }, missing);
      await source.send(new PutEventsCommand({ Entries: [proposal()] }));
      const [failure] = await eventually('the failure', () =>
        fixture.engine.failedDeliveries().length > 0 ? fixture.engine.failedDeliveries() : undefined,
      );
      expect(failure).toMatchObject({ errorCode: 'ResourceNotFound', attempts: 1 });
    });
  });

  describe('cross-account delivery through a bus target', () => {
    const receiver = functionArn(TARGET, 'receiver');
    const targetBus = busArn(TARGET, 'certflow-inbound');

    async function wire(allowedAccount: string) {
      await target.send(new CreateEventBusCommand({ Name: 'certflow-inbound' }));
      await target.send(
        new PutPermissionCommand({
          EventBusName: 'certflow-inbound',
          Action: 'events:PutEvents',
          Principal: allowedAccount,
          StatementId: 'peer',
        }),
      );
      await lambdaRule(
        target,
        'certflow-inbound',
        'from-peer',
        { account: [SOURCE], source: ['certflow.transfer'], detail: { certificateId: [{ exists: true }] } },
        receiver,
      );
      await source.send(new CreateEventBusCommand({ Name: 'certflow-outbound' }));
      await lambdaRule(source, 'certflow-outbound', 'to-peer', { source: ['certflow.transfer'] }, targetBus, {
        RoleArn: `arn:aws:iam::${SOURCE}:role/forwarder`,
      });
    }

    it('forwards the event with its original envelope when the peer bus policy admits the sender', async () => {
      await wire(SOURCE);
      const answer = await source.send(new PutEventsCommand({ Entries: [{ ...proposal(), EventBusName: 'certflow-outbound' }] }));
      const [event] = await eventually('the peer delivery', () => (functions.of(receiver).length > 0 ? functions.of(receiver) : undefined));
      expect(event).toMatchObject({
        id: answer.Entries?.[0]?.EventId,
        account: SOURCE,
        source: 'certflow.transfer',
        detail: { certificateId: 'abc' },
      });
      await fixture.engine.settled();
      expect(fixture.engine.failedDeliveries()).toEqual([]);
    });

    it('refuses the event, without retrying, when the peer bus policy admits another account', async () => {
      await wire('333333333333');
      await source.send(new PutEventsCommand({ Entries: [{ ...proposal(), EventBusName: 'certflow-outbound' }] }));
      const [failure] = await eventually('the refusal', () =>
        fixture.engine.failedDeliveries().length > 0 ? fixture.engine.failedDeliveries() : undefined,
      );
      expect(failure).toMatchObject({ errorCode: 'AccessDenied', attempts: 1, targetArn: targetBus });
      await fixture.engine.settled();
      expect(functions.of(receiver)).toEqual([]);
    });

    it('evaluates a policy statement with a Principal of * and an aws:SourceArn condition', async () => {
      await wire('333333333333');
      await target.send(
        new PutPermissionCommand({
          EventBusName: 'certflow-inbound',
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'rule-only',
                Effect: 'Allow',
                Principal: '*',
                Action: 'events:PutEvents',
                Resource: targetBus,
                Condition: { ArnEquals: { 'aws:SourceArn': `arn:aws:events:${REGION}:${SOURCE}:rule/certflow-outbound/to-peer` } },
              },
            ],
          }),
        }),
      );
      await source.send(new PutEventsCommand({ Entries: [{ ...proposal(), EventBusName: 'certflow-outbound' }] }));
      await eventually('the peer delivery', () => functions.of(receiver).length === 1);
    });

    it('does not forward an event that came from another bus on to a third bus', async () => {
      await wire(SOURCE);
      await target.send(
        new PutTargetsCommand({
          Rule: 'from-peer',
          EventBusName: 'certflow-inbound',
          Targets: [{ Id: 'onward', Arn: busArn(TARGET, 'default') }],
        }),
      );
      await source.send(new PutEventsCommand({ Entries: [{ ...proposal(), EventBusName: 'certflow-outbound' }] }));
      await eventually('the peer delivery', () => functions.of(receiver).length === 1);
      const [failure] = await eventually('the refusal', () =>
        fixture.engine.failedDeliveries().length > 0 ? fixture.engine.failedDeliveries() : undefined,
      );
      expect(failure).toMatchObject({ errorCode: 'NotForwardedAgain', targetId: 'onward' });
    });

    it('lets a caller PutEvents straight into another account bus only when its policy allows it', async () => {
      await target.send(new CreateEventBusCommand({ Name: 'certflow-inbound' }));
      await lambdaRule(target, 'certflow-inbound', 'from-peer', { account: [SOURCE] }, receiver);
      const refused = await source.send(new PutEventsCommand({ Entries: [{ ...proposal(), EventBusName: targetBus }] }));
      expect(refused.Entries?.[0]).toMatchObject({ ErrorCode: 'AccessDeniedException' });
      await target.send(
        new PutPermissionCommand({ EventBusName: 'certflow-inbound', Action: 'events:PutEvents', Principal: SOURCE, StatementId: 'peer' }),
      );
      const accepted = await source.send(new PutEventsCommand({ Entries: [{ ...proposal(), EventBusName: targetBus }] }));
      expect(accepted.FailedEntryCount).toBe(0);
      const [event] = await eventually('the delivery', () => (functions.of(receiver).length > 0 ? functions.of(receiver) : undefined));
      expect(event).toMatchObject({ account: SOURCE });
    });
  });

  describe('buses, rules, targets and permissions', () => {
    it('gives every account a default bus and lists custom buses', async () => {
      expect(await source.send(new DescribeEventBusCommand({}))).toMatchObject({ Name: 'default', Arn: busArn(SOURCE, 'default') });
      const created = await source.send(new CreateEventBusCommand({ Name: 'certflow', Description: 'transfers' }));
      expect(created.EventBusArn).toBe(busArn(SOURCE, 'certflow'));
      const listed = await source.send(new ListEventBusesCommand({}));
      expect(listed.EventBuses?.map((bus) => bus.Name)).toEqual(['certflow', 'default']);
      expect(listed.EventBuses?.[0]?.CreationTime).toBeInstanceOf(Date);
      expect((await target.send(new ListEventBusesCommand({}))).EventBuses?.map((bus) => bus.Name)).toEqual(['default']);
    });

    it('answers the documented errors for buses', async () => {
      await source.send(new CreateEventBusCommand({ Name: 'certflow' }));
      await expect(source.send(new CreateEventBusCommand({ Name: 'certflow' }))).rejects.toMatchObject({
        name: 'ResourceAlreadyExistsException',
      });
      await expect(source.send(new CreateEventBusCommand({ Name: 'default' }))).rejects.toMatchObject({ name: 'ValidationException' });
      await expect(source.send(new CreateEventBusCommand({ Name: 'bad name!' }))).rejects.toMatchObject({ name: 'ValidationException' });
      await expect(source.send(new DescribeEventBusCommand({ Name: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
      await expect(source.send(new DeleteEventBusCommand({ Name: 'default' }))).rejects.toMatchObject({ name: 'ValidationException' });
      await source.send(new DeleteEventBusCommand({ Name: 'certflow' }));
      await expect(source.send(new DescribeEventBusCommand({ Name: 'certflow' }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    });

    it('keeps the bus Policy that PutPermission writes and RemovePermission removes', async () => {
      await target.send(new CreateEventBusCommand({ Name: 'inbound' }));
      await target.send(
        new PutPermissionCommand({ EventBusName: 'inbound', Action: 'events:PutEvents', Principal: SOURCE, StatementId: 'peer' }),
      );
      const described = await target.send(new DescribeEventBusCommand({ Name: 'inbound' }));
      expect(JSON.parse(described.Policy ?? '{}')).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'peer',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${SOURCE}:root` },
            Action: 'events:PutEvents',
            Resource: busArn(TARGET, 'inbound'),
          },
        ],
      });
      await expect(target.send(new RemovePermissionCommand({ EventBusName: 'inbound', StatementId: 'other' }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
      await target.send(new RemovePermissionCommand({ EventBusName: 'inbound', StatementId: 'peer' }));
      expect((await target.send(new DescribeEventBusCommand({ Name: 'inbound' }))).Policy).toBeUndefined();
    });

    it('describes, lists and replaces rules, and answers their documented errors', async () => {
      await source.send(new CreateEventBusCommand({ Name: 'certflow' }));
      const pattern = JSON.stringify({ source: ['certflow.transfer'] });
      const { RuleArn } = await source.send(
        new PutRuleCommand({ Name: 'proposals', EventBusName: 'certflow', EventPattern: pattern, Description: 'first' }),
      );
      expect(RuleArn).toBe(`arn:aws:events:${REGION}:${SOURCE}:rule/certflow/proposals`);
      await source.send(new PutRuleCommand({ Name: 'proposals', EventBusName: 'certflow', EventPattern: pattern, State: 'DISABLED' }));
      expect(await source.send(new DescribeRuleCommand({ Name: 'proposals', EventBusName: 'certflow' }))).toMatchObject({
        Name: 'proposals',
        Arn: RuleArn,
        EventPattern: pattern,
        State: 'DISABLED',
        EventBusName: 'certflow',
        CreatedBy: SOURCE,
      });
      expect((await source.send(new DescribeRuleCommand({ Name: 'proposals', EventBusName: 'certflow' }))).Description).toBeUndefined();
      expect(
        (await source.send(new ListRulesCommand({ EventBusName: 'certflow', NamePrefix: 'pro' }))).Rules?.map((rule) => rule.Name),
      ).toEqual(['proposals']);
      expect((await source.send(new ListRulesCommand({}))).Rules).toEqual([]);
      await expect(source.send(new DescribeRuleCommand({ Name: 'nope', EventBusName: 'certflow' }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
      await expect(source.send(new PutRuleCommand({ Name: 'bad', EventPattern: '{"source": "x"}' }))).rejects.toMatchObject({
        name: 'InvalidEventPatternException',
      });
      await expect(source.send(new PutRuleCommand({ Name: 'bad', EventBusName: 'nope', EventPattern: pattern }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
      await expect(source.send(new PutRuleCommand({ Name: 'bad' }))).rejects.toMatchObject({ name: 'ValidationException' });
      await expect(
        source.send(new PutRuleCommand({ Name: 'tick', EventBusName: 'certflow', ScheduleExpression: 'rate(5 minutes)' })),
      ).rejects.toMatchObject({ name: 'ValidationException' });
    });

    it('lists and removes targets, and will not delete a rule that still has targets', async () => {
      await source.send(new PutRuleCommand({ Name: 'proposals', EventPattern: JSON.stringify({ source: ['certflow.transfer'] }) }));
      await source.send(
        new PutTargetsCommand({
          Rule: 'proposals',
          Targets: [
            { Id: 'a', Arn: functionArn(SOURCE, 'a'), RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 } },
            { Id: 'b', Arn: functionArn(SOURCE, 'b') },
          ],
        }),
      );
      expect((await source.send(new ListTargetsByRuleCommand({ Rule: 'proposals' }))).Targets).toEqual([
        { Id: 'a', Arn: functionArn(SOURCE, 'a'), RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 } },
        { Id: 'b', Arn: functionArn(SOURCE, 'b') },
      ]);
      await expect(source.send(new DeleteRuleCommand({ Name: 'proposals' }))).rejects.toMatchObject({ name: 'ValidationException' });
      await expect(
        source.send(
          new PutTargetsCommand({
            Rule: 'proposals',
            Targets: [{ Id: 'c', Arn: functionArn(SOURCE, 'c'), RetryPolicy: { MaximumEventAgeInSeconds: 10 } }],
          }),
        ),
      ).rejects.toMatchObject({ name: 'ValidationException' });
      await expect(
        source.send(new PutTargetsCommand({ Rule: 'nope', Targets: [{ Id: 'c', Arn: functionArn(SOURCE, 'c') }] })),
      ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
      expect(await source.send(new RemoveTargetsCommand({ Rule: 'proposals', Ids: ['a', 'b'] }))).toMatchObject({ FailedEntryCount: 0 });
      await source.send(new DeleteRuleCommand({ Name: 'proposals' }));
      await expect(source.send(new DescribeRuleCommand({ Name: 'proposals' }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    });

    it('pages ListRules with Limit and NextToken', async () => {
      for (const name of ['a', 'b', 'c']) await source.send(new PutRuleCommand({ Name: name, EventPattern: '{"source":["x"]}' }));
      const first = await source.send(new ListRulesCommand({ Limit: 2 }));
      expect(first.Rules?.map((rule) => rule.Name)).toEqual(['a', 'b']);
      const second = await source.send(new ListRulesCommand({ Limit: 2, NextToken: first.NextToken }));
      expect(second.Rules?.map((rule) => rule.Name)).toEqual(['c']);
      expect(second.NextToken).toBeUndefined();
    });

    it('keeps one account from changing rules on another account bus without a policy', async () => {
      await target.send(new CreateEventBusCommand({ Name: 'inbound' }));
      await expect(
        source.send(new PutRuleCommand({ Name: 'sneaky', EventBusName: busArn(TARGET, 'inbound'), EventPattern: '{"source":["x"]}' })),
      ).rejects.toMatchObject({
        name: 'AccessDeniedException',
      });
    });
  });

  it('TestEventPattern answers whether a pattern matches an event, and refuses an event without the required fields', async () => {
    const event = JSON.stringify({
      id: '1',
      account: SOURCE,
      source: 'certflow.transfer',
      time: '2026-01-01T00:00:00Z',
      region: REGION,
      resources: [],
      'detail-type': 'X',
      detail: { n: 3 },
    });
    expect(
      (await source.send(new TestEventPatternCommand({ EventPattern: '{"detail":{"n":[{"numeric":[">",2]}]}}', Event: event }))).Result,
    ).toBe(true);
    expect(
      (await source.send(new TestEventPatternCommand({ EventPattern: '{"detail":{"n":[{"numeric":[">",5]}]}}', Event: event }))).Result,
    ).toBe(false);
    await expect(
      source.send(new TestEventPatternCommand({ EventPattern: '{"source":["x"]}', Event: '{"source":"x"}' })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(source.send(new TestEventPatternCommand({ EventPattern: '{"source":"x"}', Event: event }))).rejects.toMatchObject({
      name: 'InvalidEventPatternException',
    });
  });

  it('answers a call without SigV4 credentials and an unknown operation as AWS-shaped errors', async () => {
    const unsigned = await fetch(fixture.endpoint.url, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSEvents.ListEventBuses', 'content-type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(unsigned.status).toBe(400);
    expect(await unsigned.json()).toMatchObject({ __type: 'UnrecognizedClientException' });
    const unknown = await fetch(fixture.endpoint.url, {
      method: 'POST',
      headers: {
        'x-amz-target': 'AWSEvents.StartReplay',
        'content-type': 'application/x-amz-json-1.1',
        authorization: `AWS4-HMAC-SHA256 Credential=AKIA${SOURCE}LOCL/20260101/us-east-1/events/aws4_request`,
      },
      body: '{}',
    });
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});

describe('local EventBridge retry timing', () => {
  it('waits the back-off in real time when timeScale is 1 before retrying', async () => {
    const functions = recordingFunctions();
    const receiver = functionArn(SOURCE, 'receiver');
    functions.failures.set(receiver, 1);
    const fixture = await startEventBridgeFixture({ invoke: functions.invoke, timeScale: 1 });
    try {
      const client = fixture.client(SOURCE);
      await client.send(new PutRuleCommand({ Name: 'proposals', EventPattern: '{"source":["certflow.transfer"]}' }));
      await client.send(new PutTargetsCommand({ Rule: 'proposals', Targets: [{ Id: 'fn', Arn: receiver }] }));
      await client.send(new PutEventsCommand({ Entries: [proposal()] }));
      await eventually('the first attempt', () => functions.of(receiver).length === 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(functions.of(receiver)).toHaveLength(1);
      const [pending] = fixture.engine.pendingDeliveries();
      // With jitter 0.5 the first retry waits 750 ms (1 s back-off, "equal jitter").
      expect(pending).toMatchObject({ attempts: 1, lastError: 'Error: function failed' });
      await eventually('the retry', () => functions.of(receiver).length === 2, 3_000);
    } finally {
      await fixture.close();
    }
  });
});
