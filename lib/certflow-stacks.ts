import { CfnOutput, Stack, cx_api, type StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { Approvals } from './approvals';
import { AuditTable } from './audit-table';
import { readCertflowConfig, type CertflowConfig } from './certflow-config';
import { InboundMigrationWorkflow } from './inbound-migration-workflow';
import { InboundTransferWorkflow } from './inbound-transfer-workflow';
import { MigrationStorage } from './migration-storage';
import { OutboundMigrationWorkflow } from './outbound-migration-workflow';
import { OutboundTransferWorkflow } from './outbound-transfer-workflow';
import { ProposalReviewWorkflow } from './proposal-review-workflow';
import { StartRequestApi } from './start-request-api';
import { TransferMessageBus } from './transfer-message-bus';
import { TransferProposalTable } from './transfer-proposal-table';
import { TransferActionFunction } from './transfer-action-function';
import { acknowledgeCertflowWildcards } from './wildcard-acknowledgements';

export interface CertflowSideStackProps extends StackProps {
  /** The deployment's configuration. @default read from CDK context (`readCertflowConfig`) */
  readonly config?: CertflowConfig;
}

/**
 * Set on each stack, before any construct is added, so that the migration maps write
 * their results (ResultWriterV2) whatever the app's own feature flags say.
 */
function useCurrentStepFunctionsFeatures(stack: Stack): void {
  stack.node.setContext(cx_api.STEPFUNCTIONS_USE_DISTRIBUTED_MAP_RESULT_WRITER_V2, true);
}

function alarmTopic(stack: Stack, config: CertflowConfig): sns.Topic {
  const topic = new sns.Topic(stack, 'Alarms', { displayName: 'certflow alarms', enforceSSL: true });
  for (const address of config.alarmEmails) topic.addSubscription(new subscriptions.EmailSubscription(address));
  return topic;
}

/** What the migration job needs to find a side's migration workflow, files and progress. */
function migrationOutputs(stack: Stack, stateMachine: sfn.IStateMachine, storage: MigrationStorage): void {
  new CfnOutput(stack, 'MigrationStateMachineArn', { value: stateMachine.stateMachineArn });
  new CfnOutput(stack, 'MigrationBucketName', { value: storage.bucket.bucketName });
  new CfnOutput(stack, 'MigrationProgressTableName', { value: storage.progressTable.tableName });
}

/**
 * What the account that gives certificates away runs: its audit table, the
 * TransferCertificate and CancelCertificateTransfer functions, the source approvals and
 * the outbound transfer workflow.
 */
export class SourceSideStack extends Stack {
  readonly auditTable: AuditTable;
  /** This side's approvals: the request, verify and close steps. */
  readonly approvals: Approvals;
  readonly workflow: OutboundTransferWorkflow;
  /** The TransferCertificate function (audited). */
  readonly transferFunction: TransferActionFunction;
  /** The CancelCertificateTransfer function (audited). */
  readonly cancelFunction: TransferActionFunction;
  readonly migration: OutboundMigrationWorkflow;
  readonly messageBus: TransferMessageBus;
  readonly proposalTable: TransferProposalTable;
  /** Where people start the outbound transfer and migration workflows (IAM-authorized). */
  readonly startRequests: StartRequestApi;

  constructor(scope: Construct, id: string, props: CertflowSideStackProps = {}) {
    super(scope, id, { description: 'certflow source side: outbound certificate transfers with approvals', ...props });
    useCurrentStepFunctionsFeatures(this);
    const config = props.config ?? readCertflowConfig(this.node);
    this.auditTable = new AuditTable(this, 'AuditTable');
    const table = this.auditTable.table;
    this.transferFunction = new TransferActionFunction(this, 'TransferCertificate', { action: 'TransferCertificate', auditTable: table });
    this.cancelFunction = new TransferActionFunction(this, 'CancelCertificateTransfer', {
      action: 'CancelCertificateTransfer',
      auditTable: table,
    });
    const alarms = alarmTopic(this, config);
    this.approvals = new Approvals(this, 'SourceApprovals', {
      side: 'SOURCE',
      approvers: config.sourceApprovers,
      reminderLead: config.reminderLead,
      auditTable: table,
    });
    // With no target account named, both sides are deployed into one account.
    const peerAccount = config.targetAccount ?? this.account;
    this.messageBus = new TransferMessageBus(this, 'TransferMessages', { side: 'SOURCE', peerAccount });
    this.proposalTable = new TransferProposalTable(this, 'TransferProposals');
    this.startRequests = new StartRequestApi(this, 'StartRequests', { auditTable: table });
    this.workflow = new OutboundTransferWorkflow(this, 'OutboundTransfer', {
      config,
      auditTable: table,
      approvals: this.approvals,
      transferFunction: this.transferFunction,
      cancelFunction: this.cancelFunction,
      alarmTopic: alarms,
      proposalTable: this.proposalTable,
      messageBus: this.messageBus,
      peerAccount,
      startRequests: this.startRequests,
    });
    const migrationStorage = new MigrationStorage(this, 'MigrationStorage', { peerAccount });
    this.approvals.serveCertificateListsFrom(migrationStorage);
    this.migration = new OutboundMigrationWorkflow(this, 'OutboundMigration', {
      config,
      auditTable: table,
      approvals: this.approvals,
      storage: migrationStorage,
      alarmTopic: alarms,
      proposalTable: this.proposalTable,
      messageBus: this.messageBus,
      receiver: this.workflow.functions.receiver,
      peerAccount,
      startRequests: this.startRequests,
    });
    acknowledgeCertflowWildcards(this, table);
    new CfnOutput(this, 'OutboundStateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ApprovalPageUrl', { value: this.approvals.api.pageUrl });
    new CfnOutput(this, 'AuditTableName', { value: table.tableName });
    new CfnOutput(this, 'CancelFunctionName', { value: this.cancelFunction.function.functionName });
    new CfnOutput(this, 'ProposalTableName', { value: this.proposalTable.table.tableName });
    new CfnOutput(this, 'EventBusName', { value: this.messageBus.bus.eventBusName });
    new CfnOutput(this, 'ApprovalTableName', { value: this.approvals.table.table.tableName });
    new CfnOutput(this, 'StartApiUrl', { value: this.startRequests.url });
    new CfnOutput(this, 'StartRequestTableName', { value: this.startRequests.table.tableName });
    migrationOutputs(this, this.migration.stateMachine, migrationStorage);
  }
}

/**
 * What the account that receives certificates runs: its audit table, the
 * AcceptCertificateTransfer and RejectCertificateTransfer functions, the target
 * approvals, the inbound review workflow and its poller.
 */
export class TargetSideStack extends Stack {
  readonly auditTable: AuditTable;
  /** This side's approvals: the request, verify and close steps. */
  readonly approvals: Approvals;
  readonly workflow: InboundTransferWorkflow;
  readonly migration: InboundMigrationWorkflow;
  readonly proposalReview: ProposalReviewWorkflow;
  readonly messageBus: TransferMessageBus;
  readonly proposalTable: TransferProposalTable;

  constructor(scope: Construct, id: string, props: CertflowSideStackProps = {}) {
    super(scope, id, { description: 'certflow target side: inbound certificate transfers with approvals', ...props });
    useCurrentStepFunctionsFeatures(this);
    const config = props.config ?? readCertflowConfig(this.node);
    this.auditTable = new AuditTable(this, 'AuditTable');
    const table = this.auditTable.table;
    const alarms = alarmTopic(this, config);
    this.approvals = new Approvals(this, 'TargetApprovals', {
      side: 'TARGET',
      approvers: config.targetApprovers,
      reminderLead: config.reminderLead,
      auditTable: table,
    });
    const peerAccount = config.sourceAccount ?? this.account;
    this.messageBus = new TransferMessageBus(this, 'TransferMessages', { side: 'TARGET', peerAccount });
    this.proposalTable = new TransferProposalTable(this, 'TransferProposals');
    const acceptFunction = new TransferActionFunction(this, 'AcceptCertificateTransfer', {
      action: 'AcceptCertificateTransfer',
      auditTable: table,
    });
    this.workflow = new InboundTransferWorkflow(this, 'InboundTransfer', {
      config,
      auditTable: table,
      approvals: this.approvals,
      acceptFunction,
      rejectFunction: new TransferActionFunction(this, 'RejectCertificateTransfer', {
        action: 'RejectCertificateTransfer',
        auditTable: table,
      }),
      alarmTopic: alarms,
      proposalTable: this.proposalTable,
    });
    this.proposalReview = new ProposalReviewWorkflow(this, 'ProposalReview', {
      config,
      auditTable: table,
      approvals: this.approvals,
      acceptFunction,
      alarmTopic: alarms,
      proposalTable: this.proposalTable,
      messageBus: this.messageBus,
      peerAccount,
    });
    const migrationStorage = new MigrationStorage(this, 'MigrationStorage', { peerAccount });
    this.approvals.serveCertificateListsFrom(migrationStorage);
    this.migration = new InboundMigrationWorkflow(this, 'InboundMigration', {
      config,
      auditTable: table,
      approvals: this.approvals,
      storage: migrationStorage,
      alarmTopic: alarms,
      proposalTable: this.proposalTable,
      messageBus: this.messageBus,
      receiver: this.proposalReview.functions.receiver,
      peerAccount,
    });
    acknowledgeCertflowWildcards(this, table);
    new CfnOutput(this, 'InboundStateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ProposalReviewStateMachineArn', { value: this.proposalReview.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ProposalTableName', { value: this.proposalTable.table.tableName });
    new CfnOutput(this, 'EventBusName', { value: this.messageBus.bus.eventBusName });
    new CfnOutput(this, 'ApprovalPageUrl', { value: this.approvals.api.pageUrl });
    new CfnOutput(this, 'AuditTableName', { value: table.tableName });
    new CfnOutput(this, 'PollerFunctionName', { value: this.workflow.pollerFunction.function.functionName });
    new CfnOutput(this, 'ApprovalTableName', { value: this.approvals.table.table.tableName });
    migrationOutputs(this, this.migration.stateMachine, migrationStorage);
  }
}
