import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import type { Context } from 'aws-lambda';
import { DynamoDbAuditTrail, type AuditTrail } from '../audit-trail/audit-trail';
import type { TransferActionName } from '../audit-trail/audit-row';
import { ValidationError } from '../iot-api/field-rules';
import { nameDeniedPermissions } from '../iot-api/iot-errors';
import type { TransferActionDeps, TransferActionResult } from '../transfer-actions/run-transfer-action';
import { HANDLER_ENVIRONMENT, requiredEnvironment } from './handler-environment';

export const logger = new Logger({ serviceName: 'certflow' });

// Off outside Lambda (Powertools enables it only where AWS_EXECUTION_ENV is set) and where
// POWERTOOLS_TRACE_ENABLED=false. Only the SDK clients are traced: certflow makes no other HTTP calls.
const tracer = new Tracer({ serviceName: 'certflow', captureHTTPsRequests: false });

/**
 * The client, instrumented so that each of its calls shows in the function's X-Ray trace
 * as a subsegment (service, operation, status, retries). Use it once per client, where the
 * client is created once per container: `tracedClient(new EventBridgeClient({}))`.
 */
export function tracedClient<Client extends object>(client: Client): Client {
  return tracer.captureAWSv3Client(client);
}

// Created on first use, once per container, so a function creates only the clients it calls.
let containerIot: IoTClient | undefined;
let containerDynamoDb: DynamoDBClient | undefined;

/** The IoT client of this container; a denied call names the missing iot: Action. */
export function iotClient(): IoTClient {
  if (!containerIot) {
    containerIot = tracedClient(new IoTClient({}));
    nameDeniedPermissions(containerIot, 'iot');
  }
  return containerIot;
}

/** The DynamoDB client of this container; a denied call names the missing dynamodb: Action. */
export function dynamoDbClient(): DynamoDBClient {
  if (!containerDynamoDb) {
    containerDynamoDb = tracedClient(new DynamoDBClient({}));
    nameDeniedPermissions(containerDynamoDb, 'dynamodb');
  }
  return containerDynamoDb;
}

let auditTrail: { tableName: string; trail: AuditTrail } | undefined;

function auditTrailOf(tableName: string): AuditTrail {
  if (auditTrail?.tableName !== tableName) auditTrail = { tableName, trail: new DynamoDbAuditTrail(dynamoDbClient(), tableName) };
  return auditTrail.trail;
}

/**
 * The IoT client and audit trail every step that changes a certificate uses. Each is
 * created when the step first uses it: a step that only reads IoT never creates a
 * DynamoDB client.
 */
export function certificateStepDeps(): TransferActionDeps {
  const accountId = requiredEnvironment(HANDLER_ENVIRONMENT.accountId);
  return {
    get iot() {
      return iotClient();
    },
    get auditTrail() {
      return auditTrailOf(requiredEnvironment(HANDLER_ENVIRONMENT.auditTableName));
    },
    accountId,
  };
}

/**
 * Builds a Lambda handler for a workflow step: parse and validate before any AWS call,
 * run, log one structured line for the outcome. Events are never logged whole.
 */
export function workflowStepHandler<Request, Result>(
  step: string,
  parse: (event: unknown, invocationId: string) => Request,
  run: (request: Request) => Promise<Result>,
): (event: unknown, context: Context) => Promise<Result> {
  return async (event, context) => {
    logger.addContext(context);
    try {
      const result = await run(parse(event, context.awsRequestId));
      logger.info('workflow step succeeded', { step });
      return result;
    } catch (error) {
      logger.error('workflow step failed', {
        step,
        errorName: error instanceof Error ? error.name : 'Unknown',
        errorMessage: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
  };
}

interface CertificateRequest {
  certificateId: string;
}

/**
 * Builds a Lambda handler from an event parser and a domain function: parse and
 * validate before any AWS call, run, log one structured line for the outcome.
 * Events are never logged whole: a future field could carry a token.
 */
export function transferActionHandler<Request extends CertificateRequest>(
  action: TransferActionName,
  parse: (event: unknown, invocationId: string) => Request,
  run: (deps: TransferActionDeps, request: Request) => Promise<TransferActionResult>,
): (event: unknown, context: Context) => Promise<TransferActionResult> {
  return async (event, context) => {
    logger.addContext(context);
    let request: Request;
    try {
      request = parse(event, context.awsRequestId);
    } catch (error) {
      if (error instanceof ValidationError) {
        logger.warn('request rejected', { action, field: error.field, rule: error.rule });
      }
      throw error;
    }
    try {
      const result = await run(certificateStepDeps(), request);
      logger.info('transfer action succeeded', {
        action,
        certificateId: request.certificateId,
        alreadyApplied: result.alreadyApplied,
        auditRowId: result.auditRowId,
      });
      return result;
    } catch (error) {
      logger.error('transfer action failed', {
        action,
        certificateId: request.certificateId,
        errorName: error instanceof Error ? error.name : 'Unknown',
        errorMessage: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
  };
}
