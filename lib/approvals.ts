import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { APPROVAL_RECORD_UNAVAILABLE } from '../lambdas/approvals/approval-errors';
import { REMINDER_INDEX, type ApprovalClosing, type ApprovalSide } from '../lambdas/approvals/approval-request';
import { parseApproverList } from '../lambdas/approvals/approver-identity';
import { ValidationError } from '../lambdas/iot-api/field-rules';
import { HANDLER_ENVIRONMENT } from '../lambdas/handlers/handler-environment';
import { ApprovalApi } from './approval-api';
import { ApprovalTable } from './approval-table';
import { ApprovalTopic } from './approval-topic';
import { CertflowFunction } from './certflow-function';
import { lambdaStep } from './lambda-step';
import type { MigrationStorage } from './migration-storage';

export interface ApprovalsProps {
  /** Whose approvers these are: the source's (outgoing transfers) or the target's (incoming). */
  readonly side: ApprovalSide;
  /** Everyone who may decide this side's requests: bare e-mail addresses, one per person. */
  readonly approvers: string[];
  /** How long before a request's deadline its approvers are reminded. */
  readonly reminderLead: Duration;
  /** The side's audit table: the verify and close steps write each approval's decision row to it (PutItem only). */
  readonly auditTable: dynamodb.ITable;
}

/** Thrown at synth when an approver address would not pass the strict identity rules at run time. */
export class InvalidApproverError extends Error {
  override readonly name = 'InvalidApproverError';

  constructor(side: ApprovalSide, cause: ValidationError) {
    super(
      `${side.toLowerCase()} approvers: ${cause.message}. Give bare e-mail addresses (local@domain), one per person, in certflow:${side.toLowerCase()}Approvers`,
      { cause },
    );
  }
}

export interface VerifyStepProps {
  /** Where the approval task put its callback (the request step's resultPath); the verified decision replaces it there. */
  readonly resultPath: string;
  /** @default 'Check the decision against the approval record' */
  readonly comment?: string;
}

export interface CloseStepProps {
  /** How the approval task ended: EXPIRED in the States.Timeout Catch path, CANCELLED in the RequestCancelled one. */
  readonly status: ApprovalClosing;
  /** Where the step's result ({requestId, status}) goes. @default JsonPath.DISCARD: the state is handed on unchanged */
  readonly resultPath?: string;
  /** @default 'Settle the approval request EXPIRED|CANCELLED and audit it' */
  readonly comment?: string;
}

/** How often the reminder sweep runs; a reminder goes out at most this late. */
export const REMINDER_SWEEP_INTERVAL = Duration.minutes(5);

/**
 * One side's human approvals: the request table, the approvers' topic, the signing key
 * of their links, the page they decide on, the workflow step that asks them, and the
 * sweep that reminds them before the deadline.
 */
export class Approvals extends Construct {
  readonly table: ApprovalTable;
  readonly topic: ApprovalTopic;
  readonly signingKey: secretsmanager.Secret;
  readonly api: ApprovalApi;
  /** The `.waitForTaskToken` step's function: records the request and notifies the approvers. */
  readonly requestFunction: CertflowFunction;
  readonly reminderFunction: CertflowFunction;
  /** The step after the request step: checks its callback against the approval record (see `verifyStep`). */
  readonly verifyFunction: CertflowFunction;
  /** The step in the Timeout / RequestCancelled Catch paths (see `closeStep`). */
  readonly closeFunction: CertflowFunction;
  private readonly side: ApprovalSide;

  constructor(scope: Construct, id: string, props: ApprovalsProps) {
    super(scope, id);
    try {
      parseApproverList(props.approvers);
    } catch (error) {
      if (error instanceof ValidationError) throw new InvalidApproverError(props.side, error);
      throw error;
    }
    this.side = props.side;
    this.table = new ApprovalTable(this, 'Requests');
    this.topic = new ApprovalTopic(this, 'Notifications', { side: props.side, approvers: props.approvers });
    this.signingKey = new secretsmanager.Secret(this, 'LinkSigningKey', {
      description: 'certflow: HMAC key that signs approval links',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.signingKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the link-signing key invalidates every link already sent; the README describes rotating it by hand between approval rounds',
    });
    this.api = new ApprovalApi(this, 'Page', { approvalTable: this.table.table, signingKey: this.signingKey });

    const environment = {
      [HANDLER_ENVIRONMENT.approvalTableName]: this.table.table.tableName,
      [HANDLER_ENVIRONMENT.approvalTopicArn]: this.topic.topic.topicArn,
      [HANDLER_ENVIRONMENT.approvers]: props.approvers.join(','),
      [HANDLER_ENVIRONMENT.approvalPageUrl]: this.api.pageUrl,
      [HANDLER_ENVIRONMENT.signingKeySecretArn]: this.signingKey.secretArn,
      [HANDLER_ENVIRONMENT.reminderLeadSeconds]: String(props.reminderLead.toSeconds()),
    };
    const statements = (): iam.PolicyStatement[] => [
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
        resources: [this.table.table.tableArn, `${this.table.table.tableArn}/index/${REMINDER_INDEX}`],
      }),
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topic.topicArn] }),
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.signingKey.secretArn] }),
    ];
    this.requestFunction = new CertflowFunction(this, 'Request', {
      entry: 'lambdas/handlers/request-approval.ts',
      description: `${props.side.toLowerCase()} side: records an approval request and notifies the approvers`,
      statements: statements(),
      environment,
    });
    this.reminderFunction = new CertflowFunction(this, 'Reminders', {
      entry: 'lambdas/handlers/send-approval-reminders.ts',
      description: `${props.side.toLowerCase()} side: reminds approvers of requests near their deadline`,
      statements: statements(),
      environment,
      timeout: Duration.minutes(1),
    });
    // Verify and close read and settle one record and write one audit row: nothing more.
    const stepStatements = (): iam.PolicyStatement[] => [
      new iam.PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [this.table.table.tableArn] }),
      new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [props.auditTable.tableArn] }),
    ];
    const stepEnvironment = {
      [HANDLER_ENVIRONMENT.approvalTableName]: this.table.table.tableName,
      [HANDLER_ENVIRONMENT.auditTableName]: props.auditTable.tableName,
    };
    this.verifyFunction = new CertflowFunction(this, 'Verify', {
      entry: 'lambdas/handlers/verify-approval-decision.ts',
      description: `${props.side.toLowerCase()} side: checks an approval callback against the approval record and audits the decision`,
      statements: stepStatements(),
      environment: stepEnvironment,
    });
    this.closeFunction = new CertflowFunction(this, 'Close', {
      entry: 'lambdas/handlers/close-approval-request.ts',
      description: `${props.side.toLowerCase()} side: settles an expired or cancelled approval request and audits it`,
      statements: stepStatements(),
      environment: stepEnvironment,
    });
    new events.Rule(this, 'ReminderSweep', {
      description: 'certflow: send the approval reminders that are due',
      schedule: events.Schedule.rate(REMINDER_SWEEP_INTERVAL),
      targets: [new targets.LambdaFunction(this.reminderFunction.function, { retryAttempts: 2 })],
    });
  }

  /**
   * The workflow step that asks this side's approvers and waits (`.waitForTaskToken`)
   * until one decides or the deadline passes (States.Timeout). The payload must carry
   * `taskToken: JsonPath.taskToken`; its result is the decision (ApprovalOutcome).
   */
  requestStep(
    scope: Construct,
    id: string,
    props: { payload: Record<string, unknown>; deadline: Duration; resultPath: string; comment: string },
  ): tasks.LambdaInvoke {
    const step = new tasks.LambdaInvoke(scope, id, {
      lambdaFunction: this.requestFunction.function,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({ ...props.payload, deadlineSeconds: props.deadline.toSeconds() }),
      taskTimeout: sfn.Timeout.duration(props.deadline),
      resultPath: props.resultPath,
      comment: props.comment,
    });
    step.addRetry({
      errors: ['Lambda.ServiceException', 'Lambda.TooManyRequestsException', 'ThrottlingException'],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 6,
    });
    return step;
  }

  /**
   * The step a workflow runs right after `requestStep`: reads the approval record and
   * puts the decision FROM THE RECORD (ApprovalOutcome: decision, approvedBy, rejectReason,
   * setAsActive, consentToPrepare) at `resultPath`, where the callback was. A callback the
   * record does not back fails the step with UnverifiedDecision, which is not retried:
   * give it no Catch that carries on.
   */
  verifyStep(scope: Construct, id: string, props: VerifyStepProps): tasks.LambdaInvoke {
    const step = lambdaStep(scope, id, {
      fn: this.verifyFunction.function,
      payload: { executionId: sfn.JsonPath.executionId, side: this.side, callback: sfn.JsonPath.objectAt(props.resultPath) },
      resultPath: props.resultPath,
      comment: props.comment ?? 'Check the decision against the approval record',
    });
    return withRecordRetry(step);
  }

  /**
   * The step a workflow runs first in the Catch path of `requestStep` for States.Timeout
   * (`status: 'EXPIRED'`) or RequestCancelled (`status: 'CANCELLED'`): settles the record
   * if it is still PENDING or DECIDING, and writes the ApprovalExpired / ApprovalCancelled row.
   */
  closeStep(scope: Construct, id: string, props: CloseStepProps): tasks.LambdaInvoke {
    const step = lambdaStep(scope, id, {
      fn: this.closeFunction.function,
      payload: { executionId: sfn.JsonPath.executionId, side: this.side, status: props.status },
      resultPath: props.resultPath ?? sfn.JsonPath.DISCARD,
      comment: props.comment ?? `Settle the approval request ${props.status} and audit it`,
    });
    return withRecordRetry(step);
  }

  /** The functions of this side's approval steps, for a workflow's `functions`. */
  get stepFunctions(): lambda.IFunction[] {
    return [this.requestFunction.function, this.verifyFunction.function, this.closeFunction.function];
  }

  /** Lets the approval page offer the certificate lists of this side's migrations, kept in `storage`, as CSV. */
  serveCertificateListsFrom(storage: MigrationStorage): void {
    this.api.serveCertificateListsFrom(storage);
  }

  /** Lets approvers' decisions complete the approval tasks of this workflow. */
  allowDecisionsFor(stateMachineArn: string): void {
    this.api.allowDecisionsFor(stateMachineArn);
  }
}

/** The approval table being unreachable is worth waiting for, as the audit table is (lambdaStep retries that). */
function withRecordRetry(step: tasks.LambdaInvoke): tasks.LambdaInvoke {
  step.addRetry({
    errors: [APPROVAL_RECORD_UNAVAILABLE],
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 8,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return step;
}
