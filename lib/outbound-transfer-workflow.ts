import { Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { TERMINAL_IOT_ERRORS } from '../lambdas/iot-api/iot-errors';
import { HANDLER_ENVIRONMENT } from '../lambdas/handlers/handler-environment';
import type { Approvals } from './approvals';
import { CertflowFunction } from './certflow-function';
import type { CertflowConfig } from './certflow-config';
import { lambdaStep } from './lambda-step';
import { auditTableAccess, thisAccountsCertificates, type TransferActionFunction } from './transfer-action-function';
import { WorkflowStateMachine, stateMachineArnOf } from './workflow-state-machine';

export interface OutboundTransferWorkflowProps {
  readonly config: CertflowConfig;
  readonly auditTable: dynamodb.ITable;
  readonly approvals: Approvals;
  readonly transferFunction: TransferActionFunction;
  readonly cancelFunction: TransferActionFunction;
  readonly alarmTopic: sns.ITopic;
}

/** How an outbound transfer ended, in the execution's `outcome` field. */
export const OUTBOUND_OUTCOMES = ['TRANSFERRED', 'SOURCE_REJECTED', 'TARGET_REJECTED', 'CANCELLED', 'APPROVAL_EXPIRED', 'TRANSFER_EXPIRED'] as const;

/** Errors after which no retry or approval can make the step work: the workflow stops with them. */
const TERMINAL_STEP_ERRORS = [...TERMINAL_IOT_ERRORS, 'CertificateNotTransferable', 'ValidationError'];

/**
 * The source account's workflow, started with {certificateId, targetAwsAccount,
 * transferMessage, requestedBy, reason, restoreOnFailure}: inspect the certificate,
 * ask the source approvers, prepare it (with their consent), TransferCertificate, then
 * follow the transfer until the target decides, cancelling it at the transfer deadline
 * and restoring what preparation changed when it does not go through.
 */
export class OutboundTransferWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Record<'inspect' | 'prepare' | 'restore' | 'follow', CertflowFunction>;

  constructor(scope: Construct, id: string, props: OutboundTransferWorkflowProps) {
    super(scope, id);
    const { config } = props;
    const certificates = thisAccountsCertificates(this);
    const environment = {
      [HANDLER_ENVIRONMENT.auditTableName]: props.auditTable.tableName,
      [HANDLER_ENVIRONMENT.accountId]: Stack.of(this).account,
    };
    const iotAccess = (actions: string[], resources = [certificates]) => new iam.PolicyStatement({ actions: actions.map((action) => `iot:${action}`), resources });
    const stepFunction = (functionId: string, entry: string, description: string, statements: iam.PolicyStatement[]) =>
      new CertflowFunction(this, functionId, { entry: `lambdas/handlers/${entry}.ts`, description, statements, environment });
    this.functions = {
      inspect: stepFunction('Inspect', 'inspect-certificate', 'outbound: validates the request and inspects the certificate', [
        iotAccess(['DescribeCertificate', 'ListAttachedPolicies', 'ListPrincipalThings']),
      ]),
      prepare: stepFunction('Prepare', 'prepare-certificate', 'outbound: deactivates the certificate and detaches its policies, with consent', [
        // Attach/DetachPolicy are authorized on the certificate (their resource types are cert and thinggroup).
        iotAccess(['DescribeCertificate', 'UpdateCertificate', 'ListAttachedPolicies', 'DetachPolicy']),
        auditTableAccess(props.auditTable),
      ]),
      restore: stepFunction('Restore', 'restore-certificate', 'outbound: puts back the status and policies preparation changed', [
        iotAccess(['DescribeCertificate', 'UpdateCertificate', 'ListAttachedPolicies', 'AttachPolicy']),
        auditTableAccess(props.auditTable),
      ]),
      follow: stepFunction('Follow', 'follow-transfer', 'outbound: checks whether the target accepted or rejected the transfer', [
        iotAccess(['DescribeCertificate']),
      ]),
    };

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
        reason: request('reason'),
        preparation: sfn.JsonPath.objectAt('$.certificate.preparation'),
      },
      deadline: config.approvalDeadline,
      resultPath: '$.sourceApproval',
      comment: 'Notify the source approvers and wait for a decision until the approval deadline',
    });
    requestApproval.addCatch(outcome('SourceApprovalExpired', 'APPROVAL_EXPIRED').next(finished), { errors: ['States.Timeout'], resultPath: '$.error' });
    requestApproval.addCatch(outcome('CancelledBeforeApproval', 'CANCELLED').next(finished), { errors: ['RequestCancelled'], resultPath: '$.error' });

    const prepare = lambdaStep(this, 'PrepareCertificate', {
      fn: this.functions.prepare.function,
      payload: {
        ...approvedAttempt,
        certificateId: request('certificateId'),
        certificateArn: sfn.JsonPath.stringAt('$.certificate.certificateArn'),
        preparation: sfn.JsonPath.objectAt('$.certificate.preparation'),
        consentToPrepare: sfn.JsonPath.stringAt('$.sourceApproval.consentToPrepare'),
      },
      resultPath: '$.preparationChanges',
      comment: 'Deactivate and detach policies, as the approver agreed; records what changed',
    });
    // Whatever stopped preparation (a terminal error or retries run out), put back what the
    // plan may have changed: re-attaching a still-attached policy and re-activating an
    // ACTIVE certificate change nothing.
    const preparationFailed = failWith('PreparationFailed');
    const restorePlanned = new sfn.Pass(this, 'PlannedChanges', {
      parameters: {
        'deactivated.$': '$.certificate.preparation.deactivate',
        'detachedPolicies.$': '$.certificate.preparation.detachPolicies',
      },
      resultPath: '$.preparationChanges',
    }).next(restoreStep('RestoreAfterFailedPreparation').addCatch(preparationFailed, { errors: ['States.ALL'], resultPath: '$.restoreError' }).next(preparationFailed));
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

    const waitForTarget = new sfn.Wait(this, 'WaitForTarget', { time: sfn.WaitTime.secondsPath('$.follow.nextPollSeconds') });
    const checkTransfer = lambdaStep(this, 'CheckTransfer', {
      fn: this.functions.follow.function,
      payload: {
        certificateId: request('certificateId'),
        transferDeadlineSeconds: config.transferDeadline.toSeconds(),
        waitedSeconds: sfn.JsonPath.mathAdd(sfn.JsonPath.numberAt('$.follow.waitedSeconds'), sfn.JsonPath.numberAt('$.follow.nextPollSeconds')),
        pollSeconds: sfn.JsonPath.stringAt('$.follow.nextPollSeconds'),
        minPollSeconds: config.minPoll.toSeconds(),
        maxPollSeconds: config.maxPoll.toSeconds(),
      },
      resultPath: '$.follow',
      comment: 'Where the transfer stands: PENDING, ACCEPTED, REJECTED, CANCELLED or DEADLINE_PASSED',
    });
    // Unable to follow the transfer: withdraw the offer and restore rather than leave it pending.
    const followFailed = failWith('FollowFailed');
    checkTransfer.addCatch(
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
    const cancelAtDeadline = lambdaStep(this, 'CancelAtDeadline', {
      fn: props.cancelFunction.function,
      payload: { ...attempt, certificateId: request('certificateId'), targetAwsAccount: request('targetAwsAccount') },
      resultPath: '$.cancel',
      comment: 'The target did not decide by the transfer deadline: withdraw the offer',
    });
    // The target decided while the deadline passed: look again instead of failing.
    cancelAtDeadline.addCatch(waitForTarget, { errors: ['TransferAlreadyCompletedException', 'ResourceNotFoundException'], resultPath: '$.cancelError' });
    cancelAtDeadline.addCatch(failWith('CancelFailed'), { errors: TERMINAL_STEP_ERRORS, resultPath: '$.error' });

    const followTransfer = new sfn.Pass(this, 'FollowTransfer', {
      result: sfn.Result.fromObject({ state: 'PENDING', rejectReason: null, nextPollSeconds: config.minPoll.toSeconds(), waitedSeconds: 0 }),
      resultPath: '$.follow',
    })
      .next(waitForTarget)
      .next(checkTransfer)
      .next(
        new sfn.Choice(this, 'TransferState')
          .when(sfn.Condition.stringEquals('$.follow.state', 'PENDING'), waitForTarget)
          .when(sfn.Condition.stringEquals('$.follow.state', 'ACCEPTED'), outcome('Transferred', 'TRANSFERRED').next(finished))
          .when(sfn.Condition.stringEquals('$.follow.state', 'REJECTED'), outcome('TargetRejected', 'TARGET_REJECTED').next(restoreWanted))
          .when(sfn.Condition.stringEquals('$.follow.state', 'CANCELLED'), outcome('Cancelled', 'CANCELLED').next(restoreWanted))
          .otherwise(cancelAtDeadline.next(outcome('TransferExpired', 'TRANSFER_EXPIRED')).next(restoreWanted)),
      );

    const definition = inspect
      .addCatch(failWith('NotTransferable'), { errors: TERMINAL_STEP_ERRORS, resultPath: '$.error' })
      .next(requestApproval)
      .next(
        new sfn.Choice(this, 'SourceDecision')
          .when(sfn.Condition.stringEquals('$.sourceApproval.decision', 'REJECTED'), outcome('SourceRejected', 'SOURCE_REJECTED').next(finished))
          .otherwise(prepare.next(transfer).next(followTransfer)),
      );

    const stateMachineName = `${Stack.of(this).stackName}-OutboundTransfer`;
    const workflow = new WorkflowStateMachine(this, 'Workflow', {
      stateMachineName,
      definition,
      functions: [
        ...Object.values(this.functions).map((built) => built.function),
        props.approvals.requestFunction.function,
        props.transferFunction.function,
        props.cancelFunction.function,
      ],
      comment: 'certflow outbound transfer: inspect, approve, prepare, transfer, follow until the target decides',
      alarmTopic: props.alarmTopic,
    });
    this.stateMachine = workflow.stateMachine;
    props.approvals.allowDecisionsFor(stateMachineArnOf(this, stateMachineName));
  }
}
