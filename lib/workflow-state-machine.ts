import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeWildcard } from './wildcard-acknowledgements';

/**
 * The ARN a named state machine will have. Granting on it rather than on the state
 * machine itself breaks the cycle state machine → approval function → approval page URL
 * → page function → its grant on the state machine.
 */
export function stateMachineArnOf(scope: Construct, stateMachineName: string): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: stateMachineName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

export interface WorkflowStateMachineProps {
  /** A fixed name, so that its ARN is known before it exists (see `stateMachineArnOf`). */
  readonly stateMachineName: string;
  /** The states, from the first. */
  readonly definition: sfn.IChainable;
  /** The functions its steps invoke (for the acknowledged `<function ARN>:*` grants). */
  readonly functions: lambda.IFunction[];
  /** What the workflow does, in the definition's Comment. */
  readonly comment: string;
  /** Where the failed / timed-out alarms send their notifications. */
  readonly alarmTopic: sns.ITopic;
}

/**
 * A Standard workflow as certflow runs them: X-Ray tracing, every event logged without
 * its data (payloads carry task tokens), and alarms on failed and timed-out executions.
 */
export class WorkflowStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: WorkflowStateMachineProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      definitionBody: sfn.DefinitionBody.fromChainable(props.definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: props.comment,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    const stack = Stack.of(this);
    acknowledgeWildcard(this.stateMachine, '*', {
      actions: [
        'logs:CreateLogDelivery',
        'logs:GetLogDelivery',
        'logs:UpdateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:DescribeResourcePolicies',
        'logs:DescribeLogGroups',
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
      ],
      reason:
        'X-Ray and CloudWatch Logs delivery actions have no resource type (Service Authorization Reference) and can only be granted on *',
    });
    Validations.of(this.stateMachine).acknowledge(
      ...props.functions.map((fn) => ({
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
        reason: 'CDK lets a workflow invoke its own functions with any version qualifier (<function ARN>:*)',
      })),
    );
    const alarmOn = (alarmId: string, metric: cloudwatch.Metric, what: string): cloudwatch.Alarm => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        metric: metric.with({ statistic: 'Sum', period: metric.period }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `certflow: ${id} executions ${what}`,
      });
      alarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
      return alarm;
    };
    this.alarms = [
      alarmOn('FailedAlarm', this.stateMachine.metricFailed(), 'failed'),
      alarmOn('TimedOutAlarm', this.stateMachine.metricTimedOut(), 'timed out'),
    ];
  }
}
