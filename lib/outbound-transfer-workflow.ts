import { Stack, type Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { TERMINAL_IOT_ERRORS } from '../lambdas/iot-api/iot-errors';
import { HANDLER_ENVIRONMENT } from '../lambdas/handlers/handler-environment';
import type { Approvals } from './approvals';
import type { StartRequestApi } from './start-request-api';
import { CertflowFunction } from './certflow-function';
import { FollowedOfferSweep } from './followed-offer-sweep';
import type { CertflowConfig } from './certflow-config';
import { lambdaStep, messageWaitStep } from './lambda-step';
import { auditTableAccess, thisAccountsCertificates, type TransferActionFunction } from './transfer-action-function';
import type { TransferMessageBus } from './transfer-message-bus';
import type { TransferProposalTable } from './transfer-proposal-table';
import { WorkflowStateMachine, stateMachineArnOf } from './workflow-state-machine';

export interface OutboundTransferWorkflowProps {
  /** The deployment's configuration (deadlines, waits, accounts). */
  readonly config: CertflowConfig;
  /** Where every IoT change is recorded. */
  readonly auditTable: dynamodb.ITable;
  /** The source side's approvals. */
  readonly approvals: Approvals;
  /** The TransferCertificate function (audited). */
  readonly transferFunction: TransferActionFunction;
  /** The CancelCertificateTransfer function (audited). */
  readonly cancelFunction: TransferActionFunction;
  /** Where the failed / timed-out alarms go. */
  readonly alarmTopic: sns.ITopic;
  /** This side's transfer records (proposal, the target's answers, the waiting step's token). */
  readonly proposalTable: TransferProposalTable;
  /** This side's end of the cross-account channel. */
  readonly messageBus: TransferMessageBus;
  /** The account whose certflow receives this side's proposals. */
  readonly peerAccount: string;
  /** Where people start this workflow; its verify step runs first and fails an execution it did not start. */
  readonly startRequests: StartRequestApi;
}

/** How an outbound transfer ended, in the execution's `outcome` field. */
export const OUTBOUND_OUTCOMES = [
  'TRANSFERRED',
  'SOURCE_REJECTED',
  'TARGET_REJECTED',
  'CANCELLED',
  'APPROVAL_EXPIRED',
  'TRANSFER_EXPIRED',
  'TARGET_APPROVAL_EXPIRED',
  'TARGET_CANCELLED',
  'TARGET_DID_NOT_ANSWER',
  'LANDING_NOT_POSSIBLE',
  'TARGET_NOT_ACCEPTED',
  'TRANSFERRED_LANDING_FAILED',
  'TRANSFERRED_UNREPORTED',
] as const;

/** Errors after which no retry or approval can make the step work: the workflow stops with them. */
const TERMINAL_STEP_ERRORS = [...TERMINAL_IOT_ERRORS, 'CertificateNotTransferable', 'ValidationError'];

/**
 * The source account's workflow, started through the start API with {certificateId,
 * targetAwsAccount, transferMessage, reason, restoreOnFailure} (the API adds requestedBy and
 * requestedByArn from the caller's IAM identity): verify the start request, inspect the certificate,
 * ask the source approvers, prepare it (with their consent), TransferCertificate, then
 * follow the transfer until the target decides, cancelling it at the transfer deadline
 * and restoring what preparation changed when it does not go through.
 */
export class OutboundTransferWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Record<'inspect' | 'prepare' | 'restore' | 'follow' | 'exchange' | 'receiver', CertflowFunction>;
  /** The scheduled sweep that follows the offers to targets that run no certflow. */
  readonly followedOfferSweep: FollowedOfferSweep;

  constructor(scope: Construct, id: string, props: OutboundTransferWorkflowProps) {
    super(scope, id);
    const { config } = props;
    const certificates = thisAccountsCertificates(this);
    const environment = {
      [HANDLER_ENVIRONMENT.auditTableName]: props.auditTable.tableName,
      [HANDLER_ENVIRONMENT.accountId]: Stack.of(this).account,
      [HANDLER_ENVIRONMENT.peerAccountId]: props.peerAccount,
      [HANDLER_ENVIRONMENT.unmanagedTargetAccounts]: config.unmanagedTargetAccounts.join(','),
    };
    const exchangeEnvironment = {
      [HANDLER_ENVIRONMENT.accountId]: Stack.of(this).account,
      [HANDLER_ENVIRONMENT.peerAccountId]: props.peerAccount,
      [HANDLER_ENVIRONMENT.proposalTableName]: props.proposalTable.table.tableName,
      [HANDLER_ENVIRONMENT.eventBusName]: props.messageBus.bus.eventBusName,
    };
    const things = Stack.of(this).formatArn({ service: 'iot', resource: 'thing', resourceName: '*' });
    const iotAccess = (actions: string[], resources = [certificates]) =>
      new iam.PolicyStatement({ actions: actions.map((action) => `iot:${action}`), resources });
    const stepFunction = (
      functionId: string,
      entry: string,
      description: string,
      statements: iam.PolicyStatement[],
      env: Record<string, string> = environment,
    ) => new CertflowFunction(this, functionId, { entry: `lambdas/handlers/${entry}.ts`, description, statements, environment: env });
    this.functions = {
      inspect: stepFunction('Inspect', 'inspect-certificate', 'outbound: validates the request and inspects the certificate', [
        iotAccess(['DescribeCertificate', 'ListPrincipalThings']),
        // The Service Authorization Reference lists no resource type for ListAttachedPolicies: only "*" is valid.
        iotAccess(['ListAttachedPolicies'], ['*']),
        iotAccess(['DescribeThing'], [things]),
      ]),
      prepare: stepFunction(
        'Prepare',
        'prepare-certificate',
        'outbound: deactivates the certificate, detaches its policies and things, with consent',
        [
          // Attach/DetachPolicy are authorized on the certificate (their resource types are cert and thinggroup).
          iotAccess(['DescribeCertificate', 'UpdateCertificate', 'DetachPolicy', 'ListPrincipalThings']),
          iotAccess(['ListAttachedPolicies'], ['*']),
          iotAccess(['DetachThingPrincipal'], [certificates, things]),
          auditTableAccess(props.auditTable),
        ],
      ),
      restore: stepFunction('Restore', 'restore-certificate', 'outbound: puts back the status, policies and things preparation changed', [
        iotAccess(['DescribeCertificate', 'UpdateCertificate', 'AttachPolicy']),
        iotAccess(['ListAttachedPolicies'], ['*']),
        iotAccess(['AttachThingPrincipal'], [certificates, things]),
        auditTableAccess(props.auditTable),
      ]),
      follow: stepFunction(
        'Follow',
        'follow-offer',
        'outbound: records an offer for the sweep, reads the outcome it recorded',
        [props.proposalTable.readWrite(), iotAccess(['DescribeCertificate'])],
        exchangeEnvironment,
      ),
      exchange: stepFunction(
        'ExchangeWithTarget',
        'exchange-with-target',
        'outbound: proposes to the target, offers, reads its answers',
        [props.proposalTable.readWrite(), props.messageBus.sendStatement()],
        exchangeEnvironment,
      ),
      receiver: stepFunction(
        'ReceiveTargetMessages',
        'receive-transfer-messages',
        "outbound: records the target account's messages and wakes the waiting step",
        [
          props.proposalTable.readWrite(),
          new iam.PolicyStatement({
            actions: ['states:SendTaskSuccess'],
            resources: [stateMachineArnOf(this, `${Stack.of(this).stackName}-OutboundTransfer`)],
          }),
        ],
        exchangeEnvironment,
      ),
    };
    props.messageBus.deliverTo(this.functions.receiver.function);

    const request = (field: string): string => sfn.JsonPath.stringAt(`$.request.${field}`);
    const attempt = {
      executionId: sfn.JsonPath.executionId,
      requestedBy: request('requestedBy'),
    };
    const approvedAttempt = { ...attempt, approvedBy: sfn.JsonPath.stringAt('$.sourceApproval.approvedBy') };
    const outcome = (stateId: string, value: (typeof OUTBOUND_OUTCOMES)[number]) =>
      new sfn.Pass(this, stateId, { result: sfn.Result.fromString(value), resultPath: '$.outcome' });
    const failWith = (stateId: string) => new sfn.Fail(this, stateId, { errorPath: '$.error.Error', causePath: '$.error.Cause' });

    const inspect = lambdaStep(this, 'InspectCertificate', {
      fn: this.functions.inspect.function,
      resultPath: '$',
      comment: 'Validate the request; check the certificate can be transferred and what must change first',
    });

    const finished = new sfn.Succeed(this, 'Finished', { comment: 'The outcome field says how the transfer ended' });
    const restoreStep = (stateId: string) =>
      lambdaStep(this, stateId, {
        fn: this.functions.restore.function,
        payload: {
          ...approvedAttempt,
          certificateId: request('certificateId'),
          certificateArn: sfn.JsonPath.stringAt('$.certificate.certificateArn'),
          changes: sfn.JsonPath.objectAt('$.preparationChanges'),
        },
        resultPath: '$.restored',
      });

    const restoreWanted = new sfn.Choice(this, 'RestoreWanted')
      .when(
        sfn.Condition.and(
          sfn.Condition.booleanEquals('$.request.restoreOnFailure', true),
          sfn.Condition.isPresent('$.preparationChanges'),
          sfn.Condition.or(
            sfn.Condition.booleanEquals('$.preparationChanges.deactivated', true),
            sfn.Condition.isPresent('$.preparationChanges.detachedPolicies[0]'),
            sfn.Condition.isPresent('$.preparationChanges.detachedThings[0]'),
          ),
        ),
        restoreStep('RestoreCertificate')
          .addCatch(failWith('RestoreFailed'), { errors: ['States.ALL'], resultPath: '$.error' })
          .next(finished),
      )
      .otherwise(finished);

    const requestApproval = props.approvals.requestStep(this, 'RequestSourceApproval', {
      payload: {
        taskToken: sfn.JsonPath.taskToken,
        executionId: sfn.JsonPath.executionId,
        side: 'SOURCE',
        certificateId: request('certificateId'),
        sourceAwsAccount: Stack.of(this).account,
        targetAwsAccount: request('targetAwsAccount'),
        transferMessage: request('transferMessage'),
        requestedBy: request('requestedBy'),
        requestedByArn: request('requestedByArn'),
        reason: request('reason'),
        preparation: sfn.JsonPath.objectAt('$.certificate.preparation'),
        certificate: sfn.JsonPath.objectAt('$.certificate.facts'),
      },
      deadline: config.approvalDeadline,
      resultPath: '$.sourceApproval',
      comment: 'Notify the source approvers and wait for a decision until the approval deadline',
    });
    requestApproval.addCatch(
      props.approvals
        .closeStep(this, 'CloseExpiredApproval', { status: 'EXPIRED' })
        .next(outcome('SourceApprovalExpired', 'APPROVAL_EXPIRED'))
        .next(finished),
      { errors: ['States.Timeout'], resultPath: '$.error' },
    );
    requestApproval.addCatch(
      props.approvals
        .closeStep(this, 'CloseCancelledApproval', { status: 'CANCELLED' })
        .next(outcome('CancelledBeforeApproval', 'CANCELLED'))
        .next(finished),
      { errors: ['RequestCancelled'], resultPath: '$.error' },
    );
    // The decision the workflow acts on comes from the approval record, never from the callback alone.
    const verifyApproval = props.approvals.verifyStep(this, 'VerifySourceApproval', { resultPath: '$.sourceApproval' });
    verifyApproval.addCatch(failWith('SourceApprovalUnverified'), { errors: ['States.ALL'], resultPath: '$.error' });

    const prepare = lambdaStep(this, 'PrepareCertificate', {
      fn: this.functions.prepare.function,
      payload: {
        ...approvedAttempt,
        certificateId: request('certificateId'),
        certificateArn: sfn.JsonPath.stringAt('$.certificate.certificateArn'),
        preparation: sfn.JsonPath.objectAt('$.certificate.preparation'),
        consentToPrepare: sfn.JsonPath.stringAt('$.sourceApproval.consentToPrepare'),
        detachThings: true,
      },
      resultPath: '$.preparationChanges',
      comment: 'Deactivate, detach policies and things, as the approver agreed; records what changed',
    });
    // Whatever stopped preparation (a terminal error or retries run out), put back what the
    // plan may have changed: re-attaching a still-attached policy and re-activating an
    // ACTIVE certificate change nothing.
    const preparationFailed = failWith('PreparationFailed');
    const restorePlanned = new sfn.Pass(this, 'PlannedChanges', {
      parameters: {
        'deactivated.$': '$.certificate.preparation.deactivate',
        'detachedPolicies.$': '$.certificate.preparation.detachPolicies',
        'detachedThings.$': '$.certificate.preparation.attachedThings',
      },
      resultPath: '$.preparationChanges',
    }).next(
      restoreStep('RestoreAfterFailedPreparation')
        .addCatch(preparationFailed, { errors: ['States.ALL'], resultPath: '$.restoreError' })
        .next(preparationFailed),
    );
    prepare.addCatch(restorePlanned, { errors: ['States.ALL'], resultPath: '$.error' });

    const transferFailed = failWith('TransferFailed');
    const transfer = lambdaStep(this, 'TransferCertificate', {
      fn: props.transferFunction.function,
      payload: {
        ...approvedAttempt,
        certificateId: request('certificateId'),
        targetAwsAccount: request('targetAwsAccount'),
        transferMessage: request('transferMessage'),
      },
      resultPath: '$.transfer',
    });
    const restoreAfterFailedTransfer = restoreStep('RestoreAfterFailedTransfer');
    restoreAfterFailedTransfer.addCatch(transferFailed, { errors: ['States.ALL'], resultPath: '$.restoreError' });
    transfer.addCatch(restoreAfterFailedTransfer.next(transferFailed), { errors: ['States.ALL'], resultPath: '$.error' });

    // A target that runs no certflow sends the source nothing: the stack's shared sweep checks
    // every followed offer on a schedule and wakes this step, so a follow costs the same
    // transitions and invocations however long the target takes to decide.
    const followOffer = messageWaitStep(this, 'FollowOffer', {
      fn: this.functions.follow.function,
      payload: {
        step: 'follow',
        executionId: sfn.JsonPath.executionId,
        certificateId: request('certificateId'),
        targetAwsAccount: request('targetAwsAccount'),
        transferDeadlineSeconds: config.transferDeadline.toSeconds(),
      },
      timeout: config.transferDeadline,
      comment: 'Record the offer for the sweep and wait until it finds the target decided, or the transfer deadline',
    });
    const followStep = (stateId: string, step: string, comment: string) =>
      lambdaStep(this, stateId, {
        fn: this.functions.follow.function,
        payload: { step, executionId: sfn.JsonPath.executionId, certificateId: request('certificateId') },
        resultPath: '$.follow',
        comment,
      });
    const readFollowOutcome = followStep(
      'ReadFollowOutcome',
      'readOutcome',
      'ACCEPTED, REJECTED (with the reason) or CANCELLED, as the sweep recorded it; never the callback',
    );
    readFollowOutcome.addCatch(failWith('FollowOutcomeUnverified'), { errors: ['States.ALL'], resultPath: '$.error' });
    const transferState = new sfn.Choice(this, 'TransferState')
      .when(sfn.Condition.stringEquals('$.follow.state', 'ACCEPTED'), outcome('Transferred', 'TRANSFERRED').next(finished))
      .when(sfn.Condition.stringEquals('$.follow.state', 'REJECTED'), outcome('TargetRejected', 'TARGET_REJECTED').next(restoreWanted))
      .when(sfn.Condition.stringEquals('$.follow.state', 'CANCELLED'), outcome('Cancelled', 'CANCELLED').next(restoreWanted))
      .otherwise(failWith('FollowUndecided'));
    const cancelAtDeadline = lambdaStep(this, 'CancelAtDeadline', {
      fn: props.cancelFunction.function,
      payload: { ...attempt, certificateId: request('certificateId'), targetAwsAccount: request('targetAwsAccount') },
      resultPath: '$.cancel',
      comment: 'The target did not decide by the transfer deadline: withdraw the offer',
    });
    // The target decided while the deadline passed: look once at how, instead of failing.
    const checkAfterDeadline = followStep('CheckAfterDeadline', 'checkAfterDeadline', 'How the transfer the target just decided ended');
    const followFailed = failWith('FollowFailed');
    checkAfterDeadline.addCatch(followFailed, { errors: ['States.ALL'], resultPath: '$.error' });
    cancelAtDeadline.addCatch(checkAfterDeadline.next(transferState), {
      errors: ['TransferAlreadyCompletedException', 'ResourceNotFoundException'],
      resultPath: '$.cancelError',
    });
    cancelAtDeadline.addCatch(failWith('CancelFailed'), { errors: TERMINAL_STEP_ERRORS, resultPath: '$.error' });
    followOffer.addCatch(cancelAtDeadline.next(outcome('TransferExpired', 'TRANSFER_EXPIRED')).next(restoreWanted), {
      errors: ['States.Timeout'],
      resultPath: '$.error',
    });
    // Unable to follow the offer: withdraw it and restore rather than leave it pending.
    followOffer.addCatch(
      lambdaStep(this, 'CancelAfterFollowFailure', {
        fn: props.cancelFunction.function,
        payload: { ...attempt, certificateId: request('certificateId'), targetAwsAccount: request('targetAwsAccount') },
        resultPath: '$.cancel',
      })
        .addCatch(followFailed, { errors: ['States.ALL'], resultPath: '$.cancelError' })
        .next(restoreStep('RestoreAfterFollowFailure').addCatch(followFailed, { errors: ['States.ALL'], resultPath: '$.restoreError' }))
        .next(followFailed),
      { errors: ['States.ALL'], resultPath: '$.error' },
    );
    const followTransfer = followOffer.next(readFollowOutcome).next(transferState);

    // The cutover with a target that runs certflow: propose, and change nothing until it approved.
    const exchange = (stateId: string, step: string, payload: Record<string, unknown>, resultPath: string, comment: string) =>
      lambdaStep(this, stateId, {
        fn: this.functions.exchange.function,
        payload: { step, executionId: sfn.JsonPath.executionId, ...payload },
        resultPath,
        comment,
      });
    const waitingExchange = (stateId: string, step: string, payload: Record<string, unknown>, timeout: Duration, comment: string) =>
      messageWaitStep(this, stateId, {
        fn: this.functions.exchange.function,
        payload: { step, executionId: sfn.JsonPath.executionId, ...payload },
        timeout,
        comment,
      });
    const withdraw = (stateId: string, reason: string) =>
      exchange(
        stateId,
        'withdraw',
        { certificateId: request('certificateId'), targetAwsAccount: request('targetAwsAccount'), reason },
        sfn.JsonPath.DISCARD,
        'Tell the target no offer will come',
      );
    const withdrawThenFail = (stateId: string, failId: string) => {
      const failed = failWith(failId);
      return withdraw(stateId, 'the source could not prepare or offer the certificate; the transfer is off')
        .addCatch(failed, { errors: ['States.ALL'], resultPath: '$.withdrawError' })
        .next(failed);
    };

    const proposeToTarget = waitingExchange(
      'ProposeToTarget',
      'propose',
      {
        request: sfn.JsonPath.objectAt('$.request'),
        certificate: sfn.JsonPath.objectAt('$.certificate.facts'),
        sourceApprovedBy: sfn.JsonPath.stringAt('$.sourceApproval.approvedBy'),
      },
      config.approvalDeadline.plus(config.cutoverTimeout),
      'Send the target the proposal and wait for its decision; nothing has changed yet',
    );
    proposeToTarget.addCatch(
      withdraw('WithdrawUnanswered', 'the target did not answer the proposal in time')
        .next(outcome('TargetDidNotAnswer', 'TARGET_DID_NOT_ANSWER'))
        .next(finished),
      { errors: ['States.Timeout'], resultPath: '$.error' },
    );
    const readDecision = exchange(
      'ReadTargetDecision',
      'readDecision',
      {},
      '$.targetDecision',
      "The target's decision, as this side's receiver recorded it",
    );
    proposeToTarget.addCatch(failWith('ProposalFailed'), { errors: ['States.ALL'], resultPath: '$.error' });
    readDecision.addCatch(failWith('TargetDecisionUnverified'), { errors: ['States.ALL'], resultPath: '$.error' });

    const prepareForCutover = lambdaStep(this, 'PrepareForCutover', {
      fn: this.functions.prepare.function,
      payload: {
        ...approvedAttempt,
        certificateId: request('certificateId'),
        certificateArn: sfn.JsonPath.stringAt('$.certificate.certificateArn'),
        preparation: sfn.JsonPath.objectAt('$.certificate.preparation'),
        consentToPrepare: sfn.JsonPath.stringAt('$.sourceApproval.consentToPrepare'),
        detachThings: true,
      },
      resultPath: '$.preparationChanges',
      comment: 'Both sides approved: deactivate, detach policies and things; the downtime starts here',
    });
    const plannedCutoverChanges = new sfn.Pass(this, 'PlannedCutoverChanges', {
      parameters: {
        'deactivated.$': '$.certificate.preparation.deactivate',
        'detachedPolicies.$': '$.certificate.preparation.detachPolicies',
        'detachedThings.$': '$.certificate.preparation.attachedThings',
      },
      resultPath: '$.preparationChanges',
    });
    const cutoverPreparationFailed = withdrawThenFail('WithdrawAfterFailedPreparation', 'CutoverPreparationFailed');
    prepareForCutover.addCatch(
      plannedCutoverChanges.next(
        restoreStep('RestoreAfterFailedCutoverPreparation')
          .addCatch(cutoverPreparationFailed, { errors: ['States.ALL'], resultPath: '$.restoreError' })
          .next(cutoverPreparationFailed),
      ),
      { errors: ['States.ALL'], resultPath: '$.error' },
    );
    const transferForCutover = lambdaStep(this, 'TransferForCutover', {
      fn: props.transferFunction.function,
      payload: {
        ...approvedAttempt,
        certificateId: request('certificateId'),
        targetAwsAccount: request('targetAwsAccount'),
        transferMessage: request('transferMessage'),
      },
      resultPath: '$.transfer',
    });
    const cutoverTransferFailed = withdrawThenFail('WithdrawAfterFailedTransfer', 'CutoverTransferFailed');
    transferForCutover.addCatch(
      restoreStep('RestoreAfterFailedCutoverTransfer')
        .addCatch(cutoverTransferFailed, { errors: ['States.ALL'], resultPath: '$.restoreError' })
        .next(cutoverTransferFailed),
      { errors: ['States.ALL'], resultPath: '$.error' },
    );
    const offerToTarget = waitingExchange(
      'OfferToTarget',
      'offer',
      {
        certificateId: request('certificateId'),
        targetAwsAccount: request('targetAwsAccount'),
        deactivatedAt: sfn.JsonPath.stringAt('$.preparationChanges.deactivatedAt'),
      },
      config.cutoverTimeout,
      'Tell the target the certificate is offered; wait for its landing report',
    );
    // No report in time: withdraw the offer if it is still pending, else the target took it.
    const cancelUnlanded = lambdaStep(this, 'CancelUnreportedOffer', {
      fn: props.cancelFunction.function,
      payload: { ...attempt, certificateId: request('certificateId'), targetAwsAccount: request('targetAwsAccount') },
      resultPath: '$.cancel',
      comment: 'The target did not report in time: withdraw the offer if it is still pending',
    });
    cancelUnlanded.addCatch(outcome('TransferredUnreported', 'TRANSFERRED_UNREPORTED').next(finished), {
      errors: ['TransferAlreadyCompletedException', 'ResourceNotFoundException'],
      resultPath: '$.cancelError',
    });
    cancelUnlanded.addCatch(failWith('CancelUnreportedFailed'), { errors: ['States.ALL'], resultPath: '$.error' });
    offerToTarget.addCatch(cancelUnlanded.next(outcome('CutoverExpired', 'TRANSFER_EXPIRED')).next(restoreWanted), {
      errors: ['States.Timeout'],
      resultPath: '$.error',
    });
    offerToTarget.addCatch(failWith('OfferFailed'), { errors: ['States.ALL'], resultPath: '$.error' });
    const readLanding = exchange(
      'ReadLandingReport',
      'readLanding',
      {},
      '$.landing',
      'How the certificate landed, as the target reported it',
    );
    readLanding.addCatch(failWith('LandingReportUnverified'), { errors: ['States.ALL'], resultPath: '$.error' });
    const cancelNotAccepted = lambdaStep(this, 'CancelNotAccepted', {
      fn: props.cancelFunction.function,
      payload: { ...attempt, certificateId: request('certificateId'), targetAwsAccount: request('targetAwsAccount') },
      resultPath: '$.cancel',
      comment: 'The target could not accept: withdraw the offer before restoring',
    });
    const notAccepted = outcome('TargetNotAccepted', 'TARGET_NOT_ACCEPTED').next(restoreWanted);
    cancelNotAccepted.addCatch(notAccepted, {
      errors: ['TransferAlreadyCompletedException', 'ResourceNotFoundException', 'CertificateStateException'],
      resultPath: '$.cancelError',
    });
    cancelNotAccepted.addCatch(failWith('CancelNotAcceptedFailed'), { errors: ['States.ALL'], resultPath: '$.error' });
    const landed = new sfn.Pass(this, 'ReportDowntime', { inputPath: '$.landing.downtimeSeconds', resultPath: '$.downtimeSeconds' })
      .next(outcome('TransferredAndLanded', 'TRANSFERRED'))
      .next(finished);
    const cutover = prepareForCutover
      .next(transferForCutover)
      .next(offerToTarget)
      .next(readLanding)
      .next(
        new sfn.Choice(this, 'LandingOutcome')
          .when(sfn.Condition.stringEquals('$.landing.outcome', 'LANDED'), landed)
          .when(
            sfn.Condition.stringEquals('$.landing.outcome', 'LANDING_FAILED'),
            outcome('TransferredLandingFailed', 'TRANSFERRED_LANDING_FAILED').next(finished),
          )
          .otherwise(cancelNotAccepted.next(notAccepted)),
      );
    const proposal = proposeToTarget
      .next(readDecision)
      .next(
        new sfn.Choice(this, 'TargetDecision')
          .when(sfn.Condition.stringEquals('$.targetDecision.decision', 'APPROVED'), cutover)
          .when(
            sfn.Condition.stringEquals('$.targetDecision.decision', 'EXPIRED'),
            outcome('TargetApprovalExpired', 'TARGET_APPROVAL_EXPIRED').next(finished),
          )
          .when(
            sfn.Condition.stringEquals('$.targetDecision.decision', 'CANCELLED'),
            outcome('TargetCancelled', 'TARGET_CANCELLED').next(finished),
          )
          .when(
            sfn.Condition.stringEquals('$.targetDecision.decision', 'LANDING_NOT_POSSIBLE'),
            outcome('LandingNotPossible', 'LANDING_NOT_POSSIBLE').next(finished),
          )
          .otherwise(outcome('TargetRejectedProposal', 'TARGET_REJECTED').next(finished)),
      );

    // Before anything is read or changed: the requester must be the caller the start API verified.
    const verifyStart = props.startRequests.verifyStep(this, 'VerifyStartRequest');
    const definition = verifyStart
      .next(inspect.addCatch(failWith('NotTransferable'), { errors: TERMINAL_STEP_ERRORS, resultPath: '$.error' }))
      .next(requestApproval)
      .next(verifyApproval)
      .next(
        new sfn.Choice(this, 'SourceDecision')
          .when(
            sfn.Condition.stringEquals('$.sourceApproval.decision', 'REJECTED'),
            outcome('SourceRejected', 'SOURCE_REJECTED').next(finished),
          )
          .when(sfn.Condition.booleanEquals('$.request.targetRunsCertflow', true), proposal)
          .otherwise(prepare.next(transfer).next(followTransfer)),
      );

    const stateMachineName = `${Stack.of(this).stackName}-OutboundTransfer`;
    const workflow = new WorkflowStateMachine(this, 'Workflow', {
      stateMachineName,
      definition,
      functions: [
        ...Object.values(this.functions).map((built) => built.function),
        ...props.approvals.stepFunctions,
        props.startRequests.verifyFunction.function,
        props.transferFunction.function,
        props.cancelFunction.function,
      ],
      comment: 'certflow outbound transfer: inspect, approve, propose to the target, cut over once it approved (or offer and follow)',
      alarmTopic: props.alarmTopic,
    });
    this.stateMachine = workflow.stateMachine;
    props.approvals.allowDecisionsFor(stateMachineArnOf(this, stateMachineName));
    this.followedOfferSweep = new FollowedOfferSweep(this, 'FollowedOfferSweep', {
      proposalTable: props.proposalTable,
      outboundStateMachineArn: stateMachineArnOf(this, stateMachineName),
      interval: config.minPoll,
    });
  }
}
