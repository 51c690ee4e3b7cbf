import { Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { HANDLER_ENVIRONMENT } from '../lambdas/handlers/handler-environment';
import type { Approvals } from './approvals';
import { CertflowFunction } from './certflow-function';
import type { CertflowConfig } from './certflow-config';
import { lambdaStep, messageWaitStep } from './lambda-step';
import { auditTableAccess, thisAccountsCertificates, type TransferActionFunction } from './transfer-action-function';
import type { TransferMessageBus } from './transfer-message-bus';
import type { TransferProposalTable } from './transfer-proposal-table';
import { WorkflowStateMachine, stateMachineArnOf } from './workflow-state-machine';
import { REVIEW_FAILED_REASON } from './inbound-transfer-workflow';

export interface ProposalReviewWorkflowProps {
  /** The deployment's configuration (deadlines, landing, accounts). */
  readonly config: CertflowConfig;
  /** Where every IoT change is recorded. */
  readonly auditTable: dynamodb.ITable;
  /** The target side's approvals. */
  readonly approvals: Approvals;
  /** The AcceptCertificateTransfer function (audited). */
  readonly acceptFunction: TransferActionFunction;
  /** Where the failed / timed-out alarms go; a landing that cannot finish fails the execution and raises them. */
  readonly alarmTopic: sns.ITopic;
  /** This side's transfer records. */
  readonly proposalTable: TransferProposalTable;
  /** This side's end of the cross-account channel. */
  readonly messageBus: TransferMessageBus;
  /** The source account whose proposals this side reviews. */
  readonly peerAccount: string;
}

/** How a proposal review ended, in the execution's `outcome` field. */
export const PROPOSAL_REVIEW_OUTCOMES = [
  'LANDED',
  'REJECTED',
  'EXPIRED',
  'CANCELLED',
  'REVIEW_FAILED',
  'WITHDRAWN',
  'OFFER_NOT_RECEIVED',
  'OFFER_WITHDRAWN',
] as const;

/**
 * The target account's review of a transfer proposal, started by the receiver when the
 * proposal arrives: check how the certificate would land here, ask the target approvers
 * (who see the certificate, its policies and things, and the landing), answer the source,
 * and once the offer arrives accept it and land it: policies attached, things recreated.
 */
export class ProposalReviewWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Record<'review' | 'land' | 'receiver', CertflowFunction>;

  constructor(scope: Construct, id: string, props: ProposalReviewWorkflowProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);
    const stateMachineName = `${stack.stackName}-ProposalReview`;
    const stateMachineArn = stateMachineArnOf(this, stateMachineName);
    const environment = {
      [HANDLER_ENVIRONMENT.accountId]: stack.account,
      [HANDLER_ENVIRONMENT.peerAccountId]: props.peerAccount,
      [HANDLER_ENVIRONMENT.proposalTableName]: props.proposalTable.table.tableName,
      [HANDLER_ENVIRONMENT.eventBusName]: props.messageBus.bus.eventBusName,
      [HANDLER_ENVIRONMENT.landingConfig]: JSON.stringify(config.landing),
    };
    const arn = (resource: string) => stack.formatArn({ service: 'iot', resource, resourceName: '*' });
    this.functions = {
      review: new CertflowFunction(this, 'Review', {
        entry: 'lambdas/handlers/review-proposal.ts',
        description: 'proposal review: checks the landing, answers the source, reads the offer, reports the landing',
        environment,
        statements: [
          props.proposalTable.readWrite(),
          props.messageBus.sendStatement(),
          new iam.PolicyStatement({ actions: ['iot:GetPolicy'], resources: [arn('policy')] }),
          new iam.PolicyStatement({ actions: ['iot:DescribeThing', 'iot:ListThingPrincipals'], resources: [arn('thing')] }),
          new iam.PolicyStatement({ actions: ['iot:DescribeThingType'], resources: [arn('thingtype')] }),
        ],
      }),
      land: new CertflowFunction(this, 'Land', {
        entry: 'lambdas/handlers/land-certificate.ts',
        description: 'proposal review: attaches the landing policies and recreates the things',
        environment: { [HANDLER_ENVIRONMENT.accountId]: stack.account, [HANDLER_ENVIRONMENT.auditTableName]: props.auditTable.tableName },
        statements: [
          // Attach/DetachPolicy are authorized on the certificate (their resource types are cert and thinggroup).
          new iam.PolicyStatement({ actions: ['iot:AttachPolicy'], resources: [thisAccountsCertificates(this)] }),
          new iam.PolicyStatement({ actions: ['iot:CreateThing', 'iot:DescribeThing'], resources: [arn('thing')] }),
          new iam.PolicyStatement({ actions: ['iot:AttachThingPrincipal'], resources: [arn('thing'), thisAccountsCertificates(this)] }),
          auditTableAccess(props.auditTable),
        ],
      }),
      receiver: new CertflowFunction(this, 'ReceiveSourceMessages', {
        entry: 'lambdas/handlers/receive-transfer-messages.ts',
        description: "inbound: records the source account's messages, starts reviews and wakes the waiting step",
        environment: { ...environment, [HANDLER_ENVIRONMENT.reviewStateMachineArn]: stateMachineArn },
        statements: [
          props.proposalTable.readWrite(),
          new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachineArn] }),
          new iam.PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [stateMachineArn] }),
        ],
      }),
    };
    props.messageBus.deliverTo(this.functions.receiver.function);

    const finished = new sfn.Succeed(this, 'Finished', { comment: 'The outcome field says how the review ended' });
    const failWith = (stateId: string) => new sfn.Fail(this, stateId, { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const outcome = (stateId: string, value: (typeof PROPOSAL_REVIEW_OUTCOMES)[number]) =>
      new sfn.Pass(this, stateId, { result: sfn.Result.fromString(value), resultPath: '$.outcome' });
    const proposal = (field: string): string => sfn.JsonPath.stringAt(`$.review.proposal.${field}`);
    const reviewStep = (stateId: string, step: string, payload: Record<string, unknown>, resultPath: string, comment?: string) =>
      lambdaStep(this, stateId, {
        fn: this.functions.review.function,
        payload: { step, executionId: sfn.JsonPath.executionId, proposalId: sfn.JsonPath.stringAt('$.proposalId'), ...payload },
        resultPath,
        comment,
      });
    const answer = (stateId: string, decision: string, fields: Record<string, unknown>) =>
      reviewStep(
        stateId,
        'answer',
        { decision, setAsActive: false, landing: null, decidedBy: null, ...fields },
        sfn.JsonPath.DISCARD,
        `Tell the source: ${decision}`,
      );
    const answerThen = (
      stateId: string,
      decision: string,
      fields: Record<string, unknown>,
      result: (typeof PROPOSAL_REVIEW_OUTCOMES)[number],
    ) =>
      answer(stateId, decision, fields)
        .addCatch(failWith(`${stateId}Failed`), { errors: ['States.ALL'], resultPath: '$.error' })
        .next(outcome(`${stateId}Done`, result))
        .next(finished);

    const open = reviewStep('OpenReview', 'open', {}, '$.review', 'The proposal as received, and how the certificate would land here');
    const landingNotPossible = failWith('LandingNotPossible');
    open.addCatch(
      answer('AnswerLandingNotPossible', 'LANDING_NOT_POSSIBLE', {
        rejectReason: 'certflow: the certificate cannot land in the target account as configured (see the target review)',
      })
        .addCatch(landingNotPossible, { errors: ['States.ALL'], resultPath: '$.answerError' })
        .next(landingNotPossible),
      { errors: ['LandingNotPossible'], resultPath: '$.error' },
    );
    open.addCatch(failWith('ReviewNotOpened'), { errors: ['States.ALL'], resultPath: '$.error' });

    const requestApproval = props.approvals.requestStep(this, 'RequestTargetApproval', {
      payload: {
        taskToken: sfn.JsonPath.taskToken,
        executionId: sfn.JsonPath.executionId,
        side: 'TARGET',
        certificateId: proposal('certificateId'),
        certificate: sfn.JsonPath.objectAt('$.review.certificate'),
        landing: sfn.JsonPath.objectAt('$.review.landing'),
        sourceAwsAccount: proposal('sourceAwsAccount'),
        targetAwsAccount: stack.account,
        transferMessage: proposal('transferMessage'),
        requestedBy: proposal('requestedBy'),
        reason: proposal('reason'),
        preparation: { deactivate: false, detachPolicies: [], attachedThings: [] },
      },
      deadline: config.approvalDeadline,
      resultPath: '$.approval',
      comment: 'Ask the target approvers, who see the certificate, its policies and things and how it lands here',
    });
    requestApproval.addCatch(
      props.approvals
        .closeStep(this, 'CloseExpiredApproval', { status: 'EXPIRED' })
        .next(
          answerThen(
            'AnswerExpired',
            'EXPIRED',
            { rejectReason: 'certflow: the target approvers did not decide by the approval deadline' },
            'EXPIRED',
          ),
        ),
      { errors: ['States.Timeout'], resultPath: '$.error' },
    );
    requestApproval.addCatch(
      props.approvals
        .closeStep(this, 'CloseCancelledApproval', { status: 'CANCELLED' })
        .next(answerThen('AnswerCancelled', 'CANCELLED', { rejectReason: 'certflow: the target review was cancelled' }, 'CANCELLED')),
      { errors: ['RequestCancelled'], resultPath: '$.error' },
    );
    requestApproval.addCatch(answerThen('AnswerReviewFailed', 'REJECTED', { rejectReason: REVIEW_FAILED_REASON }, 'REVIEW_FAILED'), {
      errors: ['States.ALL'],
      resultPath: '$.error',
    });

    const approvedBy = sfn.JsonPath.stringAt('$.approval.approvedBy');
    const answerApproved = messageWaitStep(this, 'AnswerApproved', {
      fn: this.functions.review.function,
      payload: {
        step: 'answer',
        executionId: sfn.JsonPath.executionId,
        proposalId: sfn.JsonPath.stringAt('$.proposalId'),
        decision: 'APPROVED',
        decidedBy: approvedBy,
        rejectReason: null,
        setAsActive: sfn.JsonPath.stringAt('$.approval.setAsActive'),
        landing: sfn.JsonPath.objectAt('$.review.landing'),
      },
      timeout: config.cutoverTimeout,
      comment: 'Tell the source it is approved; wait for the offer',
    });
    answerApproved.addCatch(outcome('OfferNotReceived', 'OFFER_NOT_RECEIVED').next(finished), {
      errors: ['States.Timeout'],
      resultPath: '$.error',
    });
    answerApproved.addCatch(failWith('AnswerFailed'), { errors: ['States.ALL'], resultPath: '$.error' });
    const readOffer = reviewStep('ReadOffer', 'readOffer', {}, '$.offer', "What the source sent, as this side's receiver recorded it");
    readOffer.addCatch(failWith('OfferUnverified'), { errors: ['States.ALL'], resultPath: '$.error' });

    const reportFailure = (stateId: string, accepted: boolean) =>
      reviewStep(
        stateId,
        'reportLandingFailed',
        { accepted, errorName: sfn.JsonPath.stringAt('$.error.Error'), errorMessage: sfn.JsonPath.stringAt('$.error.Cause') },
        sfn.JsonPath.DISCARD,
      );
    const reportLandingFailed = (stateId: string, accepted: boolean, failId: string) => {
      const failed = failWith(failId);
      return reportFailure(stateId, accepted)
        .addCatch(failed, { errors: ['States.ALL'], resultPath: '$.reportError' })
        .next(failed);
    };
    const accept = lambdaStep(this, 'AcceptCertificateTransfer', {
      fn: props.acceptFunction.function,
      payload: {
        executionId: sfn.JsonPath.executionId,
        approvedBy,
        requestedBy: proposal('requestedBy'),
        certificateId: proposal('certificateId'),
        sourceAwsAccount: proposal('sourceAwsAccount'),
        setAsActive: sfn.JsonPath.stringAt('$.approval.setAsActive'),
      },
      resultPath: '$.accept',
    });
    accept.addCatch(
      reportFailure('ReportOfferGone', false)
        .addCatch(outcome('OfferGoneUnreported', 'OFFER_WITHDRAWN').next(finished), { errors: ['States.ALL'], resultPath: '$.reportError' })
        .next(outcome('OfferGone', 'OFFER_WITHDRAWN'))
        .next(finished),
      { errors: ['ResourceNotFoundException', 'TransferAlreadyCompletedException', 'CertificateStateException'], resultPath: '$.error' },
    );
    accept.addCatch(reportLandingFailed('ReportAcceptFailed', false, 'AcceptFailed'), { errors: ['States.ALL'], resultPath: '$.error' });
    const land = lambdaStep(this, 'LandCertificate', {
      fn: this.functions.land.function,
      payload: {
        executionId: sfn.JsonPath.executionId,
        approvedBy,
        requestedBy: proposal('requestedBy'),
        certificateId: proposal('certificateId'),
        certificateArn: sfn.JsonPath.format(
          'arn:{}:iot:{}:{}:cert/{}',
          stack.partition,
          stack.region,
          stack.account,
          proposal('certificateId'),
        ),
        sourceAwsAccount: proposal('sourceAwsAccount'),
        landing: sfn.JsonPath.objectAt('$.review.landing'),
      },
      resultPath: '$.landed',
      comment: 'Attach the landing policies, recreate the things and attach the certificate to them',
    });
    // The accept cannot be undone: the certificate stays here, and the failed execution raises the alarm.
    land.addCatch(reportLandingFailed('ReportLandingFailed', true, 'LandingFailed'), { errors: ['States.ALL'], resultPath: '$.error' });
    const reportLanded = reviewStep(
      'ReportLanded',
      'reportLanded',
      {
        acceptedAt: sfn.JsonPath.stringAt('$.accept.recordedAt'),
        landedAt: sfn.JsonPath.stringAt('$.landed.landedAt'),
        setAsActive: sfn.JsonPath.stringAt('$.approval.setAsActive'),
        landing: sfn.JsonPath.objectAt('$.review.landing'),
      },
      '$.report',
      'Tell the source the certificate landed',
    );
    reportLanded.addCatch(failWith('LandedUnreported'), { errors: ['States.ALL'], resultPath: '$.error' });

    const cutover = answerApproved.next(readOffer).next(
      new sfn.Choice(this, 'OfferOrWithdrawal')
        .when(sfn.Condition.stringEquals('$.offer.outcome', 'WITHDRAWN'), outcome('Withdrawn', 'WITHDRAWN').next(finished))
        .otherwise(
          accept
            .next(land)
            .next(reportLanded)
            .next(new sfn.Pass(this, 'ReportDowntime', { inputPath: '$.report.downtimeSeconds', resultPath: '$.downtimeSeconds' }))
            .next(outcome('Landed', 'LANDED'))
            .next(finished),
        ),
    );
    // An unverified decision fails the review: the proposal then goes unanswered and the source gives up at its deadline.
    const verifyApproval = props.approvals.verifyStep(this, 'VerifyTargetApproval', { resultPath: '$.approval' });
    verifyApproval.addCatch(failWith('TargetApprovalUnverified'), { errors: ['States.ALL'], resultPath: '$.error' });
    const definition = open
      .next(requestApproval)
      .next(verifyApproval)
      .next(
        new sfn.Choice(this, 'TargetDecision')
          .when(sfn.Condition.stringEquals('$.approval.decision', 'APPROVED'), cutover)
          .otherwise(
            answerThen(
              'AnswerRejected',
              'REJECTED',
              { decidedBy: approvedBy, rejectReason: sfn.JsonPath.stringAt('$.approval.rejectReason') },
              'REJECTED',
            ),
          ),
      );

    const workflow = new WorkflowStateMachine(this, 'Workflow', {
      stateMachineName,
      definition,
      functions: [
        this.functions.review.function,
        this.functions.land.function,
        ...props.approvals.stepFunctions,
        props.acceptFunction.function,
      ],
      comment: 'certflow proposal review: check the landing, ask the target approvers, answer the source, accept and land the offer',
      alarmTopic: props.alarmTopic,
    });
    this.stateMachine = workflow.stateMachine;
    props.approvals.allowDecisionsFor(stateMachineArn);
  }
}
