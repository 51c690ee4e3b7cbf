import { LocalObjectStore } from '../../../local/s3/object-store';
import { StepFunctionsEngine } from '../../../local/stepfunctions';
import { ACCOUNT, deploy, functionArn, functionError, OTHER_ACCOUNT, REGION } from './state-machine-fixtures';

const BUCKET = 'items-bucket';
const LAMBDA_RETRY = [
  {
    ErrorEquals: [
      'Lambda.ClientExecutionTimeoutException',
      'Lambda.ServiceException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
    ],
    IntervalSeconds: 2,
    MaxAttempts: 6,
    BackoffRate: 2,
  },
];

/** A Distributed Map as `sfn.DistributedMap` renders it (S3JsonItemReader, ItemBatcher, ResultWriter, LambdaInvoke with payloadResponseOnly). */
function cdkDistributedMap(
  fields: object,
  processor: object = {
    StartAt: 'Work',
    States: { Work: { End: true, Retry: LAMBDA_RETRY, Type: 'Task', Resource: functionArn('work') } },
  },
) {
  return {
    StartAt: 'Fan',
    States: {
      Fan: {
        Type: 'Map',
        End: true,
        ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, ...processor },
        ...fields,
      },
    },
  };
}

const jsonReader = (key: string) => ({
  Resource: 'arn:aws:states:::s3:getObject',
  ReaderConfig: { InputType: 'JSON' },
  Parameters: { Bucket: BUCKET, Key: key },
});

/** A fake Lambda that records what it got and how many calls overlapped at most. */
function concurrentFunction(respond: (event: unknown) => unknown) {
  const events: unknown[] = [];
  let running = 0;
  const stats = { peak: 0 };
  const invoke = async (event: unknown) => {
    events.push(event);
    running += 1;
    stats.peak = Math.max(stats.peak, running);
    try {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return respond(event);
    } finally {
      running -= 1;
    }
  };
  return { events, stats, invoke };
}

describe('Distributed Map', () => {
  let store: LocalObjectStore;
  let engine: StepFunctionsEngine;
  beforeEach(() => {
    store = new LocalObjectStore();
    store.createBucket(ACCOUNT, BUCKET);
    engine = new StepFunctionsEngine({ region: REGION, timeScale: 0.001, objectStore: store });
  });
  afterEach(() => engine.close());

  const putJson = (key: string, value: unknown) => store.putObject(BUCKET, key, Buffer.from(JSON.stringify(value)), 'application/json');

  const run = async (definition: object, input: unknown = {}) => {
    const arn = deploy(engine, `machine-${Math.random().toString(36).slice(2)}`, definition);
    const { executionArn } = engine.startExecution({ stateMachineArn: arn, input: JSON.stringify(input) });
    const result = await engine.waitForExecution(executionArn);
    const history = engine.getExecutionHistory({ executionArn, maxResults: 1000 }).events as Array<Record<string, unknown>>;
    return {
      ...result,
      parsedOutput: result.output === undefined ? undefined : (JSON.parse(result.output) as unknown),
      history,
      types: history.map((event) => event.type),
    };
  };

  it('runs the definition CDK renders: JSON items from S3, ItemSelector, batches with BatchInput, MaxConcurrency', async () => {
    putJson(
      'items.json',
      Array.from({ length: 10 }, (_, n) => ({ n })),
    );
    const fn = concurrentFunction((event) => ({
      sum: (event as { Items: Array<{ v: { n: number } }> }).Items.reduce((total, item) => total + item.v.n, 0),
    }));
    engine.registerLambdaFunction(functionArn('work'), fn.invoke);
    const result = await run(
      cdkDistributedMap({
        ItemSelector: { 'v.$': '$$.Map.Item.Value', 'i.$': '$$.Map.Item.Index' },
        MaxConcurrency: 2,
        ItemReader: jsonReader('items.json'),
        ItemBatcher: { MaxItemsPerBatch: 3, BatchInput: { 'run.$': '$.run' } },
      }),
      { run: 'r-1' },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(result.parsedOutput).toEqual([{ sum: 3 }, { sum: 12 }, { sum: 21 }, { sum: 9 }]);
    expect(fn.events).toContainEqual({ Items: [{ v: { n: 9 }, i: 9 }], BatchInput: { run: 'r-1' } });
    expect(fn.stats.peak).toBe(2);
  });

  it('never runs more children at once than MaxConcurrency', async () => {
    const fn = concurrentFunction((event) => event);
    engine.registerLambdaFunction(functionArn('work'), fn.invoke);
    const result = await run(cdkDistributedMap({ ItemsPath: '$.items', MaxConcurrency: 4 }), {
      items: Array.from({ length: 40 }, (_, n) => n),
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(fn.events).toHaveLength(40);
    expect(fn.stats.peak).toBe(4);
  });

  it('takes its items from ItemsPath when there is no ItemReader and returns the child outputs in item order', async () => {
    const result = await run(
      cdkDistributedMap(
        {
          ItemsPath: '$.certificates',
          ItemSelector: { 'id.$': '$$.Map.Item.Value', 'position.$': '$$.Map.Item.Index', 'owner.$': '$.owner' },
        },
        {
          StartAt: 'Shape',
          States: {
            Shape: { Type: 'Pass', Parameters: { 'label.$': "States.Format('{}#{}', $.id, $.position)", 'owner.$': '$.owner' }, End: true },
          },
        },
      ),
      { certificates: ['a', 'b', 'c'], owner: 'acme' },
    );
    expect(result.parsedOutput).toEqual([
      { label: 'a#0', owner: 'acme' },
      { label: 'b#1', owner: 'acme' },
      { label: 'c#2', owner: 'acme' },
    ]);
  });

  it('keeps each child out of the parent history, which records only the Map Run', async () => {
    engine.registerLambdaFunction(functionArn('work'), async (event) => event);
    putJson(
      'many.json',
      Array.from({ length: 300 }, (_, n) => n),
    );
    const result = await run(
      cdkDistributedMap(
        { ItemReader: jsonReader('many.json') },
        {
          StartAt: 'First',
          States: {
            First: { Type: 'Pass', Next: 'Work' },
            Work: { Type: 'Task', Resource: functionArn('work'), Next: 'Last' },
            Last: { Type: 'Succeed' },
          },
        },
      ),
    );
    expect(result.status).toBe('SUCCEEDED');
    expect((result.parsedOutput as unknown[]).length).toBe(300);
    expect(result.types).toEqual([
      'ExecutionStarted',
      'MapStateEntered',
      'MapStateStarted',
      'MapRunStarted',
      'MapRunSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
      'ExecutionSucceeded',
    ]);
    const started = result.history.find((event) => event.type === 'MapRunStarted') as { mapRunStartedEventDetails: { mapRunArn: string } };
    expect(started.mapRunStartedEventDetails.mapRunArn).toMatch(
      new RegExp(`^arn:aws:states:${REGION}:${ACCOUNT}:mapRun:machine-[a-z0-9]+/Fan:[0-9a-f-]{36}$`),
    );
  });

  describe('tolerated failures', () => {
    beforeEach(() => {
      engine.registerLambdaFunction(functionArn('work'), async (event) => {
        if ((event as number) % 10 === 0) throw functionError('BadItem', `item ${String(event)}`);
        return event;
      });
    });
    const items = { items: Array.from({ length: 20 }, (_, n) => n) };

    it('succeeds while the failed share stays within ToleratedFailurePercentage, listing failures in the output', async () => {
      const result = await run(cdkDistributedMap({ ItemsPath: '$.items', ToleratedFailurePercentage: 10 }), items);
      expect(result.status).toBe('SUCCEEDED');
      const output = result.parsedOutput as unknown[];
      expect(output[1]).toBe(1);
      expect(output[10]).toMatchObject({ Status: 'FAILED', Error: 'BadItem', Cause: expect.stringContaining('item 10') as unknown });
    });

    it('fails with States.ExceedToleratedFailureThreshold once the failed share goes over it', async () => {
      const result = await run(cdkDistributedMap({ ItemsPath: '$.items', ToleratedFailurePercentage: 5 }), items);
      expect(result).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
      expect(result.types).toContain('MapRunFailed');
      expect(result.types).not.toContain('MapRunSucceeded');
    });

    it('tolerates no failure by default, and ToleratedFailureCount when given', async () => {
      expect(await run(cdkDistributedMap({ ItemsPath: '$.items' }), items)).toMatchObject({
        status: 'FAILED',
        error: 'States.ExceedToleratedFailureThreshold',
      });
      expect(await run(cdkDistributedMap({ ItemsPath: '$.items', ToleratedFailureCount: 2 }), items)).toMatchObject({
        status: 'SUCCEEDED',
      });
    });

    it('lets Catch handle the threshold error like any other', async () => {
      const definition = cdkDistributedMap({
        ItemsPath: '$.items',
        Catch: [{ ErrorEquals: ['States.ExceedToleratedFailureThreshold'], ResultPath: '$.failure', Next: 'Handled' }],
      });
      const states = definition.States as Record<string, object>;
      states.Fan = { ...states.Fan, End: undefined, Next: 'Handled' };
      states.Handled = { Type: 'Pass', End: true };
      const result = await run(definition, items);
      expect(result.status).toBe('SUCCEEDED');
      expect(result.parsedOutput).toMatchObject({ failure: { Error: 'States.ExceedToleratedFailureThreshold' } });
    });
  });

  it('writes manifest.json and the SUCCEEDED / FAILED files under <Prefix>/<map run id>/ with ResultWriter', async () => {
    engine.registerLambdaFunction(functionArn('work'), async (event) => {
      if (event === 3) throw functionError('BadItem', 'three');
      return { done: event };
    });
    putJson('items.json', [1, 2, 3, 4]);
    const result = await run(
      cdkDistributedMap({
        ItemReader: jsonReader('items.json'),
        ToleratedFailureCount: 1,
        ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: BUCKET, Prefix: 'results' } },
      }),
    );
    expect(result.status).toBe('SUCCEEDED');
    const output = result.parsedOutput as { MapRunArn: string; ResultWriterDetails: { Bucket: string; Key: string } };
    const mapRunId = output.MapRunArn.split(':').pop() as string;
    expect(output.ResultWriterDetails).toEqual({ Bucket: BUCKET, Key: `results/${mapRunId}/manifest.json` });
    const read = (key: string) => JSON.parse((store.getObject(BUCKET, key)?.body ?? Buffer.from('null')).toString('utf8')) as unknown;
    const manifest = read(output.ResultWriterDetails.Key) as {
      DestinationBucket: string;
      MapRunArn: string;
      ResultFiles: Record<string, Array<{ Key: string; Size: number }>>;
    };
    expect(manifest).toMatchObject({ DestinationBucket: BUCKET, MapRunArn: output.MapRunArn, ResultFiles: { PENDING: [] } });
    expect(manifest.ResultFiles.SUCCEEDED?.map((file) => file.Key)).toEqual([`results/${mapRunId}/SUCCEEDED_0.json`]);
    expect(manifest.ResultFiles.FAILED?.map((file) => file.Key)).toEqual([`results/${mapRunId}/FAILED_0.json`]);
    const succeeded = read(`results/${mapRunId}/SUCCEEDED_0.json`) as Array<Record<string, unknown>>;
    expect(
      succeeded
        .map((entry) => JSON.parse(entry.Output as string) as unknown)
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual([{ done: 1 }, { done: 2 }, { done: 4 }]);
    expect(succeeded[0]).toMatchObject({
      Status: 'SUCCEEDED',
      InputDetails: { Included: true },
      ExecutionArn: expect.stringMatching(/:execution:machine-[a-z0-9]+\/Fan:/) as unknown,
    });
    expect(read(`results/${mapRunId}/FAILED_0.json`)).toEqual([
      expect.objectContaining({ Status: 'FAILED', Input: '3', Error: 'BadItem', Cause: expect.stringContaining('three') as unknown }),
    ]);
    expect(store.listKeys(BUCKET, 'results/')).toHaveLength(3);
  });

  it('reads CSV items with the header in the first row', async () => {
    store.putObject(BUCKET, 'rows.csv', Buffer.from('id,name\n1,"Smith, Jo"\n2,"say ""hi"""\n'));
    const result = await run(
      cdkDistributedMap(
        {
          ItemReader: {
            Resource: 'arn:aws:states:::s3:getObject',
            ReaderConfig: { InputType: 'CSV', CSVHeaderLocation: 'FIRST_ROW' },
            Parameters: { 'Bucket.$': '$.bucket', Key: 'rows.csv' },
          },
        },
        { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
      ),
      { bucket: BUCKET },
    );
    expect(result.parsedOutput).toEqual([
      { id: '1', name: 'Smith, Jo' },
      { id: '2', name: 'say "hi"' },
    ]);
  });

  it('reads JSONL items, one JSON value a line, up to ReaderConfig.MaxItems', async () => {
    store.putObject(BUCKET, 'rows.jsonl', Buffer.from('{"a":1}\n{"a":2}\n\n{"a":3}\n'));
    const reader = {
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSONL', MaxItems: 2 },
      Parameters: { Bucket: BUCKET, Key: 'rows.jsonl' },
    };
    const result = await run(cdkDistributedMap({ ItemReader: reader }, { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }));
    expect(result.parsedOutput).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('fails with States.ResultWriterFailed when the ResultWriter bucket is another account’s', async () => {
    store.createBucket(OTHER_ACCOUNT, 'their-bucket');
    const result = await run(
      cdkDistributedMap(
        {
          ItemsPath: '$.items',
          ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'their-bucket', Prefix: 'out' } },
        },
        { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
      ),
      { items: [1] },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.ResultWriterFailed' });
    expect(store.listKeys('their-bucket')).toEqual([]);
  });

  it('fails with States.ItemReaderFailed when the object is missing or the bucket is another account’s', async () => {
    const missing = await run(cdkDistributedMap({ ItemReader: jsonReader('absent.json') }));
    expect(missing).toMatchObject({ status: 'FAILED', error: 'States.ItemReaderFailed' });
    store.createBucket(OTHER_ACCOUNT, 'their-bucket');
    store.putObject('their-bucket', 'items.json', Buffer.from('[1]'));
    const reader = { ...jsonReader('items.json'), Parameters: { Bucket: 'their-bucket', Key: 'items.json' } };
    expect(await run(cdkDistributedMap({ ItemReader: reader }))).toMatchObject({ status: 'FAILED', error: 'States.ItemReaderFailed' });
  });

  it('refuses at CreateStateMachine an ItemReader it cannot read', () => {
    const definition = cdkDistributedMap({
      ItemReader: { Resource: 'arn:aws:states:::s3:listObjectsV2', Parameters: { Bucket: BUCKET, Prefix: 'in/' } },
    });
    expect(() => deploy(engine, 'lister', definition)).toThrow(
      expect.objectContaining({ name: 'InvalidDefinition', message: expect.stringContaining('s3:listObjectsV2') as unknown }) as Error,
    );
  });

  describe('values that paths select at run time', () => {
    const pass = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };
    const jsonlReader = (config: object) => ({
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSONL', ...config },
      Parameters: { Bucket: BUCKET, Key: 'rows.jsonl' },
    });
    beforeEach(() => store.putObject(BUCKET, 'rows.jsonl', Buffer.from('1\n2\n3\n')));

    it('reads every item when MaxItems is 0', async () => {
      expect((await run(cdkDistributedMap({ ItemReader: jsonlReader({ MaxItems: 0 }) }, pass))).parsedOutput).toEqual([1, 2, 3]);
    });

    it('fails the execution when MaxItemsPath selects a negative number', async () => {
      const result = await run(cdkDistributedMap({ ItemReader: jsonlReader({ MaxItemsPath: '$.limit' }) }, pass), { limit: -1 });
      expect(result).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
      expect(result.cause).toContain('MaxItems');
    });

    it('fails the execution when ToleratedFailurePercentagePath selects more than 100', async () => {
      const result = await run(cdkDistributedMap({ ItemsPath: '$.items', ToleratedFailurePercentagePath: '$.tolerated' }, pass), {
        items: [1],
        tolerated: 150,
      });
      expect(result).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    });

    it('tolerates a fractional share of failures: 12.5% of 8 items is one', async () => {
      engine.registerLambdaFunction(functionArn('work'), async (event) => {
        if (event === 3) throw functionError('BadItem', 'three');
        return event;
      });
      const items = { items: [1, 2, 3, 4, 5, 6, 7, 8] };
      expect(await run(cdkDistributedMap({ ItemsPath: '$.items', ToleratedFailurePercentage: 12.5 }), items)).toMatchObject({
        status: 'SUCCEEDED',
      });
    });

    it('fails with States.ItemReaderFailed when the first row of a CSV names a header twice', async () => {
      store.putObject(BUCKET, 'dup.csv', Buffer.from('id,id\n1,2\n'));
      const reader = {
        Resource: 'arn:aws:states:::s3:getObject',
        ReaderConfig: { InputType: 'CSV', CSVHeaderLocation: 'FIRST_ROW' },
        Parameters: { Bucket: BUCKET, Key: 'dup.csv' },
      };
      expect(await run(cdkDistributedMap({ ItemReader: reader }, pass))).toMatchObject({
        status: 'FAILED',
        error: 'States.ItemReaderFailed',
      });
    });
  });

  it('leaves an inline Map inline (its iterations stay in the parent history)', async () => {
    const result = await run(
      {
        StartAt: 'Each',
        States: {
          Each: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
            End: true,
          },
        },
      },
      { items: [1, 2] },
    );
    expect(result.parsedOutput).toEqual([1, 2]);
    expect(result.types).toContain('MapIterationStarted');
    expect(result.types).not.toContain('MapRunStarted');
  });
});
