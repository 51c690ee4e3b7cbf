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
import { lambdaStep } from './lambda-step';
import { migrationMap, migrationEnvironment } from './migration-map';
import type { MigrationStorage } from './migration-storage';
import { auditTableAccess, thisAccountsCertificates } from './transfer-action-function';
import { acknowledgeMigrationWildcards } from './wildcard-acknowledgements';
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
}

/** How a source-side migration run ended, in the execution's `outcome` field. */
export const OUTBOUND_MIGRATION_OUTCOMES = ['OFFERED', 'NOTHING_TO_TRANSFER', 'SOURCE_REJECTED', 'APPROVAL_EXPIRED', 'CANCELLED'] as const;

/**
 * The source account's migration workflow, started with {migrationId, targetAwsAccount,
 * transferMessage, requestedBy, reason} once the manifest is in the migration bucket:
 * plan (settling what needs no Action, so a re-run resumes), inspect every certificate
 * in a Distributed Map, ask the source approvers once for the whole batch, then prepare
 * and transfer every certificate in a second Distributed Map paced to the IoT quota,
 * and write each certificate's outcome.
 */
export class OutboundMigrationWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Record<'plan' | 'inspect' | 'summarize' | 'transfer' | 'finish', CertflowFunction>;

  constructor(scope: Construct, id: string, props: OutboundMigrationWorkflowProps) {
    super(scope, id);
    const { config, storage } = props;
    const certificates = thisAccountsCertificates(this);
    const environment = {
      ...migrationEnvironment(config, storage),
      [HANDLER_ENVIRONMENT.auditTableName]: props.auditTable.tableName,
      [HANDLER_ENVIRONMENT.accountId]: Stack.of(this).account,
    };
    const iotAccess = (actions: string[], resources = [certificates]) =>
      new iam.PolicyStatement({ actions: actions.map((action) => `iot:${action}`), resources });
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
        'migration-plan-outbound',
        'source migration: resolves the manifest and settles what needs no Action',
        [
          // The list Actions have no resource type: they can only be granted on *.
          iotAccess(['ListCertificates', 'ListCertificatesByCA', 'ListOutgoingCertificates'], ['*']),
          new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${props.auditTable.tableArn}/index/*`] }),
        ],
        { files: true, progress: true },
      ),
      inspect: stepFunction(
        'Inspect',
        'migration-inspect-batch',
        'source migration: lists the policies and things of a batch of certificates',
        [
          iotAccess(['ListPrincipalThings']),
          // The Service Authorization Reference lists no resource type for ListAttachedPolicies: only "*" is valid.
          iotAccess(['ListAttachedPolicies'], ['*']),
        ],
        { files: false, progress: true },
      ),
      summarize: stepFunction(
        'Summarize',
        'migration-summarize-inspection',
        'source migration: the approvers summary and the certificates to transfer',
        [],
        { files: true, progress: true },
      ),
      transfer: stepFunction(
        'Transfer',
        'migration-transfer-batch',
        'source migration: prepares and transfers a batch of certificates',
        [
          iotAccess([
            'DescribeCertificate',
            'UpdateCertificate',
            'DetachPolicy',
            'AttachPolicy',
            'TransferCertificate',
            'ListPrincipalThings',
          ]),
          iotAccess(['ListAttachedPolicies'], ['*']),
          iotAccess(
            ['DetachThingPrincipal', 'AttachThingPrincipal'],
            [certificates, Stack.of(this).formatArn({ service: 'iot', resource: 'thing', resourceName: '*' })],
          ),
          auditTableAccess(props.auditTable),
        ],
        { files: false, progress: true },
      ),
      finish: stepFunction(
        'Finish',
        'migration-finish-run',
        'source migration: writes every certificate outcome of a run',
        [
          // A failed item may have been offered after all: the run's pending offers say so.
          iotAccess(['ListOutgoingCertificates'], ['*']),
        ],
        { files: true, progress: false },
      ),
    };

    const request = (field: string): string => sfn.JsonPath.stringAt(`$.request.${field}`);
    const outcome = (stateId: string, value: (typeof OUTBOUND_MIGRATION_OUTCOMES)[number]) =>
      new sfn.Pass(this, stateId, { result: sfn.Result.fromString(value), resultPath: '$.outcome' });
    const finishRun = (stateId: string, resultsManifestKey: string | null) =>
      lambdaStep(this, stateId, {
        fn: this.functions.finish.function,
        payload: {
          migrationId: request('migrationId'),
          runName: request('runName'),
          settledKey: sfn.JsonPath.stringAt('$.inspected.settledKey'),
          itemsKey: sfn.JsonPath.stringAt('$.inspected.itemsKey'),
          resultsManifestKey,
          unprocessedOutcome: 'NOT_APPROVED',
          reconcile: 'OFFERS',
          targetAwsAccount: request('targetAwsAccount'),
        },
        resultPath: '$.result',
        comment: 'Every certificate outcome, in one file the migration job reads',
      });
    const finished = new sfn.Succeed(this, 'Finished', {
      comment: 'The outcome field says how the run ended; result.outcomesKey names the per-certificate file',
    });
    const notApproved = finishRun('ReportNotApproved', null).next(finished);

    const plan = lambdaStep(this, 'PlanMigration', {
      fn: this.functions.plan.function,
      payload: { migration: sfn.JsonPath.entirePayload, runName: sfn.JsonPath.executionName, executionId: sfn.JsonPath.executionId },
      resultPath: '$',
      comment: 'Validate the input, resolve the manifest, settle what an earlier run already did',
    });
    const inspectMap = migrationMap(this, 'InspectEachCertificate', {
      config,
      storage,
      itemsKey: sfn.JsonPath.stringAt('$.plan.itemsKey'),
      resultsPrefix: sfn.JsonPath.stringAt('$.plan.mapResultsPrefix'),
      batchInput: { runName: request('runName') },
      processor: lambdaStep(this, 'InspectCertificates', { fn: this.functions.inspect.function, resultPath: '$' }),
      resultPath: '$.inspection',
    });
    const summarize = lambdaStep(this, 'SummarizeInspection', {
      fn: this.functions.summarize.function,
      payload: {
        migrationId: request('migrationId'),
        runName: request('runName'),
        plan: sfn.JsonPath.objectAt('$.plan'),
        inspectionManifestKey: sfn.JsonPath.stringAt('$.inspection.ResultWriterDetails.Key'),
      },
      resultPath: '$.inspected',
    });
    const requestApproval = props.approvals.requestStep(this, 'RequestSourceApproval', {
      payload: {
        taskToken: sfn.JsonPath.taskToken,
        executionId: sfn.JsonPath.executionId,
        side: 'SOURCE',
        sourceAwsAccount: Stack.of(this).account,
        targetAwsAccount: request('targetAwsAccount'),
        transferMessage: request('transferMessage'),
        requestedBy: request('requestedBy'),
        reason: request('reason'),
        migration: sfn.JsonPath.objectAt('$.inspected.summary'),
      },
      deadline: config.approvalDeadline,
      resultPath: '$.sourceApproval',
      comment: 'One approval for the whole batch, on its summary',
    });
    const verifyApproval = props.approvals.verifyStep(this, 'VerifySourceApproval', { resultPath: '$.sourceApproval' });
    const closeApproval = (stateId: string, status: 'EXPIRED' | 'CANCELLED') => props.approvals.closeStep(this, stateId, { status });
    requestApproval.addCatch(
      closeApproval('CloseExpiredApproval', 'EXPIRED').next(outcome('ApprovalExpired', 'APPROVAL_EXPIRED')).next(notApproved),
      {
        errors: ['States.Timeout'],
        resultPath: '$.error',
      },
    );
    requestApproval.addCatch(
      closeApproval('CloseCancelledApproval', 'CANCELLED').next(outcome('CancelledBeforeApproval', 'CANCELLED')).next(notApproved),
      {
        errors: ['RequestCancelled'],
        resultPath: '$.error',
      },
    );

    const transferMap = migrationMap(this, 'TransferEachCertificate', {
      config,
      storage,
      itemsKey: sfn.JsonPath.stringAt('$.inspected.itemsKey'),
      resultsPrefix: sfn.JsonPath.stringAt('$.plan.mapResultsPrefix'),
      batchInput: {
        runName: request('runName'),
        executionId: request('executionId'),
        targetAwsAccount: request('targetAwsAccount'),
        transferMessage: request('transferMessage'),
        requestedBy: request('requestedBy'),
        approvedBy: sfn.JsonPath.stringAt('$.sourceApproval.approvedBy'),
        consentToPrepare: sfn.JsonPath.stringAt('$.sourceApproval.consentToPrepare'),
      },
      processor: lambdaStep(this, 'TransferCertificates', { fn: this.functions.transfer.function, resultPath: '$' }),
      resultPath: '$.transfers',
    });

    // An empty map is skipped rather than relied on to write an empty result manifest.
    const noInspection = new sfn.Pass(this, 'NothingToInspect', {
      result: sfn.Result.fromObject({ ResultWriterDetails: { Key: null } }),
      resultPath: '$.inspection',
    });
    const definition = plan
      .next(
        new sfn.Choice(this, 'AnythingToInspect')
          .when(sfn.Condition.numberEquals('$.plan.itemCount', 0), noInspection)
          .otherwise(inspectMap)
          .afterwards(),
      )
      .next(summarize)
      .next(
        new sfn.Choice(this, 'AnythingToTransfer')
          .when(
            sfn.Condition.numberEquals('$.inspected.itemCount', 0),
            outcome('NothingToTransfer', 'NOTHING_TO_TRANSFER').next(notApproved),
          )
          .otherwise(
            requestApproval.next(verifyApproval).next(
              new sfn.Choice(this, 'SourceDecision')
                .when(
                  sfn.Condition.stringEquals('$.sourceApproval.decision', 'REJECTED'),
                  outcome('SourceRejected', 'SOURCE_REJECTED').next(notApproved),
                )
                .otherwise(
                  transferMap
                    .next(outcome('Offered', 'OFFERED'))
                    .next(finishRun('ReportTransfers', sfn.JsonPath.stringAt('$.transfers.ResultWriterDetails.Key')))
                    .next(finished),
                ),
            ),
          ),
      );

    const stateMachineName = `${Stack.of(this).stackName}-Migration`;
    const workflow = new WorkflowStateMachine(this, 'Workflow', {
      stateMachineName,
      definition,
      functions: [...Object.values(this.functions).map((built) => built.function), ...props.approvals.stepFunctions],
      comment: 'certflow migration, source side: plan, inspect, one approval, transfer every certificate at the IoT quota',
      alarmTopic: props.alarmTopic,
    });
    this.stateMachine = workflow.stateMachine;
    acknowledgeMigrationWildcards(this, storage);
    props.approvals.allowDecisionsFor(stateMachineArnOf(this, stateMachineName));
  }
}
