import { Arn, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { SOURCE_EVENT_SOURCE, TARGET_EVENT_SOURCE } from '../lambdas/cross-account/transfer-messages';

/** Fixed bus names, so each side can name the other's bus in an ARN before it exists. */
export const TRANSFER_BUS_NAMES = { SOURCE: 'certflow-outbound-transfers', TARGET: 'certflow-inbound-transfers' } as const;

export type TransferSide = keyof typeof TRANSFER_BUS_NAMES;

export interface TransferMessageBusProps {
  /** Which side this stack is: its messages go out as `certflow.source` or `certflow.target`. */
  readonly side: TransferSide;
  /** The one account whose certflow this side exchanges messages with; may be this account. */
  readonly peerAccount: string;
  /** The function the peer's messages are delivered to. Set it later with `deliverTo` when it depends on this bus. @default none */
  readonly receiver?: lambda.IFunction;
}

/**
 * One side's end of the cross-account channel: its own EventBridge bus, a resource
 * policy that lets only the peer account put events on it, a rule that forwards this
 * side's messages to the peer's bus, and a rule that delivers the peer's messages (and
 * only those: matched on the envelope's account, which EventBridge sets) to the receiver.
 */
export class TransferMessageBus extends Construct {
  readonly bus: events.EventBus;
  private readonly side: TransferSide;
  private readonly peerAccount: string;

  constructor(scope: Construct, id: string, props: TransferMessageBusProps) {
    super(scope, id);
    this.side = props.side;
    this.peerAccount = props.peerAccount;
    const stack = Stack.of(this);
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: TRANSFER_BUS_NAMES[props.side],
      description: `certflow ${props.side.toLowerCase()} side: transfer messages`,
    });
    this.bus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'certflow-peer-puts-events',
        principals: [new iam.AccountPrincipal(props.peerAccount)],
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
      }),
    );
    const peerSide: TransferSide = props.side === 'SOURCE' ? 'TARGET' : 'SOURCE';
    const peerBusArn = Arn.format(
      { service: 'events', account: props.peerAccount, resource: 'event-bus', resourceName: TRANSFER_BUS_NAMES[peerSide] },
      stack,
    );
    const peerBus = events.EventBus.fromEventBusArn(this, 'PeerBus', peerBusArn);
    const forwardRole = new iam.Role(this, 'ForwardRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: "certflow: forwards this side's transfer messages to the peer account's bus",
    });
    forwardRole.addToPolicy(new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [peerBusArn] }));
    new events.Rule(this, 'ForwardToPeer', {
      eventBus: this.bus,
      description: "certflow: this side's transfer messages, to the peer account's bus",
      eventPattern: { source: [this.ownSource()], account: [stack.account] },
      targets: [new targets.EventBus(peerBus, { role: forwardRole })],
    });
    if (props.receiver) this.deliverTo(props.receiver);
  }

  /** Delivers the peer's messages (matched on the envelope's sending account) to the receiver. */
  deliverTo(receiver: lambda.IFunction): void {
    new events.Rule(this, 'FromPeer', {
      eventBus: this.bus,
      description: "certflow: the peer account's transfer messages, to the receiver",
      eventPattern: { source: [this.side === 'SOURCE' ? TARGET_EVENT_SOURCE : SOURCE_EVENT_SOURCE], account: [this.peerAccount] },
      targets: [new targets.LambdaFunction(receiver, { retryAttempts: 185 })],
    });
  }

  /** Lets a function put this side's messages on its own bus. */
  sendStatement(): iam.PolicyStatement {
    return new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] });
  }

  private ownSource(): string {
    return this.side === 'SOURCE' ? SOURCE_EVENT_SOURCE : TARGET_EVENT_SOURCE;
  }
}
