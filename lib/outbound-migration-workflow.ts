import { Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { HANDLER_ENVIRONMENT } from '../lambdas/handlers/handler-environment';
import type { Approvals } from './approvals';
import type { CertflowConfig } from './certflow-config';
import { CertflowFunction } from './certflow-function';
import { lambdaStep, messageWaitStep } from './lambda-step';
import { migrationMap, migrationEnvironment } from './migration-map';
import type { MigrationStorage } from './migration-storage';
import { auditTableAccess, thisAccountsCertificates } from './transfer-action-function';
import type { StartRequestApi } from './start-request-api';
import type { TransferMessageBus } from './transfer-message-bus';
import type { TransferProposalTable } from './transfer-proposal-table';
import { acknowledgeMigrationWildcards, acknowledgeWildcard } from './wildcard-acknowledgements';
import { WorkflowStateMachine, stateMachineArnOf } from './workflow-state-machine';

export interface OutboundMigrationWorkflowProps {
  /** The deployment's configuration (deadlines, quotas, accounts), read from CDK context. */
  readonly config: CertflowConfig;
  /** Where every IoT change is recorded. */
  readonly auditTable: dynamodb.ITable;
  /** This side's approvals: the request, verify and close steps. */
  readonly approvals: Approvals;
  /** The side's migration bucket and progress table. */
  readonly storage: MigrationStorage;
  /** Where the failed / timed-out execution alarms go. */
  readonly alarmTopic: sns.ITopic;
  /** This side's transfer records: a migration run's record and its landed batches live there too. */
  readonly proposalTable: TransferProposalTable;
  /** This side's end of the cross-account channel. */
  readonly messageBus: TransferMessageBus;
  /** The function the target's messages are delivered to (the single transfer's receiver): it gets what migration messages need. */
  readonly receiver: CertflowFunction;
  /** The target account. */
  readonly peerAccount: string;
  /** The start API: the workflow's first step checks that it recorded this execution and its requester. */
  readonly startRequests: StartRequestApi;
}

/** How a source-side migration run ended, in the execution's `outcome` field. */
export const OUTBOUND_MIGRATION_OUTCOMES = [
  'LANDED',
  'NOTHING_TO_TRANSFER',
  'SOURCE_REJECTED',
  'TARGET_REJECTED',
  'TARGET_DID_NOT_ANSWER',
  'LANDING_REPORTS_MISSING',
  'CUTOVER_FAILED',
  'APPROVAL_EXPIRED',
  'CANCELLED',
] as const;

/**
 * The source account's migration workflow, started with {migrationId, targetAwsAccount,
 * transferMessage, requestedBy, reason} once the manifest is in the migration bucket:
 * a cheap plan, the source approvers, then a proposal to the target (whose approvers
 * decide on the same list) — nothing changes before both said yes. Then the cutover: a
 * Distributed Map moves batch after batch (prepare and transfer each certificate at
 * once, then offer the batch by message), while the target accepts and lands the
 * batches already offered. Last it waits for every batch's landing report and writes
 * each certificate's outcome and downtime.
 */
export class OutboundMigrationWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Record<'plan' | 'cutover' | 'exchange' | 'finish', CertflowFunction>;

  constructor(scope: Construct, id: string, props: OutboundMigrationWorkflowProps) {
    super(scope, id);
    const { config, storage } = props;
    const stack = Stack.of(this);
    const certificates = thisAccountsCertificates(this);
    const stateMachineName = `${stack.stackName}-Migration`;
    const environment = {
      ...migrationEnvironment(config, storage),
      [HANDLER_ENVIRONMENT.auditTableName]: props.auditTable.tableName,
      [HANDLER_ENVIRONMENT.accountId]: stack.account,
      [HANDLER_ENVIRONMENT.peerAccountId]: props.peerAccount,
      [HANDLER_ENVIRONMENT.proposalTableName]: props.proposalTable.table.tableName,
      [HANDLER_ENVIRONMENT.eventBusName]: props.messageBus.bus.eventBusName,
    };
    const iotAccess = (actions: string[], resources = [certificates]) =>
      new iam.PolicyStatement({ actions: actions.map((action) => `iot:${action}`), resources });
    const things = stack.formatArn({ service: 'iot', resource: 'thing', resourceName: '*' });
    const stepFunction = (
      functionId: string,
      entry: string,
      description: string,
      statements: iam.PolicyStatement[],
      access: { files: boolean; progress: boolean },
    ) =>
      new CertflowFunction(this, functionId, {
        entry: `lambdas/handlers/${entry}.ts`,
        description,
        statements: [...statements, ...storage.accessStatements(access)],
        environment,
        timeout: Duration.minutes(15),
      });
    const wakeOwnSteps = new iam.PolicyStatement({
      actions: ['states:SendTaskSuccess'],
      resources: [stateMachineArnOf(this, stateMachineName)],
    });
    this.functions = {
      plan: stepFunction(
        'Plan',
        'migration-plan-outbound',
        'source migration: resolves the manifest, lists statuses and policy attachments cheaply, settles what needs no Action',
        [
          // The list Actions have no resource type: they can only be granted on *.
          iotAccess(['ListCertificates', 'ListCertificatesByCA', 'ListOutgoingCertificates', 'ListPolicies'], ['*']),
          iotAccess(['ListTargetsForPolicy'], [stack.formatArn({ service: 'iot', resource: 'policy', resourceName: '*' })]),
          new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${props.auditTable.tableArn}/index/*`] }),
        ],
        { files: true, progress: true },
      ),
      cutover: stepFunction(
        'Cutover',
        'migration-cutover-batch',
        'source migration: prepares and transfers a batch, then offers it to the target by message',
        [
          iotAccess([
            'DescribeCertificate',
            'UpdateCertificate',
            'DetachPolicy',
            'AttachPolicy',
            'TransferCertificate',
            'ListPrincipalThings',
          ]),
          // The Service Authorization Reference lists no resource type for ListAttachedPolicies: only "*" is valid.
          iotAccess(['ListAttachedPolicies'], ['*']),
          iotAccess(['DescribeThing'], [things]),
          iotAccess(['DetachThingPrincipal', 'AttachThingPrincipal'], [certificates, things]),
          auditTableAccess(props.auditTable),
          storage.exchangeWrites(),
          props.messageBus.sendStatement(),
        ],
        { files: false, progress: true },
      ),
      exchange: stepFunction(
        'ExchangeWithTarget',
        'migration-exchange-with-target',
        'source migration: proposes the run to the target, reads its decision, waits for every landing report',
        [props.proposalTable.readWrite(), props.messageBus.sendStatement(), storage.exchangeWrites(), wakeOwnSteps],
        { files: true, progress: false },
      ),
      finish: stepFunction(
        'Finish',
        'migration-finish-run',
        'source migration: writes every certificate outcome and downtime of a run',
        [],
        { files: true, progress: false },
      ),
    };
    // The target's migration messages reach the single transfer's receiver: it records them on this run and wakes its steps.
    props.receiver.function.addEnvironment(HANDLER_ENVIRONMENT.migrationBucketName, storage.bucket.bucketName);
    props.receiver.function.addEnvironment(HANDLER_ENVIRONMENT.migrationProgressTableName, storage.progressTable.tableName);
    for (const statement of [...storage.accessStatements({ files: true, progress: true }), wakeOwnSteps])
      props.receiver.function.addToRolePolicy(statement);
    acknowledgeWildcard(props.receiver, storage.filesArn, {
      actions: ['s3:GetObject', 's3:PutObject'],
      reason:
        "The target's landing reports are kept under the run's files, keyed by run and batch at run time; Get and Put only, under migrations/",
    });

    const request = (field: string): string => sfn.JsonPath.stringAt(`$.request.${field}`);
    const outcome = (stateId: string, value: (typeof OUTBOUND_MIGRATION_OUTCOMES)[number]) =>
      new sfn.Pass(this, stateId, { result: sfn.Result.fromString(value), resultPath: '$.outcome' });
    const finishRun = (
      stateId: string,
      resultsManifestKey: string | null,
      unprocessedOutcome: 'NOT_APPROVED' | 'TARGET_REJECTED',
      /** A path to the cutover map's error, for the report of a run whose map failed. */
      cutoverFailure?: unknown,
    ) =>
      lambdaStep(this, stateId, {
        fn: this.functions.finish.function,
        payload: {
          migrationId: request('migrationId'),
          runName: request('runName'),
          settledKey: sfn.JsonPath.stringAt('$.plan.settledKey'),
          itemsKey: sfn.JsonPath.stringAt('$.plan.itemsKey'),
          resultsManifestKey,
          batchCount: sfn.JsonPath.numberAt('$.plan.batchCount'),
          unprocessedOutcome,
          ...(cutoverFailure ? { cutoverFailure } : {}),
        },
        resultPath: '$.result',
        comment: 'Every certificate outcome and downtime, in one file the migration job reads',
      });
    const finished = new sfn.Succeed(this, 'Finished', {
      comment: 'The outcome field says how the run ended; result.outcomesKey names the per-certificate file',
    });
    const notApproved = finishRun('ReportNotApproved', null, 'NOT_APPROVED').next(finished);
    const targetRejected = finishRun('ReportTargetRejected', null, 'TARGET_REJECTED').next(finished);

    const plan = lambdaStep(this, 'PlanMigration', {
      fn: this.functions.plan.function,
      payload: { migration: sfn.JsonPath.entirePayload, runName: sfn.JsonPath.executionName, executionId: sfn.JsonPath.executionId },
      resultPath: '$',
      comment: 'Validate the input, resolve the manifest from cheap listings, settle what an earlier run already did',
    });
    const requestApproval = props.approvals.requestStep(this, 'RequestSourceApproval', {
      payload: {
        taskToken: sfn.JsonPath.taskToken,
        executionId: sfn.JsonPath.executionId,
        side: 'SOURCE',
        sourceAwsAccount: stack.account,
        targetAwsAccount: request('targetAwsAccount'),
        transferMessage: request('transferMessage'),
        requestedBy: request('requestedBy'),
        requestedByArn: request('requestedByArn'),
        reason: request('reason'),
        migration: sfn.JsonPath.objectAt('$.plan.summary'),
      },
      deadline: config.approvalDeadline,
      resultPath: '$.sourceApproval',
      comment: 'One approval for the whole migration, on its summary',
    });
    const verifyApproval = props.approvals.verifyStep(this, 'VerifySourceApproval', { resultPath: '$.sourceApproval' });
    const closeApproval = (stateId: string, status: 'EXPIRED' | 'CANCELLED') => props.approvals.closeStep(this, stateId, { status });
    requestApproval.addCatch(
      closeApproval('CloseExpiredApproval', 'EXPIRED').next(outcome('ApprovalExpired', 'APPROVAL_EXPIRED')).next(notApproved),
      { errors: ['States.Timeout'], resultPath: '$.error' },
    );
    requestApproval.addCatch(
      closeApproval('CloseCancelledApproval', 'CANCELLED').next(outcome('CancelledBeforeApproval', 'CANCELLED')).next(notApproved),
      { errors: ['RequestCancelled'], resultPath: '$.error' },
    );

    const propose = messageWaitStep(this, 'ProposeToTarget', {
      fn: this.functions.exchange.function,
      payload: {
        step: 'ProposeMigration',
        migrationId: request('migrationId'),
        runName: request('runName'),
        executionId: request('executionId'),
        targetAwsAccount: request('targetAwsAccount'),
        requestedBy: request('requestedBy'),
        reason: request('reason'),
        transferMessage: request('transferMessage'),
        sourceApprovedBy: sfn.JsonPath.stringAt('$.sourceApproval.approvedBy'),
        plan: sfn.JsonPath.objectAt('$.plan'),
      },
      // The target approvers get as long as the source's did, and a little for the messages.
      timeout: config.approvalDeadline.plus(Duration.minutes(10)),
      comment: 'Propose the approved run to the target and wait for its approvers (woken by the receiver)',
    });
    propose.addCatch(outcome('TargetDidNotAnswer', 'TARGET_DID_NOT_ANSWER').next(targetRejected), {
      errors: ['States.Timeout'],
      resultPath: '$.error',
    });
    const readDecision = lambdaStep(this, 'ReadTargetDecision', {
      fn: this.functions.exchange.function,
      payload: { step: 'ReadTargetDecision', runName: request('runName') },
      resultPath: '$.targetDecision',
      comment: "The decision as this side's receiver recorded it, not as the callback said",
    });

    const cutoverStep = lambdaStep(this, 'CutoverBatch', { fn: this.functions.cutover.function, resultPath: '$' });
    const reportFailedBatch = lambdaStep(this, 'ReportFailedBatch', {
      fn: this.functions.cutover.function,
      payload: {
        Items: sfn.JsonPath.objectAt('$.Items'),
        BatchInput: sfn.JsonPath.objectAt('$.BatchInput'),
        failure: sfn.JsonPath.objectAt('$.error'),
      },
      resultPath: '$',
      comment: 'Offer what the failed batch did offer, and report the rest failed, so the target does not wait for it',
    });
    cutoverStep.addCatch(reportFailedBatch, { errors: ['States.ALL'], resultPath: '$.error' });
    const cutoverMap = migrationMap(this, 'CutoverEachBatch', {
      config,
      storage,
      itemsKey: sfn.JsonPath.stringAt('$.plan.itemsKey'),
      resultsPrefix: sfn.JsonPath.stringAt('$.plan.mapResultsPrefix'),
      batchInput: {
        migrationId: request('migrationId'),
        runName: request('runName'),
        executionId: request('executionId'),
        targetAwsAccount: request('targetAwsAccount'),
        transferMessage: request('transferMessage'),
        requestedBy: request('requestedBy'),
        approvedBy: sfn.JsonPath.stringAt('$.sourceApproval.approvedBy'),
        consentToPrepare: sfn.JsonPath.stringAt('$.sourceApproval.consentToPrepare'),
        batchSize: sfn.JsonPath.stringAt('$.plan.batchSize'),
      },
      processor: cutoverStep,
      resultPath: '$.cutover',
    });
    const awaitLandings = messageWaitStep(this, 'AwaitLandingReports', {
      fn: this.functions.exchange.function,
      payload: { step: 'AwaitLandings', runName: request('runName'), batchCount: sfn.JsonPath.numberAt('$.plan.batchCount') },
      timeout: config.cutoverTimeout,
      comment: 'Wait until the target has reported every batch landed (woken by the receiver)',
    });
    const reportCutover = finishRun('ReportCutover', sfn.JsonPath.stringAt('$.cutover.ResultWriterDetails.Key'), 'TARGET_REJECTED');
    awaitLandings.addCatch(outcome('LandingReportsMissing', 'LANDING_REPORTS_MISSING').next(reportCutover), {
      errors: ['States.Timeout'],
      resultPath: '$.error',
    });
    // Beyond its tolerated failures (or unable to read its items or write its results) the map fails:
    // the report then comes from the offer sheets, so every certificate's outcome is still reported.
    const reportFailedCutover = finishRun('ReportFailedCutover', null, 'TARGET_REJECTED', sfn.JsonPath.objectAt('$.error'));
    cutoverMap.addCatch(outcome('CutoverFailed', 'CUTOVER_FAILED').next(reportFailedCutover).next(finished), {
      errors: ['States.ALL'],
      resultPath: '$.error',
    });

    // Before anything is read or changed: the requester must be the caller the start API verified.
    const definition = props.startRequests
      .verifyStep(this, 'VerifyStartRequest')
      .next(plan)
      .next(
        new sfn.Choice(this, 'AnythingToTransfer')
          .when(sfn.Condition.numberEquals('$.plan.itemCount', 0), outcome('NothingToTransfer', 'NOTHING_TO_TRANSFER').next(notApproved))
          .otherwise(
            requestApproval
              .next(verifyApproval)
              .next(
                new sfn.Choice(this, 'SourceDecision')
                  .when(
                    sfn.Condition.stringEquals('$.sourceApproval.decision', 'REJECTED'),
                    outcome('SourceRejected', 'SOURCE_REJECTED').next(notApproved),
                  )
                  .otherwise(
                    propose
                      .next(readDecision)
                      .next(
                        new sfn.Choice(this, 'TargetDecision')
                          .when(
                            sfn.Condition.stringEquals('$.targetDecision.decision', 'APPROVED'),
                            cutoverMap.next(awaitLandings).next(outcome('Landed', 'LANDED')).next(reportCutover).next(finished),
                          )
                          .otherwise(outcome('TargetRejected', 'TARGET_REJECTED').next(targetRejected)),
                      ),
                  ),
              ),
          ),
      );

    const workflow = new WorkflowStateMachine(this, 'Workflow', {
      stateMachineName,
      definition,
      functions: [
        ...Object.values(this.functions).map((built) => built.function),
        ...props.approvals.stepFunctions,
        props.startRequests.verifyFunction.function,
      ],
      comment: 'certflow migration, source side: cheap plan, both approvals, then a pipelined cutover that the target lands as it goes',
      alarmTopic: props.alarmTopic,
    });
    this.stateMachine = workflow.stateMachine;
    acknowledgeMigrationWildcards(this, storage);
    props.approvals.allowDecisionsFor(stateMachineArnOf(this, stateMachineName));
  }
}
