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
import { APPROVAL_EXPIRED_REASON, REVIEW_CANCELLED_REASON } from './inbound-transfer-workflow';
import { lambdaStep } from './lambda-step';
import { migrationEnvironment } from './migration-map';
import { MigrationStorage } from './migration-storage';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { TransferMessageBus } from './transfer-message-bus';
import type { TransferProposalTable } from './transfer-proposal-table';
import { auditTableAccess, thisAccountsCertificates } from './transfer-action-function';
import { acknowledgeMigrationWildcards } from './wildcard-acknowledgements';
import { WorkflowStateMachine, stateMachineArnOf } from './workflow-state-machine';

export interface InboundMigrationWorkflowProps {
  /** The deployment's configuration (deadlines, quotas, accounts, landing), read from CDK context. */
  readonly config: CertflowConfig;
  /** Where every IoT change is recorded. */
  readonly auditTable: dynamodb.ITable;
  /** This side's approvals: the request, verify and close steps. */
  readonly approvals: Approvals;
  /** The side's migration bucket and progress table. */
  readonly storage: MigrationStorage;
  /** Where the failed / timed-out execution alarms go. */
  readonly alarmTopic: sns.ITopic;
  /** This side's transfer records: a proposed run's record and its batches' offers live there too. */
  readonly proposalTable: TransferProposalTable;
  /** This side's end of the cross-account channel. */
  readonly messageBus: TransferMessageBus;
  /** The function the source's messages are delivered to (the proposal review's receiver): it starts this workflow. */
  readonly receiver: CertflowFunction;
  /** The source account. */
  readonly peerAccount: string;
}

/** How a target-side migration run ended, in the execution's `outcome` field. */
export const INBOUND_MIGRATION_OUTCOMES = ['LANDED', 'REJECTED', 'LANDING_NOT_POSSIBLE', 'APPROVAL_EXPIRED', 'CANCELLED'] as const;

/**
 * The target account's migration workflow, started by the receiver for each migration
 * run the source proposes: it plans from the source's certificate list (checking the
 * landing once per policy), asks the target approvers once, answers the source, and
 * then lands batch after batch as the source offers them: each Distributed Map item
 * waits for its batch's offer (woken by the receiver), accepts and lands it, and reports
 * it landed to the source.
 */
export class InboundMigrationWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Record<'plan' | 'awaitOffer' | 'land' | 'answer', CertflowFunction>;

  constructor(scope: Construct, id: string, props: InboundMigrationWorkflowProps) {
    super(scope, id);
    const { config, storage } = props;
    const stack = Stack.of(this);
    const stateMachineName = `${stack.stackName}-Migration`;
    const stateMachineArn = stateMachineArnOf(this, stateMachineName);
    const certificates = thisAccountsCertificates(this);
    const things = stack.formatArn({ service: 'iot', resource: 'thing', resourceName: '*' });
    const environment = {
      ...migrationEnvironment(config, storage),
      [HANDLER_ENVIRONMENT.auditTableName]: props.auditTable.tableName,
      [HANDLER_ENVIRONMENT.accountId]: stack.account,
      [HANDLER_ENVIRONMENT.peerAccountId]: props.peerAccount,
      [HANDLER_ENVIRONMENT.proposalTableName]: props.proposalTable.table.tableName,
      [HANDLER_ENVIRONMENT.eventBusName]: props.messageBus.bus.eventBusName,
      [HANDLER_ENVIRONMENT.landingConfig]: JSON.stringify(config.landing),
      [HANDLER_ENVIRONMENT.awsPartition]: stack.partition,
    };
    const wakeOwnSteps = new iam.PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [stateMachineArn] });
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
    const peerReads = MigrationStorage.peerExchangeReads(this, props.peerAccount);
    this.functions = {
      plan: stepFunction(
        'Plan',
        'migration-plan-inbound',
        "target migration: reads the source's certificate list and checks the landing once per policy",
        [
          props.proposalTable.readWrite(),
          peerReads,
          new iam.PolicyStatement({
            actions: ['iot:GetPolicy'],
            resources: [stack.formatArn({ service: 'iot', resource: 'policy', resourceName: '*' })],
          }),
        ],
        { files: true, progress: true },
      ),
      awaitOffer: stepFunction(
        'AwaitOffer',
        'migration-await-batch-offer',
        "target migration: keeps a batch's task token until the source offers the batch",
        [props.proposalTable.readWrite(), wakeOwnSteps],
        { files: false, progress: false },
      ),
      land: stepFunction(
        'Land',
        'migration-land-batch',
        'target migration: accepts and lands an offered batch, then reports it to the source',
        [
          props.proposalTable.readWrite(),
          peerReads,
          new iam.PolicyStatement({
            actions: ['iot:AcceptCertificateTransfer', 'iot:DescribeCertificate', 'iot:AttachPolicy'],
            resources: [certificates],
          }),
          new iam.PolicyStatement({ actions: ['iot:CreateThing', 'iot:DescribeThing'], resources: [things] }),
          new iam.PolicyStatement({
            actions: ['iot:DescribeThingType'],
            resources: [stack.formatArn({ service: 'iot', resource: 'thingtype', resourceName: '*' })],
          }),
          new iam.PolicyStatement({ actions: ['iot:AttachThingPrincipal'], resources: [things, certificates] }),
          auditTableAccess(props.auditTable),
          props.messageBus.sendStatement(),
        ],
        { files: false, progress: true },
      ),
      answer: stepFunction(
        'Answer',
        'migration-answer-proposal',
        "target migration: sends the target approvers' decision to the source",
        [props.messageBus.sendStatement()],
        { files: false, progress: false },
      ),
    };
    // The source's migration messages reach the proposal review's receiver: it starts this workflow and wakes its batches.
    props.receiver.function.addEnvironment(HANDLER_ENVIRONMENT.migrationStateMachineArn, stateMachineArn);
    props.receiver.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachineArn] }));
    props.receiver.function.addToRolePolicy(wakeOwnSteps);

    const input = (field: string): string => sfn.JsonPath.stringAt(`$.${field}`);
    const plan = (field: string): string => sfn.JsonPath.stringAt(`$.plan.${field}`);
    const outcome = (stateId: string, value: (typeof INBOUND_MIGRATION_OUTCOMES)[number]) =>
      new sfn.Pass(this, stateId, { result: sfn.Result.fromString(value), resultPath: '$.outcome' });
    const finished = new sfn.Succeed(this, 'Finished', { comment: 'The outcome field says how the run ended' });
    const answer = (stateId: string, decision: string, decidedBy: string | null, rejectReason: string | null) =>
      lambdaStep(this, stateId, {
        fn: this.functions.answer.function,
        payload: { sourceRunName: input('sourceRunName'), decision, decidedBy, rejectReason },
        resultPath: sfn.JsonPath.DISCARD,
        comment: "The target's decision, to the source",
      });

    const planStep = lambdaStep(this, 'PlanMigration', {
      fn: this.functions.plan.function,
      payload: {
        migrationId: input('migrationId'),
        sourceRunName: input('sourceRunName'),
        runName: sfn.JsonPath.executionName,
        executionId: sfn.JsonPath.executionId,
      },
      resultPath: '$.planned',
      comment: "Read the proposal this side's receiver recorded and the source's certificate list; check the landing",
    });
    const failWith = (stateId: string) => new sfn.Fail(this, stateId, { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    planStep.addCatch(
      answer('AnswerLandingNotPossible', 'LANDING_NOT_POSSIBLE', null, 'the certificates cannot land in this account as configured').next(
        failWith('LandingNotPossible'),
      ),
      { errors: ['LandingNotPossible', 'InvalidMigrationProposal', 'ExchangeObjectMismatch'], resultPath: '$.error' },
    );
    const unwrapPlan = new sfn.Pass(this, 'KeepPlan', { inputPath: '$.planned.plan', resultPath: '$.plan' });
    const requestApproval = props.approvals.requestStep(this, 'RequestTargetApproval', {
      payload: {
        taskToken: sfn.JsonPath.taskToken,
        executionId: sfn.JsonPath.executionId,
        side: 'TARGET',
        sourceAwsAccount: plan('sourceAwsAccount'),
        targetAwsAccount: stack.account,
        requestedBy: plan('requestedBy'),
        reason: plan('reason'),
        migration: sfn.JsonPath.objectAt('$.plan.summary'),
      },
      deadline: config.approvalDeadline,
      resultPath: '$.targetApproval',
      comment: 'One approval for the whole migration, before anything changes in either account',
    });
    const verifyApproval = props.approvals.verifyStep(this, 'VerifyTargetApproval', { resultPath: '$.targetApproval' });
    const closeApproval = (stateId: string, status: 'EXPIRED' | 'CANCELLED') => props.approvals.closeStep(this, stateId, { status });
    requestApproval.addCatch(
      closeApproval('CloseExpiredApproval', 'EXPIRED')
        .next(answer('AnswerExpired', 'EXPIRED', null, APPROVAL_EXPIRED_REASON))
        .next(outcome('ApprovalExpired', 'APPROVAL_EXPIRED'))
        .next(finished),
      { errors: ['States.Timeout'], resultPath: '$.error' },
    );
    requestApproval.addCatch(
      closeApproval('CloseCancelledApproval', 'CANCELLED')
        .next(answer('AnswerCancelled', 'CANCELLED', null, REVIEW_CANCELLED_REASON))
        .next(outcome('CancelledBeforeApproval', 'CANCELLED'))
        .next(finished),
      { errors: ['RequestCancelled'], resultPath: '$.error' },
    );

    const awaitOffer = new tasks.LambdaInvoke(this, 'AwaitBatchOffer', {
      lambdaFunction: this.functions.awaitOffer.function,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        sourceRunName: sfn.JsonPath.stringAt('$.sourceRunName'),
        batch: sfn.JsonPath.numberAt('$.batch'),
        taskToken: sfn.JsonPath.taskToken,
      }),
      taskTimeout: sfn.Timeout.duration(config.cutoverTimeout),
      resultPath: sfn.JsonPath.DISCARD,
      comment: 'Wait until the source offers this batch (woken by the receiver, which recorded the offer)',
    });
    const landBatch = (stateId: string, offered: boolean) =>
      lambdaStep(this, stateId, {
        fn: this.functions.land.function,
        payload: {
          sourceRunName: sfn.JsonPath.stringAt('$.sourceRunName'),
          runName: sfn.JsonPath.stringAt('$.runName'),
          migrationId: sfn.JsonPath.stringAt('$.migrationId'),
          batch: sfn.JsonPath.numberAt('$.batch'),
          certificateIds: sfn.JsonPath.listAt('$.certificateIds'),
          offered,
          executionId: sfn.JsonPath.stringAt('$.executionId'),
          requestedBy: sfn.JsonPath.stringAt('$.requestedBy'),
          approvedBy: sfn.JsonPath.stringAt('$.approvedBy'),
          sourceAwsAccount: sfn.JsonPath.stringAt('$.sourceAwsAccount'),
        },
        resultPath: '$',
        comment: offered ? 'Accept and land the offered batch, then report it to the source' : 'Report the batch never offered',
      });
    awaitOffer.addCatch(landBatch('ReportBatchNotOffered', false), { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD });
    const landMap = new sfn.DistributedMap(this, 'LandEachBatch', {
      itemReader: new sfn.S3JsonItemReader({ bucket: storage.bucket, key: plan('batchesKey') }),
      itemSelector: {
        'batch.$': '$$.Map.Item.Value.batch',
        'certificateIds.$': '$$.Map.Item.Value.certificateIds',
        'sourceRunName.$': '$.sourceRunName',
        'migrationId.$': '$.migrationId',
        'runName.$': '$$.Execution.Name',
        'executionId.$': '$$.Execution.Id',
        'requestedBy.$': '$.plan.requestedBy',
        'approvedBy.$': '$.targetApproval.approvedBy',
        'sourceAwsAccount.$': '$.plan.sourceAwsAccount',
      },
      maxConcurrency: config.migrationMaxConcurrency,
      toleratedFailurePercentage: config.migrationToleratedFailurePercent,
      resultWriterV2: new sfn.ResultWriterV2({ bucket: storage.bucket, prefix: plan('mapResultsPrefix') }),
      resultPath: '$.landings',
    });
    landMap.itemProcessor(awaitOffer.next(landBatch('LandBatch', true)));

    const definition = planStep
      .next(unwrapPlan)
      .next(requestApproval)
      .next(verifyApproval)
      .next(
        new sfn.Choice(this, 'TargetDecision')
          .when(
            sfn.Condition.stringEquals('$.targetApproval.decision', 'REJECTED'),
            answer(
              'AnswerRejected',
              'REJECTED',
              sfn.JsonPath.stringAt('$.targetApproval.approvedBy'),
              sfn.JsonPath.stringAt('$.targetApproval.rejectReason'),
            )
              .next(outcome('Rejected', 'REJECTED'))
              .next(finished),
          )
          .otherwise(
            answer('AnswerApproved', 'APPROVED', sfn.JsonPath.stringAt('$.targetApproval.approvedBy'), null)
              .next(landMap)
              .next(outcome('Landed', 'LANDED'))
              .next(finished),
          ),
      );

    const workflow = new WorkflowStateMachine(this, 'Workflow', {
      stateMachineName,
      definition,
      functions: [...Object.values(this.functions).map((built) => built.function), ...props.approvals.stepFunctions],
      comment: 'certflow migration, target side: plan from the proposal, one approval, then land each batch as the source offers it',
      alarmTopic: props.alarmTopic,
    });
    this.stateMachine = workflow.stateMachine;
    acknowledgeMigrationWildcards(this, storage);
    props.approvals.allowDecisionsFor(stateMachineArn);
  }
}
