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
import { migrationEnvironment, migrationMap } from './migration-map';
import type { MigrationStorage } from './migration-storage';
import { auditTableAccess, thisAccountsCertificates } from './transfer-action-function';
import { acknowledgeMigrationWildcards } from './wildcard-acknowledgements';
import { WorkflowStateMachine, stateMachineArnOf } from './workflow-state-machine';

export interface InboundMigrationWorkflowProps {
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
}

/** How a target-side migration run ended, in the execution's `outcome` field. */
export const INBOUND_MIGRATION_OUTCOMES = ['ANSWERED', 'NOTHING_PENDING', 'APPROVAL_EXPIRED', 'CANCELLED'] as const;

/** What the target approvers' silence or a cancelled review decides: every offer is rejected, as for a single transfer, rather than left pending. */
const REJECTED_WITHOUT_DECISION = (rejectReason: string) => ({
  decision: 'REJECTED',
  approvedBy: 'certflow',
  rejectReason,
  setAsActive: false,
  consentToPrepare: false,
});

/**
 * The target account's migration workflow, started with {migrationId, requestedBy,
 * reason} once the list of offered certificates is in the migration bucket: plan
 * (skipping what an earlier run accepted), ask the target approvers once for the whole
 * batch, then accept every pending certificate (or reject them all, with the approvers'
 * reason) in a Distributed Map paced to the IoT quota, and write each outcome.
 */
export class InboundMigrationWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Record<'plan' | 'answer' | 'finish', CertflowFunction>;

  constructor(scope: Construct, id: string, props: InboundMigrationWorkflowProps) {
    super(scope, id);
    const { config, storage } = props;
    const environment = {
      ...migrationEnvironment(config, storage),
      [HANDLER_ENVIRONMENT.auditTableName]: props.auditTable.tableName,
      [HANDLER_ENVIRONMENT.accountId]: Stack.of(this).account,
    };
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
    this.functions = {
      plan: stepFunction(
        'Plan',
        'migration-plan-inbound',
        'target migration: which offered certificates are pending here',
        [new iam.PolicyStatement({ actions: ['iot:ListCertificates'], resources: ['*'] })],
        { files: true, progress: true },
      ),
      answer: stepFunction(
        'Answer',
        'migration-answer-batch',
        'target migration: accepts or rejects a batch of pending certificates',
        [
          new iam.PolicyStatement({
            actions: ['iot:AcceptCertificateTransfer', 'iot:RejectCertificateTransfer', 'iot:DescribeCertificate'],
            resources: [thisAccountsCertificates(this)],
          }),
          auditTableAccess(props.auditTable),
        ],
        { files: false, progress: true },
      ),
      finish: stepFunction(
        'Finish',
        'migration-finish-run',
        'target migration: writes every certificate outcome of a run',
        [
          // A failed item may have been accepted after all: this account's certificates say so.
          new iam.PolicyStatement({ actions: ['iot:ListCertificates'], resources: ['*'] }),
        ],
        { files: true, progress: false },
      ),
    };

    const request = (field: string): string => sfn.JsonPath.stringAt(`$.request.${field}`);
    const outcome = (stateId: string, value: (typeof INBOUND_MIGRATION_OUTCOMES)[number]) =>
      new sfn.Pass(this, stateId, { result: sfn.Result.fromString(value), resultPath: '$.outcome' });
    const finishRun = (stateId: string, resultsManifestKey: string | null, decision: string | null) =>
      lambdaStep(this, stateId, {
        fn: this.functions.finish.function,
        payload: {
          migrationId: request('migrationId'),
          runName: request('runName'),
          settledKey: sfn.JsonPath.stringAt('$.plan.settledKey'),
          itemsKey: sfn.JsonPath.stringAt('$.plan.itemsKey'),
          resultsManifestKey,
          unprocessedOutcome: 'NOT_APPROVED',
          reconcile: 'ACCEPTANCES',
          targetAwsAccount: null,
          decision,
        },
        resultPath: '$.result',
      });
    const finished = new sfn.Succeed(this, 'Finished', {
      comment: 'The outcome field says how the run ended; result.outcomesKey names the per-certificate file',
    });
    const notAnswered = finishRun('ReportNotAnswered', null, null).next(finished);

    const plan = lambdaStep(this, 'PlanMigration', {
      fn: this.functions.plan.function,
      payload: { migration: sfn.JsonPath.entirePayload, runName: sfn.JsonPath.executionName, executionId: sfn.JsonPath.executionId },
      resultPath: '$',
      comment: 'Validate the input; find which offered certificates are pending here',
    });
    const requestApproval = props.approvals.requestStep(this, 'RequestTargetApproval', {
      payload: {
        taskToken: sfn.JsonPath.taskToken,
        executionId: sfn.JsonPath.executionId,
        side: 'TARGET',
        sourceAwsAccount: sfn.JsonPath.stringAt('$.plan.sourceAwsAccount'),
        targetAwsAccount: Stack.of(this).account,
        requestedBy: request('requestedBy'),
        reason: request('reason'),
        migration: sfn.JsonPath.objectAt('$.plan.summary'),
      },
      deadline: config.approvalDeadline,
      resultPath: '$.targetApproval',
      comment: 'One approval for the whole batch, on its summary',
    });
    const answerMap = migrationMap(this, 'AnswerEachOffer', {
      config,
      storage,
      itemsKey: sfn.JsonPath.stringAt('$.plan.itemsKey'),
      resultsPrefix: sfn.JsonPath.stringAt('$.plan.mapResultsPrefix'),
      batchInput: {
        runName: request('runName'),
        executionId: request('executionId'),
        sourceAwsAccount: sfn.JsonPath.stringAt('$.plan.sourceAwsAccount'),
        decision: sfn.JsonPath.stringAt('$.targetApproval.decision'),
        setAsActive: sfn.JsonPath.stringAt('$.targetApproval.setAsActive'),
        rejectReason: sfn.JsonPath.stringAt('$.targetApproval.rejectReason'),
        requestedBy: request('requestedBy'),
        approvedBy: sfn.JsonPath.stringAt('$.targetApproval.approvedBy'),
      },
      processor: lambdaStep(this, 'AnswerOffers', { fn: this.functions.answer.function, resultPath: '$' }),
      resultPath: '$.answers',
    });

    answerMap
      .next(
        finishRun(
          'ReportAnswers',
          sfn.JsonPath.stringAt('$.answers.ResultWriterDetails.Key'),
          sfn.JsonPath.stringAt('$.targetApproval.decision'),
        ),
      )
      .next(finished);
    const rejectWithout = (stateId: string, rejectReason: string, result: (typeof INBOUND_MIGRATION_OUTCOMES)[number]) =>
      new sfn.Pass(this, stateId, {
        result: sfn.Result.fromObject(REJECTED_WITHOUT_DECISION(rejectReason)),
        resultPath: '$.targetApproval',
      })
        .next(outcome(`${stateId}Outcome`, result))
        .next(answerMap);
    const verifyApproval = props.approvals.verifyStep(this, 'VerifyTargetApproval', { resultPath: '$.targetApproval' });
    const closeApproval = (stateId: string, status: 'EXPIRED' | 'CANCELLED') => props.approvals.closeStep(this, stateId, { status });
    requestApproval.addCatch(
      closeApproval('CloseExpiredApproval', 'EXPIRED').next(rejectWithout('ApprovalExpired', APPROVAL_EXPIRED_REASON, 'APPROVAL_EXPIRED')),
      {
        errors: ['States.Timeout'],
        resultPath: '$.error',
      },
    );
    requestApproval.addCatch(
      closeApproval('CloseCancelledApproval', 'CANCELLED').next(
        rejectWithout('CancelledBeforeApproval', REVIEW_CANCELLED_REASON, 'CANCELLED'),
      ),
      {
        errors: ['RequestCancelled'],
        resultPath: '$.error',
      },
    );

    const definition = plan.next(
      new sfn.Choice(this, 'AnythingPending')
        .when(sfn.Condition.numberEquals('$.plan.itemCount', 0), outcome('NothingPending', 'NOTHING_PENDING').next(notAnswered))
        .otherwise(requestApproval.next(verifyApproval).next(outcome('Answered', 'ANSWERED')).next(answerMap)),
    );

    const stateMachineName = `${Stack.of(this).stackName}-Migration`;
    const workflow = new WorkflowStateMachine(this, 'Workflow', {
      stateMachineName,
      definition,
      functions: [...Object.values(this.functions).map((built) => built.function), ...props.approvals.stepFunctions],
      comment: 'certflow migration, target side: plan, one approval, accept (or reject) every certificate at the IoT quota',
      alarmTopic: props.alarmTopic,
    });
    this.stateMachine = workflow.stateMachine;
    acknowledgeMigrationWildcards(this, storage);
    props.approvals.allowDecisionsFor(stateMachineArnOf(this, stateMachineName));
  }
}
