/**
 * CreateStateMachine refuses what AWS refuses (the Distributed Map, Wait and intrinsic
 * function pages) and what this engine cannot run, and accepts what AWS accepts.
 */
import { StepFunctionsEngine } from '../../../local/stepfunctions';
import { deploy, REGION } from './state-machine-fixtures';

describe('CreateStateMachine checks', () => {
  let engine: StepFunctionsEngine;
  beforeEach(() => {
    engine = new StepFunctionsEngine({ region: REGION });
  });
  afterEach(() => engine.close());

  const create = (definition: object) => () => deploy(engine, `checked-${Math.random().toString(36).slice(2)}`, definition);
  const refused = (pattern: RegExp) =>
    expect.objectContaining({ type: 'InvalidDefinition', message: expect.stringMatching(pattern) as unknown });
  const processor = (mode: 'DISTRIBUTED' | 'INLINE' = 'DISTRIBUTED') => ({
    ProcessorConfig: { Mode: mode, ExecutionType: 'STANDARD' },
    StartAt: 'P',
    States: { P: { Type: 'Pass', End: true } },
  });
  const reader = (config: object = {}) => ({
    Resource: 'arn:aws:states:::s3:getObject',
    ReaderConfig: { InputType: 'JSON', ...config },
    Parameters: { Bucket: 'b', Key: 'k' },
  });
  const distributedMap = (fields: object) => ({
    StartAt: 'M',
    States: { M: { Type: 'Map', ItemProcessor: processor(), ItemsPath: '$.items', End: true, ...fields } },
  });

  describe('Distributed Map', () => {
    it('refuses a Label longer than 40 characters or with a forbidden character', () => {
      expect(create(distributedMap({ Label: 'x'.repeat(41) }))).toThrow(refused(/Label/));
      expect(create(distributedMap({ Label: 'has space' }))).toThrow(refused(/Label/));
      expect(create(distributedMap({ Label: 'a/b' }))).toThrow(refused(/Label/));
      expect(create(distributedMap({ Label: 'Certificates-2' }))).not.toThrow();
    });

    it('refuses the same Label on two Distributed Maps', () => {
      const definition = {
        StartAt: 'First',
        States: {
          First: {
            Type: 'Map',
            ItemProcessor: { ...processor(), StartAt: 'P1', States: { P1: { Type: 'Pass', End: true } } },
            Label: 'Same',
            Next: 'Second',
          },
          Second: {
            Type: 'Map',
            ItemProcessor: { ...processor(), StartAt: 'P2', States: { P2: { Type: 'Pass', End: true } } },
            Label: 'Same',
            End: true,
          },
        },
      };
      expect(create(definition)).toThrow(refused(/unique/));
    });

    it('refuses a ToleratedFailurePercentage over 100 and accepts a fractional one', () => {
      expect(create(distributedMap({ ToleratedFailurePercentage: 101 }))).toThrow(refused(/ToleratedFailurePercentage/));
      expect(create(distributedMap({ ToleratedFailurePercentage: 12.5 }))).not.toThrow();
    });

    it('accepts ReaderConfig MaxItems 0 and refuses a negative one', () => {
      expect(create(distributedMap({ ItemsPath: undefined, ItemReader: reader({ MaxItems: 0 }) }))).not.toThrow();
      expect(create(distributedMap({ ItemsPath: undefined, ItemReader: reader({ MaxItems: -1 }) }))).toThrow(refused(/MaxItems/));
    });

    it('refuses CSVHeaders that name a column twice', () => {
      const csv = reader({ InputType: 'CSV', CSVHeaderLocation: 'GIVEN', CSVHeaders: ['id', 'status', 'id'] });
      expect(create(distributedMap({ ItemsPath: undefined, ItemReader: csv }))).toThrow(refused(/CSV header "id"/));
    });

    it('refuses Iterator on a Distributed Map (it needs ItemProcessor)', () => {
      const definition = {
        StartAt: 'M',
        States: {
          M: { Type: 'Map', Iterator: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, ItemReader: reader(), End: true },
        },
      };
      expect(create(definition)).toThrow(refused(/Iterator/));
    });
  });

  it('refuses a Wait Timestamp that is not an ISO-8601 timestamp', () => {
    expect(create({ StartAt: 'W', States: { W: { Type: 'Wait', Timestamp: 'tomorrow at noon', End: true } } })).toThrow(
      refused(/Timestamp/),
    );
    expect(create({ StartAt: 'W', States: { W: { Type: 'Wait', Timestamp: '2026-12-01T12:00:00Z', End: true } } })).not.toThrow();
  });

  it('refuses an intrinsic function string with an escape the guide does not list', () => {
    expect(
      create({
        StartAt: 'P',
        States: { P: { Type: 'Pass', Parameters: { 'text.$': "States.Format('line\\tbreak {}', $.x)" }, End: true } },
      }),
    ).toThrow(refused(/not an escape/));
    expect(
      create({
        StartAt: 'P',
        States: { P: { Type: 'Pass', Parameters: { nested: { 'text.$': "States.Format('it\\'s {}', $.x)" } }, End: true } },
      }),
    ).not.toThrow();
  });

  it('refuses Credentials on a Task rather than ignoring them', () => {
    const task = {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Credentials: { RoleArn: 'arn:aws:iam::111111111111:role/other' },
      Parameters: { FunctionName: 'f' },
      End: true,
    };
    expect(create({ StartAt: 'T', States: { T: task } })).toThrow(refused(/Credentials/));
  });

  it('refuses a service integration the engine does not run, inside a branch too', () => {
    const sqs = { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', Parameters: { QueueUrl: 'q', MessageBody: 'm' }, End: true };
    expect(create({ StartAt: 'T', States: { T: sqs } })).toThrow(refused(/sqs:sendMessage/));
    expect(
      create({ StartAt: 'B', States: { B: { Type: 'Parallel', Branches: [{ StartAt: 'T', States: { T: sqs } }], End: true } } }),
    ).toThrow(refused(/sqs:sendMessage/));
  });

  it('accepts a filter expression in a path', () => {
    expect(
      create({ StartAt: 'P', States: { P: { Type: 'Pass', InputPath: "$.items[?(@.status == 'ACTIVE')]", End: true } } }),
    ).not.toThrow();
  });
});
