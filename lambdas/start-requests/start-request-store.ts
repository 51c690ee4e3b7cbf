import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { StartRequestStoreUnavailable } from './start-request-errors';

/** The start-request table's partition key: `<state machine ARN>/<execution name>`. */
export const START_REQUEST_PARTITION_KEY = 'startRequestId';

/** What the start API recorded before it started an execution; the workflow's first step checks its input against it. */
export interface StartRequestRecord {
  startRequestId: string;
  stateMachineArn: string;
  executionName: string;
  /** The caller's ARN as API Gateway verified it. */
  callerArn: string;
  /** The requester the input carries (the caller's e-mail, or its ARN). */
  requestedBy: string;
  /** sha256 (hex) of the exact input string given to StartExecution (canonical JSON). */
  inputSha256: string;
  createdAt: string;
}

/** One execution per state machine and name, as Step Functions itself keys them. */
export function startRequestId(stateMachineArn: string, executionName: string): string {
  return `${stateMachineArn}/${executionName}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export class StartRequestStore {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Writes the record unless one of that id exists; answers the one on record then. */
  async create(record: StartRequestRecord): Promise<{ created: true } | { created: false; existing: StartRequestRecord | undefined }> {
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(record),
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': START_REQUEST_PARTITION_KEY },
        }),
      );
      return { created: true };
    } catch (error) {
      const conditionFailed =
        error instanceof ConditionalCheckFailedException || (error instanceof Error && error.name === 'ConditionalCheckFailedException');
      if (!conditionFailed) {
        throw new StartRequestStoreUnavailable(`start request ${record.startRequestId} was not written: ${describe(error)}`, {
          cause: error,
        });
      }
      return { created: false, existing: await this.find(record.startRequestId) };
    }
  }

  async find(id: string): Promise<StartRequestRecord | undefined> {
    try {
      const { Item } = await this.dynamodb.send(
        new GetItemCommand({ TableName: this.tableName, Key: marshall({ [START_REQUEST_PARTITION_KEY]: id }), ConsistentRead: true }),
      );
      return Item ? (unmarshall(Item) as StartRequestRecord) : undefined;
    } catch (error) {
      throw new StartRequestStoreUnavailable(`start request ${id} was not read: ${describe(error)}`, { cause: error });
    }
  }
}
