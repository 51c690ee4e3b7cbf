import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { REMINDER_INDEX, type ApprovalSide } from '../lambdas/approvals/approval-request';
import { HANDLER_ENVIRONMENT } from '../lambdas/handlers/handler-environment';
import { ApprovalApi } from './approval-api';
import { ApprovalTable } from './approval-table';
import { ApprovalTopic } from './approval-topic';
import { CertflowFunction } from './certflow-function';

export interface ApprovalsProps {
  readonly side: ApprovalSide;
  /** Everyone who may decide this side's requests. */
  readonly approvers: string[];
  /** How long before a request's deadline its approvers are reminded. */
  readonly reminderLead: Duration;
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

  constructor(scope: Construct, id: string, props: ApprovalsProps) {
    super(scope, id);
    this.table = new ApprovalTable(this, 'Requests');
    this.topic = new ApprovalTopic(this, 'Notifications', { side: props.side, approvers: props.approvers });
    this.signingKey = new secretsmanager.Secret(this, 'LinkSigningKey', {
      description: 'certflow: HMAC key that signs approval links',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.signingKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Rotating the link-signing key invalidates every link already sent; the README describes rotating it by hand between approval rounds',
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
  requestStep(scope: Construct, id: string, props: { payload: Record<string, unknown>; deadline: Duration; resultPath: string; comment: string }): tasks.LambdaInvoke {
    const step = new tasks.LambdaInvoke(scope, id, {
      lambdaFunction: this.requestFunction.function,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({ ...props.payload, deadlineSeconds: props.deadline.toSeconds() }),
      taskTimeout: sfn.Timeout.duration(props.deadline),
      resultPath: props.resultPath,
      comment: props.comment,
    });
    step.addRetry({ errors: ['Lambda.ServiceException', 'Lambda.TooManyRequestsException', 'ThrottlingException'], interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 6 });
    return step;
  }

  /** Lets approvers' decisions complete the approval tasks of this workflow. */
  allowDecisionsFor(stateMachineArn: string): void {
    this.api.allowDecisionsFor(stateMachineArn);
  }
}
