import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { HANDLER_ENVIRONMENT } from '../lambdas/handlers/handler-environment';
import { CertflowFunction } from './certflow-function';
import { thisAccountsCertificates } from './transfer-action-function';
import type { TransferProposalTable } from './transfer-proposal-table';

export interface FollowedOfferSweepProps {
  /** The source's transfer records, whose sparse index lists the offers still followed. */
  readonly proposalTable: TransferProposalTable;
  /** The ARN of the outbound workflow whose waiting steps the sweep wakes. */
  readonly outboundStateMachineArn: string;
  /** How often the sweep runs; rounded up to whole minutes (the least a rate() schedule takes). */
  readonly interval: Duration;
}

/** The sweep's schedule: the interval rounded up to whole minutes, at least one. */
export function sweepInterval(interval: Duration): Duration {
  return Duration.minutes(Math.max(1, Math.ceil(interval.toSeconds() / 60)));
}

/**
 * One scheduled function per source stack that follows every offer made to a target that
 * runs no certflow: one Query of the followed offers, one ListOutgoingCertificates pass,
 * DescribeCertificate only for offers no longer listed, and a wake of each decided offer's
 * waiting step. Its cost is per sweep, shared by all offers; an offer's own cost is constant.
 */
export class FollowedOfferSweep extends Construct {
  readonly sweepFunction: CertflowFunction;

  constructor(scope: Construct, id: string, props: FollowedOfferSweepProps) {
    super(scope, id);
    this.sweepFunction = new CertflowFunction(this, 'Sweep', {
      entry: 'lambdas/handlers/sweep-followed-offers.ts',
      description: 'outbound: checks the offers to targets that run no certflow, wakes the decided ones',
      timeout: Duration.minutes(2),
      statements: [
        // ListOutgoingCertificates has no resource type: it goes to the role's resource-less policy.
        new iam.PolicyStatement({ actions: ['iot:ListOutgoingCertificates'], resources: ['*'] }),
        new iam.PolicyStatement({ actions: ['iot:DescribeCertificate'], resources: [thisAccountsCertificates(this)] }),
        new iam.PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [props.outboundStateMachineArn] }),
        props.proposalTable.queryFollowedOffers(),
        props.proposalTable.recordOutcomes(),
      ],
      environment: {
        [HANDLER_ENVIRONMENT.accountId]: Stack.of(this).account,
        [HANDLER_ENVIRONMENT.proposalTableName]: props.proposalTable.table.tableName,
      },
    });
    new events.Rule(this, 'SweepSchedule', {
      description: 'certflow: check the offers followed for targets that run no certflow',
      schedule: events.Schedule.rate(sweepInterval(props.interval)),
      targets: [new targets.LambdaFunction(this.sweepFunction.function, { retryAttempts: 2 })],
    });
    // Named at the stack's top level, beside the other functions' outputs, for tests and operators.
    new CfnOutput(Stack.of(this), 'FollowSweepFunctionName', { value: this.sweepFunction.function.functionName });
  }
}
