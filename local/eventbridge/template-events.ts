import type { LocalStackResources } from '../cloudformation/cloudformation-template';
import { busPolicyOf, type BusPolicyStatement } from './bus-policy';
import { targetOf } from './eventbridge-operations';
import type { LocalEventBridge, StoredRule } from './local-eventbridge';

export class TemplateEventsError extends Error {
  override readonly name = 'TemplateEventsError';
}

/**
 * Registers a stack's AWS::Events::EventBus and AWS::Events::EventBusPolicy resources.
 * Idempotent: a bus that exists (a restart on the same data folder) gets the template's
 * policy again, and a policy statement replaces the one with the same StatementId.
 */
export function deployTemplateEventBuses(engine: LocalEventBridge, resources: LocalStackResources): void {
  const { accountId } = resources.target;
  for (const [logicalId, resource] of resources.resourcesOfType('AWS::Events::EventBus')) {
    const properties = resources.resolve(resource.Properties ?? {}) as { Description?: string; Policy?: unknown };
    const name = resources.physicalName(logicalId);
    const policy = properties.Policy === undefined ? undefined : busPolicyOf(properties.Policy);
    const bus = engine.findEventBus(name, accountId) ?? engine.createEventBus({ name, description: properties.Description }, accountId);
    if (policy) engine.setPolicy(bus, policy);
  }
  for (const [logicalId, resource] of resources.resourcesOfType('AWS::Events::EventBusPolicy')) {
    const properties = resources.resolve(resource.Properties ?? {}) as {
      EventBusName?: string;
      StatementId?: string;
      Statement?: Omit<BusPolicyStatement, 'Sid'>;
      Action?: string;
      Principal?: string;
      Condition?: { Type: string; Key: string; Value: string };
    };
    if (!properties.StatementId) throw new TemplateEventsError(`${logicalId}: AWS::Events::EventBusPolicy needs a StatementId`);
    const bus = engine.eventBus(properties.EventBusName, accountId);
    const statement: BusPolicyStatement = properties.Statement
      ? { Sid: properties.StatementId, ...properties.Statement }
      : {
          Sid: properties.StatementId,
          Effect: 'Allow',
          Principal: properties.Principal === '*' ? '*' : { AWS: `arn:aws:iam::${properties.Principal ?? ''}:root` },
          Action: properties.Action ?? 'events:PutEvents',
          Resource: bus.arn,
          ...(properties.Condition
            ? { Condition: { [properties.Condition.Type]: { [properties.Condition.Key]: properties.Condition.Value } } }
            : {}),
        };
    engine.putPermissionStatement(bus.name, accountId, statement);
  }
}

/**
 * Registers a stack's AWS::Events::Rule resources and their Targets (Arn, Id, RoleArn,
 * RetryPolicy, Input, InputPath, DeadLetterConfig). Deploy every stack's buses first: a
 * rule may target another account's bus by a literal ARN. Idempotent: PutRule replaces
 * the rule and targets the template no longer lists are removed. Rules with a
 * ScheduleExpression are registered too (ScheduleRunner runs them).
 */
export function deployTemplateEventRules(engine: LocalEventBridge, resources: LocalStackResources): StoredRule[] {
  const { accountId } = resources.target;
  const deployed: StoredRule[] = [];
  for (const [logicalId, resource] of resources.resourcesOfType('AWS::Events::Rule')) {
    const properties = resources.resolve(resource.Properties ?? {}) as {
      EventBusName?: string;
      EventPattern?: unknown;
      ScheduleExpression?: string;
      State?: StoredRule['state'];
      Description?: string;
      RoleArn?: string;
      Targets?: unknown[];
    };
    const eventBusName = properties.EventBusName;
    const rule = engine.putRule(
      {
        name: resources.physicalName(logicalId),
        eventBusName,
        eventPattern:
          properties.EventPattern === undefined
            ? undefined
            : typeof properties.EventPattern === 'string'
              ? properties.EventPattern
              : JSON.stringify(properties.EventPattern),
        scheduleExpression: properties.ScheduleExpression,
        state: properties.State,
        description: properties.Description,
        roleArn: properties.RoleArn,
      },
      accountId,
    );
    const targets = (properties.Targets ?? []).map(targetOf);
    const stale = rule.targets.filter((existing) => !targets.some((target) => target.id === existing.id)).map((target) => target.id);
    if (stale.length > 0) engine.removeTargets(rule.name, eventBusName, accountId, stale);
    if (targets.length > 0) engine.putTargets(rule.name, eventBusName, accountId, targets);
    deployed.push(rule);
  }
  return deployed;
}

/** Deploys several stacks' EventBridge resources in the order cross-account targets need: all buses, then all rules. */
export function deployTemplateEvents(engine: LocalEventBridge, stacks: readonly LocalStackResources[]): StoredRule[] {
  for (const resources of stacks) deployTemplateEventBuses(engine, resources);
  return stacks.flatMap((resources) => deployTemplateEventRules(engine, resources));
}
