import { randomUUID } from 'node:crypto';
import { busPolicyAllows, type BusPolicy, type BusPolicyStatement } from './bus-policy';
import { EventPattern, type JsonValue } from './event-pattern';
import { EventBridgeApiError, validationError } from './eventbridge-errors';
import {
  EventBridgeStore,
  type EventEnvelope,
  type PendingDelivery,
  type StoredEventBus,
  type StoredRetryPolicy,
  type StoredRule,
  type StoredTarget,
} from './eventbridge-store';

export type { EventEnvelope, PendingDelivery, StoredEventBus, StoredRule, StoredTarget } from './eventbridge-store';

export interface LocalEventBridgeOptions {
  region: string;
  /** Invokes a Lambda function target, as the sandbox's `invoke(functionArn, event)`. */
  invoke: (functionArn: string, event: unknown) => Promise<unknown>;
  /** Buses, rules, targets and undelivered events are kept here; in memory when unset. */
  dataDir?: string;
  /** Multiplies retry delays and MaximumEventAgeInSeconds: 1 is real time, 0.001 a thousand times faster. @default 1 */
  timeScale?: number;
  log?: (line: string) => void;
  /** Jitter source for retry delays, in [0, 1). @default Math.random */
  random?: () => number;
}

/** An event a target received. */
export interface DeliveryRecord {
  deliveryId: string;
  event: EventEnvelope;
  busArn: string;
  ruleArn: string;
  targetId: string;
  targetArn: string;
  attempts: number;
  /** What the target got: the event, or its Input / InputPath. */
  payload: unknown;
  deliveredAt: number;
}

/** An event a target never received, and why. */
export interface FailedDeliveryRecord extends Omit<DeliveryRecord, 'payload' | 'deliveredAt'> {
  errorCode:
    'AccessDenied' | 'ResourceNotFound' | 'RetriesExhausted' | 'MaximumEventAgeExceeded' | 'NotForwardedAgain' | 'UnsupportedTarget';
  errorMessage: string;
  failedAt: number;
}

/** A PutEvents entry after the wire checks (see eventbridge-operations.ts). */
export interface IncomingEvent {
  source: string;
  detailType: string;
  detail: JsonValue;
  eventBusName?: string;
  resources: string[];
  time?: Date;
}

export type PutEventsResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface RuleInput {
  name: string;
  eventBusName?: string;
  eventPattern?: string;
  scheduleExpression?: string;
  state?: StoredRule['state'];
  description?: string;
  roleArn?: string;
}

/** AWS's documented defaults for a rule target: 185 retries over 24 hours. */
export const DEFAULT_RETRY_POLICY: StoredRetryPolicy = { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 };
/** Undocumented by AWS ("exponential back off and jitter"): the sandbox doubles from 1 s up to 5 minutes. */
const FIRST_RETRY_MS = 1_000;
const LONGEST_RETRY_MS = 300_000;
const KEPT_RECORDS = 10_000;
const BUS_ARN = /^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):event-bus\/([/.\-_A-Za-z0-9]+)$/;

class PermanentDeliveryError extends Error {
  override readonly name = 'PermanentDeliveryError';

  constructor(
    readonly errorCode: FailedDeliveryRecord['errorCode'],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Amazon EventBridge for the sandbox: event buses (every account has `default`), rules
 * with event patterns, Lambda and event-bus targets, bus resource policies, and
 * delivery after PutEvents answers, with each target's RetryPolicy. IAM roles on
 * targets are accepted and stored but not evaluated.
 */
export class LocalEventBridge {
  readonly region: string;
  private readonly buses = new Map<string, StoredEventBus>();
  private readonly rules = new Map<string, StoredRule>();
  private readonly patterns = new Map<string, EventPattern>();
  private readonly pending = new Map<string, PendingDelivery>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly delivered: DeliveryRecord[] = [];
  private readonly failed: FailedDeliveryRecord[] = [];
  private readonly store: EventBridgeStore;
  private readonly timeScale: number;
  private readonly random: () => number;
  private running = false;
  private closed = false;

  constructor(private readonly options: LocalEventBridgeOptions) {
    this.region = options.region;
    this.timeScale = options.timeScale ?? 1;
    this.random = options.random ?? Math.random;
    this.store = new EventBridgeStore(options.dataDir);
    const stored = this.store.loadResources();
    for (const bus of stored?.buses ?? []) this.buses.set(bus.arn, bus);
    for (const rule of stored?.rules ?? []) {
      this.rules.set(rule.arn, rule);
      if (rule.eventPattern) this.patterns.set(rule.arn, EventPattern.parse(rule.eventPattern));
    }
    for (const delivery of this.store.loadPending()) this.pending.set(delivery.id, delivery);
  }

  /** Starts delivering: pending deliveries from a previous run first. Call once targets can be invoked. */
  start(): void {
    if (this.running || this.closed) return;
    this.running = true;
    for (const delivery of this.pending.values()) this.schedule(delivery);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.running = false;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  // ---- event buses -------------------------------------------------------------

  busArn(accountId: string, name: string): string {
    return `arn:aws:events:${this.region}:${accountId}:event-bus/${name}`;
  }

  createEventBus(input: { name: string; description?: string; policy?: BusPolicy }, accountId: string): StoredEventBus {
    if (input.name === 'default') throw validationError('You cannot create a custom event bus with the name default.');
    if (input.name.includes('/'))
      throw validationError(`Event bus name ${input.name} is not valid: a custom event bus name cannot contain '/'.`);
    const arn = this.busArn(accountId, input.name);
    if (this.buses.has(arn)) throw new EventBridgeApiError('ResourceAlreadyExistsException', `Event bus ${input.name} already exists.`);
    const now = Date.now();
    const bus: StoredEventBus = {
      name: input.name,
      arn,
      accountId,
      description: input.description,
      policy: input.policy,
      creationTime: now,
      lastModifiedTime: now,
    };
    this.buses.set(arn, bus);
    this.saveResources();
    return bus;
  }

  /** Resolves a bus given by name (in `accountId`) or by ARN; the default bus always exists. */
  findEventBus(nameOrArn: string | undefined, accountId: string): StoredEventBus | undefined {
    const { busAccount, name } = this.parseBusReference(nameOrArn, accountId);
    const arn = this.busArn(busAccount, name);
    const existing = this.buses.get(arn);
    if (existing || name !== 'default') return existing;
    const now = Date.now();
    const created: StoredEventBus = { name, arn, accountId: busAccount, creationTime: now, lastModifiedTime: now };
    this.buses.set(arn, created);
    this.saveResources();
    return created;
  }

  eventBus(nameOrArn: string | undefined, accountId: string): StoredEventBus {
    const bus = this.findEventBus(nameOrArn, accountId);
    if (!bus)
      throw new EventBridgeApiError(
        'ResourceNotFoundException',
        `Event bus ${this.parseBusReference(nameOrArn, accountId).name} does not exist.`,
      );
    return bus;
  }

  listEventBuses(accountId: string, namePrefix?: string): StoredEventBus[] {
    this.findEventBus('default', accountId);
    return [...this.buses.values()]
      .filter((bus) => bus.accountId === accountId && (!namePrefix || bus.name.startsWith(namePrefix)))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  deleteEventBus(name: string, accountId: string): void {
    if (name === 'default') throw validationError('Cannot delete event bus default.');
    const bus = this.findEventBus(name, accountId);
    if (!bus) return;
    if (this.rulesOn(bus).length > 0)
      throw validationError(`Cannot delete event bus ${name} because it still has rules. Delete the rules first.`);
    this.buses.delete(bus.arn);
    this.saveResources();
  }

  /** Adds (or replaces, by Sid) one statement of a bus policy, as PutPermission does. */
  putPermissionStatement(busName: string | undefined, accountId: string, statement: BusPolicyStatement): void {
    const bus = this.eventBus(busName, accountId);
    const statements = (bus.policy?.Statement ?? []).filter((existing) => statement.Sid === undefined || existing.Sid !== statement.Sid);
    this.setPolicy(bus, { Version: '2012-10-17', Statement: [...statements, statement] });
  }

  setPolicy(bus: StoredEventBus, policy: BusPolicy | undefined): void {
    if (policy && JSON.stringify(policy).length > 10_240)
      throw new EventBridgeApiError('PolicyLengthExceededException', 'The event bus policy is too long. The limit is 10 KB.');
    bus.policy = policy && policy.Statement.length > 0 ? policy : undefined;
    bus.lastModifiedTime = Date.now();
    this.saveResources();
  }

  removePermission(busName: string | undefined, accountId: string, removal: { statementId?: string; removeAll?: boolean }): void {
    const bus = this.eventBus(busName, accountId);
    if (removal.removeAll) {
      this.setPolicy(bus, undefined);
      return;
    }
    if (!bus.policy) throw new EventBridgeApiError('ResourceNotFoundException', 'EventBus does not have a policy.');
    const remaining = bus.policy.Statement.filter((statement) => statement.Sid !== removal.statementId);
    if (remaining.length === bus.policy.Statement.length)
      throw new EventBridgeApiError('ResourceNotFoundException', 'Statement with the provided id does not exist.');
    this.setPolicy(bus, { ...bus.policy, Statement: remaining });
  }

  // ---- rules and targets -------------------------------------------------------

  ruleArn(bus: StoredEventBus, name: string): string {
    return `arn:aws:events:${this.region}:${bus.accountId}:rule/${bus.name === 'default' ? '' : `${bus.name}/`}${name}`;
  }

  putRule(input: RuleInput, accountId: string): StoredRule {
    const bus = this.authorizedBus(input.eventBusName, accountId, 'events:PutRule');
    if (!input.eventPattern && !input.scheduleExpression)
      throw validationError('Parameter(s) EventPattern or ScheduleExpression must be specified.');
    if (input.scheduleExpression && bus.name !== 'default')
      throw validationError('ScheduleExpression is supported only on the default event bus.');
    const pattern = input.eventPattern ? EventPattern.parse(input.eventPattern) : undefined;
    const arn = this.ruleArn(bus, input.name);
    const existing = this.rules.get(arn);
    // PutRule replaces the rule: omitted fields are cleared; the targets stay.
    const rule: StoredRule = {
      name: input.name,
      arn,
      accountId: bus.accountId,
      eventBusName: bus.name,
      eventPattern: input.eventPattern,
      scheduleExpression: input.scheduleExpression,
      state: input.state ?? 'ENABLED',
      description: input.description,
      roleArn: input.roleArn,
      createdBy: existing?.createdBy ?? accountId,
      targets: existing?.targets ?? [],
    };
    this.rules.set(arn, rule);
    if (pattern) this.patterns.set(arn, pattern);
    else this.patterns.delete(arn);
    this.saveResources();
    return rule;
  }

  rule(name: string, eventBusName: string | undefined, accountId: string): StoredRule {
    const bus = this.authorizedBus(eventBusName, accountId, 'events:DescribeRule');
    const rule = this.rules.get(this.ruleArn(bus, name));
    if (!rule) throw new EventBridgeApiError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${bus.name}.`);
    return rule;
  }

  listRules(eventBusName: string | undefined, accountId: string, namePrefix?: string): StoredRule[] {
    const bus = this.authorizedBus(eventBusName, accountId, 'events:ListRules');
    return this.rulesOn(bus).filter((rule) => !namePrefix || rule.name.startsWith(namePrefix));
  }

  deleteRule(name: string, eventBusName: string | undefined, accountId: string): void {
    const bus = this.authorizedBus(eventBusName, accountId, 'events:DeleteRule');
    const rule = this.rules.get(this.ruleArn(bus, name));
    if (!rule) return;
    if (rule.targets.length > 0) throw validationError("Rule can't be deleted since it has targets.");
    this.rules.delete(rule.arn);
    this.patterns.delete(rule.arn);
    this.saveResources();
  }

  setRuleState(name: string, eventBusName: string | undefined, accountId: string, state: 'ENABLED' | 'DISABLED'): void {
    const rule = this.rule(name, eventBusName, accountId);
    rule.state = state;
    this.saveResources();
  }

  putTargets(ruleName: string, eventBusName: string | undefined, accountId: string, targets: StoredTarget[]): void {
    const rule = this.rule(ruleName, eventBusName, accountId);
    for (const target of targets) {
      const targetBus = BUS_ARN.exec(target.arn);
      if (targetBus && targetBus[2] !== rule.accountId && (target.input !== undefined || target.inputPath !== undefined)) {
        throw validationError(
          'Input, InputPath and InputTransformer are not available when the target is an event bus of a different account.',
        );
      }
    }
    const merged = new Map(rule.targets.map((target) => [target.id, target]));
    for (const target of targets) {
      const previous = merged.get(target.id);
      // AWS: a PutTargets without a role on the same Id and Arn keeps a cross-account bus target's role.
      const roleArn =
        target.roleArn ?? (previous && previous.arn === target.arn && BUS_ARN.test(target.arn) ? previous.roleArn : undefined);
      merged.set(target.id, { ...target, roleArn });
    }
    if (merged.size > 5)
      throw new EventBridgeApiError(
        'LimitExceededException',
        'The requested resource exceeds the maximum number allowed: a rule can have up to 5 targets.',
      );
    rule.targets = [...merged.values()];
    this.saveResources();
  }

  removeTargets(ruleName: string, eventBusName: string | undefined, accountId: string, ids: string[]): void {
    const rule = this.rule(ruleName, eventBusName, accountId);
    rule.targets = rule.targets.filter((target) => !ids.includes(target.id));
    this.saveResources();
  }

  // ---- events ------------------------------------------------------------------

  /**
   * Accepts events and answers per entry; every matching (rule, target) pair is written
   * to disk (with a data folder) before this returns, and delivered afterwards.
   */
  putEvents(entries: IncomingEvent[], callerAccountId: string): PutEventsResult[] {
    return entries.map((entry) => {
      const bus = this.findEventBus(entry.eventBusName, callerAccountId);
      if (!bus)
        return {
          ErrorCode: 'ResourceNotFoundException',
          ErrorMessage: `Event bus ${this.parseBusReference(entry.eventBusName, callerAccountId).name} does not exist.`,
        };
      if (bus.accountId !== callerAccountId) {
        const allowed = busPolicyAllows(bus.policy, {
          action: 'events:PutEvents',
          principalAccount: callerAccountId,
          resourceArn: bus.arn,
          context: { 'aws:principalaccount': callerAccountId, 'events:source': entry.source, 'events:detail-type': entry.detailType },
        });
        if (!allowed) {
          return {
            ErrorCode: 'AccessDeniedException',
            ErrorMessage: `User: arn:aws:iam::${callerAccountId}:root is not authorized to perform: events:PutEvents on resource: ${bus.arn} because no resource-based policy allows the events:PutEvents action`,
          };
        }
      }
      const event: EventEnvelope = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.detailType,
        source: entry.source,
        account: callerAccountId,
        time: (entry.time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: this.region,
        resources: entry.resources,
        detail: entry.detail,
      };
      this.ingest(event, bus, false);
      return { EventId: event.id };
    });
  }

  /** Successful deliveries, oldest first (the last 10,000). */
  deliveries(): readonly DeliveryRecord[] {
    return this.delivered;
  }

  /** Deliveries given up on, oldest first (the last 10,000). */
  failedDeliveries(): readonly FailedDeliveryRecord[] {
    return this.failed;
  }

  /** Deliveries not yet finished (waiting for an attempt or a retry). */
  pendingDeliveries(): PendingDelivery[] {
    return [...this.pending.values()];
  }

  /** Resolves once nothing is pending, polling; rejects after `timeoutMs`. */
  async settled(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0) {
      if (Date.now() > deadline) throw new Error(`EventBridge deliveries still pending after ${timeoutMs} ms: ${this.pending.size}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private ingest(event: EventEnvelope, bus: StoredEventBus, forwarded: boolean): void {
    const now = Date.now();
    const created: PendingDelivery[] = [];
    for (const rule of this.rulesOn(bus)) {
      if (rule.state === 'DISABLED') continue;
      const pattern = this.patterns.get(rule.arn);
      if (!pattern?.matches(event as unknown as JsonValue)) continue;
      for (const target of rule.targets) {
        created.push({
          id: randomUUID(),
          event,
          busArn: bus.arn,
          ruleArn: rule.arn,
          target,
          forwarded,
          attempts: 0,
          acceptedAt: now,
          nextAttemptAt: now,
        });
      }
    }
    for (const delivery of created) {
      this.store.savePending(delivery);
      this.pending.set(delivery.id, delivery);
    }
    if (this.running) for (const delivery of created) this.schedule(delivery);
  }

  private schedule(delivery: PendingDelivery): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(delivery.id);
        void this.attempt(delivery);
      },
      Math.max(0, Math.min(delivery.nextAttemptAt - Date.now(), 2_147_483_647)),
    );
    this.timers.set(delivery.id, timer);
  }

  private async attempt(delivery: PendingDelivery): Promise<void> {
    delivery.attempts += 1;
    let payload: unknown;
    try {
      payload = await this.deliver(delivery);
    } catch (error) {
      if (this.closed) return;
      this.failedAttempt(delivery, error);
      return;
    }
    if (this.closed) return;
    this.finish(delivery);
    this.keep(this.delivered, {
      deliveryId: delivery.id,
      event: delivery.event,
      busArn: delivery.busArn,
      ruleArn: delivery.ruleArn,
      targetId: delivery.target.id,
      targetArn: delivery.target.arn,
      attempts: delivery.attempts,
      payload,
      deliveredAt: Date.now(),
    });
  }

  private async deliver(delivery: PendingDelivery): Promise<unknown> {
    const { target } = delivery;
    const targetBus = BUS_ARN.exec(target.arn);
    if (targetBus) {
      this.forward(delivery, targetBus[2] as string, targetBus[3] as string);
      return delivery.event;
    }
    if (/^arn:aws[\w-]*:lambda:/.test(target.arn)) {
      const payload = payloadFor(delivery);
      try {
        await this.options.invoke(target.arn, payload);
      } catch (error) {
        if ((error as { name?: unknown } | null)?.name === 'ResourceNotFoundException') {
          throw new PermanentDeliveryError('ResourceNotFound', `Function not found: ${target.arn}`, { cause: error });
        }
        throw error;
      }
      return payload;
    }
    throw new PermanentDeliveryError(
      'UnsupportedTarget',
      `The sandbox delivers to Lambda functions and event buses only, not ${target.arn}.`,
    );
  }

  /** Puts the event, with its original envelope, on another bus, if that bus's policy admits the sender. */
  private forward(delivery: PendingDelivery, targetAccount: string, targetName: string): void {
    if (delivery.forwarded) {
      throw new PermanentDeliveryError(
        'NotForwardedAgain',
        'EventBridge does not route an event received from another event bus on to a third event bus.',
      );
    }
    const rule = this.rules.get(delivery.ruleArn);
    const senderAccount = rule?.accountId ?? delivery.event.account;
    const bus =
      this.buses.get(this.busArn(targetAccount, targetName)) ??
      (targetName === 'default' ? this.findEventBus('default', targetAccount) : undefined);
    if (!bus) throw new PermanentDeliveryError('ResourceNotFound', `Event bus ${targetName} does not exist in account ${targetAccount}.`);
    if (bus.accountId !== senderAccount) {
      const allowed = busPolicyAllows(bus.policy, {
        action: 'events:PutEvents',
        principalAccount: senderAccount,
        principalRoleArn: delivery.target.roleArn,
        resourceArn: bus.arn,
        context: {
          'aws:principalaccount': senderAccount,
          'aws:sourceaccount': senderAccount,
          'aws:sourcearn': delivery.ruleArn,
          'events:source': delivery.event.source,
          'events:detail-type': delivery.event['detail-type'],
        },
      });
      if (!allowed)
        throw new PermanentDeliveryError(
          'AccessDenied',
          `The policy of event bus ${bus.arn} does not allow events:PutEvents for account ${senderAccount}.`,
        );
    }
    this.ingest(delivery.event, bus, true);
  }

  private failedAttempt(delivery: PendingDelivery, error: unknown): void {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    delivery.lastError = message;
    const retryPolicy = retryPolicyOf(delivery.target);
    const nextDelay = this.retryDelayMs(delivery.attempts);
    const maximumAgeMs = retryPolicy.maximumEventAgeInSeconds * 1000 * this.timeScale;
    let errorCode: FailedDeliveryRecord['errorCode'] | undefined;
    if (error instanceof PermanentDeliveryError) errorCode = error.errorCode;
    else if (delivery.attempts > retryPolicy.maximumRetryAttempts) errorCode = 'RetriesExhausted';
    else if (Date.now() + nextDelay - delivery.acceptedAt > maximumAgeMs) errorCode = 'MaximumEventAgeExceeded';
    if (errorCode) {
      this.options.log?.(
        `eventbridge: gave up delivering ${delivery.event.id} to ${delivery.target.arn} after ${delivery.attempts} attempt(s): ${message}`,
      );
      this.finish(delivery);
      this.keep(this.failed, {
        deliveryId: delivery.id,
        event: delivery.event,
        busArn: delivery.busArn,
        ruleArn: delivery.ruleArn,
        targetId: delivery.target.id,
        targetArn: delivery.target.arn,
        attempts: delivery.attempts,
        errorCode,
        errorMessage: error instanceof Error ? error.message : String(error),
        failedAt: Date.now(),
      });
      return;
    }
    delivery.nextAttemptAt = Date.now() + nextDelay;
    this.store.savePending(delivery);
    this.schedule(delivery);
  }

  /** Exponential back-off with "equal jitter", time-scaled. */
  private retryDelayMs(attemptsMade: number): number {
    const exponential = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(attemptsMade - 1, 30));
    return (exponential / 2 + (this.random() * exponential) / 2) * this.timeScale;
  }

  private finish(delivery: PendingDelivery): void {
    this.pending.delete(delivery.id);
    this.store.removePending(delivery.id);
  }

  private keep<T>(records: T[], record: T): void {
    records.push(record);
    if (records.length > KEPT_RECORDS) records.splice(0, records.length - KEPT_RECORDS);
  }

  private rulesOn(bus: StoredEventBus): StoredRule[] {
    return [...this.rules.values()]
      .filter((rule) => rule.accountId === bus.accountId && rule.eventBusName === bus.name)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  private parseBusReference(nameOrArn: string | undefined, accountId: string): { busAccount: string; name: string } {
    const arn = nameOrArn ? BUS_ARN.exec(nameOrArn) : null;
    if (arn) return { busAccount: arn[2] as string, name: arn[3] as string };
    return { busAccount: accountId, name: nameOrArn || 'default' };
  }

  /** A bus in the caller's account, or in another account whose bus policy allows the action. */
  private authorizedBus(nameOrArn: string | undefined, accountId: string, action: string): StoredEventBus {
    const bus = this.eventBus(nameOrArn, accountId);
    if (
      bus.accountId !== accountId &&
      !busPolicyAllows(bus.policy, {
        action,
        principalAccount: accountId,
        resourceArn: bus.arn,
        context: { 'aws:principalaccount': accountId },
      })
    ) {
      throw new EventBridgeApiError(
        'AccessDeniedException',
        `User: arn:aws:iam::${accountId}:root is not authorized to perform: ${action} on resource: ${bus.arn} because no resource-based policy allows the ${action} action`,
      );
    }
    return bus;
  }

  private saveResources(): void {
    this.store.saveResources({ buses: [...this.buses.values()], rules: [...this.rules.values()] });
  }
}

export function retryPolicyOf(target: StoredTarget): StoredRetryPolicy {
  return {
    maximumRetryAttempts: target.retryPolicy?.MaximumRetryAttempts ?? DEFAULT_RETRY_POLICY.maximumRetryAttempts,
    maximumEventAgeInSeconds: target.retryPolicy?.MaximumEventAgeInSeconds ?? DEFAULT_RETRY_POLICY.maximumEventAgeInSeconds,
  };
}

/** The event, or the target's constant Input, or the part of the event its InputPath selects. */
function payloadFor(delivery: PendingDelivery): unknown {
  const { target, event } = delivery;
  if (target.input !== undefined) return JSON.parse(target.input) as unknown;
  if (target.inputPath !== undefined) {
    let value: unknown = event;
    for (const key of target.inputPath
      .replace(/^\$\.?/, '')
      .split('.')
      .filter(Boolean)) {
      value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
    }
    return value;
  }
  return event;
}
