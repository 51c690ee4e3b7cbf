import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import type { Context } from 'aws-lambda';
import { DynamoDbAuditTrail } from '../audit-trail/audit-trail';
import type { TransferActionName } from '../audit-trail/audit-row';
import { ValidationError } from '../iot-api/field-rules';
import type { TransferActionDeps, TransferActionResult } from '../transfer-actions/run-transfer-action';
import { HANDLER_ENVIRONMENT, requiredEnvironment } from './handler-environment';

export const logger = new Logger({ serviceName: 'certflow' });

// Created once per container and reused by every invocation it serves.
export const iot = new IoTClient({});
const dynamodb = new DynamoDBClient({});
let deps: (TransferActionDeps & { auditTableName: string }) | undefined;

function transferActionDeps(): TransferActionDeps {
  const auditTableName = requiredEnvironment(HANDLER_ENVIRONMENT.auditTableName);
  const accountId = requiredEnvironment(HANDLER_ENVIRONMENT.accountId);
  if (deps?.auditTableName !== auditTableName || deps.accountId !== accountId) {
    deps = { iot, auditTrail: new DynamoDbAuditTrail(dynamodb, auditTableName), accountId, auditTableName };
  }
  return deps;
}

/** The IoT client and audit trail every step that changes a certificate uses. */
export function certificateStepDeps(): TransferActionDeps {
  return transferActionDeps();
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
      const result = await run(transferActionDeps(), request);
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
