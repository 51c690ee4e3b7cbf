import { Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { HANDLER_ENVIRONMENT } from '../lambdas/handlers/handler-environment';
import type { Approvals } from './approvals';
import { CertflowFunction } from './certflow-function';
import { iotPacingEnvironment, type CertflowConfig } from './certflow-config';
import { lambdaStep } from './lambda-step';
import { thisAccountsCertificates, type TransferActionFunction } from './transfer-action-function';
import type { TransferProposalTable } from './transfer-proposal-table';
import { WorkflowStateMachine, stateMachineArnOf } from './workflow-state-machine';

/** The poller paces itself to 1 / this of each IoT Action's quota. */
const POLLER_QUOTA_SHARERS = 2;

export interface InboundTransferWorkflowProps {
  /** The deployment's configuration (deadlines, quotas, accounts), read from CDK context. */
  readonly config: CertflowConfig;
  /** Where every IoT change is recorded. */
  readonly auditTable: dynamodb.ITable;
  /** This side's approvals: the request, verify and close steps. */
  readonly approvals: Approvals;
  /** The AcceptCertificateTransfer function (audited). */
  readonly acceptFunction: TransferActionFunction;
  /** The RejectCertificateTransfer function (audited). */
  readonly rejectFunction: TransferActionFunction;
  /** Where the failed / timed-out execution alarms go. */
  readonly alarmTopic: sns.ITopic;
  /** The poller skips offers that belong to a proposal recorded here. */
  readonly proposalTable: TransferProposalTable;
}

/** How an inbound review ended, in the execution's `outcome` field. */
export const INBOUND_OUTCOMES = ['ACCEPTED', 'REJECTED', 'EXPIRED', 'CANCELLED', 'REVIEW_FAILED', 'OFFER_WITHDRAWN'] as const;

/** The reason a review nobody decided in time is rejected with (IoT allows 128 characters). */
export const APPROVAL_EXPIRED_REASON = 'certflow: the target approvers did not decide by the approval deadline';
export const REVIEW_CANCELLED_REASON = 'certflow: the target review was cancelled';
/** An offer whose review cannot ask anyone is rejected (the source may offer it again) rather than left pending. */
export const REVIEW_FAILED_REASON = 'certflow: the target review could not ask its approvers; offer the certificate again';

/**
 * The target account's side. AWS IoT tells the target nothing of an offer, so a
 * scheduled poller starts one review execution per pending transfer (named from the
 * certificate id and transfer date, so never twice); the review asks the target
 * approvers and then accepts (ACTIVE or INACTIVE, as they chose) or rejects with their
 * reason, or with an expiry reason when nobody decided by the deadline.
 */
export class InboundTransferWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly pollerFunction: CertflowFunction;

  constructor(scope: Construct, id: string, props: InboundTransferWorkflowProps) {
    super(scope, id);
    const { config } = props;
    const field = (name: string): string => sfn.JsonPath.stringAt(`$.${name}`);
    const decided = {
      executionId: sfn.JsonPath.executionId,
      approvedBy: field('approval.approvedBy'),
      certificateId: field('certificateId'),
      sourceAwsAccount: field('sourceAwsAccount'),
    };
    const outcome = (stateId: string, value: (typeof INBOUND_OUTCOMES)[number]) =>
      new sfn.Pass(this, stateId, { result: sfn.Result.fromString(value), resultPath: '$.outcome' });
    const finished = new sfn.Succeed(this, 'Finished', { comment: 'The outcome field says how the review ended' });
    const failWith = (stateId: string) => new sfn.Fail(this, stateId, { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const offerWithdrawn = outcome('OfferWithdrawn', 'OFFER_WITHDRAWN').next(finished);
    // The source cancelled (or the offer went elsewhere) before this side acted on it.
    const OFFER_GONE = ['ResourceNotFoundException', 'TransferAlreadyCompletedException', 'CertificateStateException'];

    const accept = lambdaStep(this, 'AcceptCertificateTransfer', {
      fn: props.acceptFunction.function,
      payload: { ...decided, setAsActive: field('approval.setAsActive') },
      resultPath: '$.accept',
    })
      .addCatch(offerWithdrawn, { errors: OFFER_GONE, resultPath: '$.error' })
      .addCatch(failWith('AcceptFailed'), { errors: ['States.ALL'], resultPath: '$.error' })
      .next(outcome('Accepted', 'ACCEPTED'))
      .next(finished);
    const reject = (stateId: string, result: (typeof INBOUND_OUTCOMES)[number]) =>
      lambdaStep(this, stateId, {
        fn: props.rejectFunction.function,
        payload: { ...decided, rejectReason: field('approval.rejectReason') },
        resultPath: '$.reject',
      })
        .addCatch(offerWithdrawn, { errors: OFFER_GONE, resultPath: '$.error' })
        .addCatch(failWith(`${stateId}Failed`), { errors: ['States.ALL'], resultPath: '$.error' })
        .next(outcome(`${stateId}Done`, result))
        .next(finished);

    const rejectWithout = (stateId: string, rejectReason: string, result: (typeof INBOUND_OUTCOMES)[number]) =>
      new sfn.Pass(this, stateId, {
        result: sfn.Result.fromObject({
          decision: 'REJECTED',
          approvedBy: 'certflow',
          rejectReason,
          setAsActive: false,
          consentToPrepare: false,
        }),
        resultPath: '$.approval',
      }).next(reject(`Reject${stateId}`, result));
    const expired = rejectWithout('ApprovalExpired', APPROVAL_EXPIRED_REASON, 'EXPIRED');
    const cancelled = rejectWithout('ReviewCancelled', REVIEW_CANCELLED_REASON, 'CANCELLED');
    const reviewFailed = rejectWithout('ReviewFailed', REVIEW_FAILED_REASON, 'REVIEW_FAILED');

    const requestApproval = props.approvals.requestStep(this, 'RequestTargetApproval', {
      payload: {
        taskToken: sfn.JsonPath.taskToken,
        executionId: sfn.JsonPath.executionId,
        side: 'TARGET',
        certificateId: field('certificateId'),
        sourceAwsAccount: field('sourceAwsAccount'),
        targetAwsAccount: Stack.of(this).account,
        transferMessage: field('transferMessage'),
        requestedBy: sfn.JsonPath.format('account {}', field('sourceAwsAccount')),
        reason: null,
        preparation: { deactivate: false, detachPolicies: [], attachedThings: [] },
      },
      deadline: config.approvalDeadline,
      resultPath: '$.approval',
      comment: 'Notify the target approvers and wait for a decision until the approval deadline',
    });
    requestApproval.addCatch(props.approvals.closeStep(this, 'CloseExpiredApproval', { status: 'EXPIRED' }).next(expired), {
      errors: ['States.Timeout'],
      resultPath: '$.error',
    });
    requestApproval.addCatch(props.approvals.closeStep(this, 'CloseCancelledApproval', { status: 'CANCELLED' }).next(cancelled), {
      errors: ['RequestCancelled'],
      resultPath: '$.error',
    });
    requestApproval.addCatch(reviewFailed, { errors: ['States.ALL'], resultPath: '$.error' });

    // An unverified decision fails the review and leaves the offer untouched.
    const verifyApproval = props.approvals.verifyStep(this, 'VerifyTargetApproval', { resultPath: '$.approval' });
    verifyApproval.addCatch(failWith('TargetApprovalUnverified'), { errors: ['States.ALL'], resultPath: '$.error' });
    const definition = requestApproval
      .next(verifyApproval)
      .next(
        new sfn.Choice(this, 'TargetDecision')
          .when(sfn.Condition.stringEquals('$.approval.decision', 'APPROVED'), accept)
          .otherwise(reject('RejectCertificateTransfer', 'REJECTED')),
      );
    const stateMachineName = `${Stack.of(this).stackName}-InboundReview`;
    const workflow = new WorkflowStateMachine(this, 'Workflow', {
      stateMachineName,
      definition,
      functions: [...props.approvals.stepFunctions, props.acceptFunction.function, props.rejectFunction.function],
      comment: 'certflow inbound review: ask the target approvers, then accept or reject the offered certificate',
      alarmTopic: props.alarmTopic,
    });
    this.stateMachine = workflow.stateMachine;
    props.approvals.allowDecisionsFor(stateMachineArnOf(this, stateMachineName));

    this.pollerFunction = new CertflowFunction(this, 'Poller', {
      entry: 'lambdas/handlers/start-inbound-reviews.ts',
      description: 'inbound: starts one review per certificate offered to this account',
      timeout: Duration.minutes(2),
      statements: [
        // ListCertificates has no resource type: it can only be granted on "*".
        new iam.PolicyStatement({ actions: ['iot:ListCertificates'], resources: ['*'] }),
        new iam.PolicyStatement({ actions: ['iot:DescribeCertificate'], resources: [thisAccountsCertificates(this)] }),
        new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] }),
        props.proposalTable.queryByCertificate(),
      ],
      environment: {
        [HANDLER_ENVIRONMENT.accountId]: Stack.of(this).account,
        [HANDLER_ENVIRONMENT.inboundStateMachineArn]: this.stateMachine.stateMachineArn,
        [HANDLER_ENVIRONMENT.proposalTableName]: props.proposalTable.table.tableName,
        [HANDLER_ENVIRONMENT.trustedSourceAccounts]: config.trustedSourceAccounts.join(','),
        // Half of each Action's quota: the rest is left to the reviews and migrations the account runs meanwhile.
        ...iotPacingEnvironment(config, POLLER_QUOTA_SHARERS),
      },
    });
    new events.Rule(this, 'PollSchedule', {
      description: 'certflow: look for certificates offered to this account',
      schedule: events.Schedule.rate(config.inboundPollInterval),
      targets: [new targets.LambdaFunction(this.pollerFunction.function, { retryAttempts: 2 })],
    });
  }
}
