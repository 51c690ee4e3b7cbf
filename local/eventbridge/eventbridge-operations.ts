import { busPolicyOf, MalformedBusPolicyError, type BusPolicyStatement } from './bus-policy';
import { EventPattern, type JsonValue } from './event-pattern';
import { constraintError, EventBridgeApiError, validationError } from './eventbridge-errors';
import type { StoredEventBus, StoredRule, StoredTarget } from './eventbridge-store';
import type { IncomingEvent, LocalEventBridge, PutEventsResult } from './local-eventbridge';

type Body = Record<string, unknown>;
type Operation = (engine: LocalEventBridge, body: Body, accountId: string) => unknown;

/** Shape constraints of the botocore `events` model that the sandbox checks. */
const RULE_NAME = { pattern: /^[.\-_A-Za-z0-9]+$/, patternText: '[\\.\\-_A-Za-z0-9]+', max: 64 };
const BUS_NAME = { pattern: /^[/.\-_A-Za-z0-9]+$/, patternText: '[/\\.\\-_A-Za-z0-9]+', max: 256 };
const NON_PARTNER_BUS_NAME = { pattern: /^[.\-_A-Za-z0-9]+$/, patternText: '[\\.\\-_A-Za-z0-9]+', max: 256 };
const BUS_NAME_OR_ARN = {
  pattern: /^(arn:aws[\w-]*:events:[a-z]{2}-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[/.\-_A-Za-z0-9]+$/,
  patternText: '(arn:aws[\\w-]*:events:[a-z]{2}-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[/\\.\\-_A-Za-z0-9]+',
  max: 1600,
};
const TARGET_ID = { pattern: /^[.\-_A-Za-z0-9]+$/, patternText: '[\\.\\-_A-Za-z0-9]+', max: 64 };
const STATEMENT_ID = { pattern: /^[a-zA-Z0-9-_]+$/, patternText: '[a-zA-Z0-9-_]+', max: 64 };
const MAX_ENTRY_BYTES = 256 * 1024;
const RULE_STATES = ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'] as const;

function named(value: unknown, member: string, shape: { pattern: RegExp; patternText: string; max: number }, required: true): string;
function named(
  value: unknown,
  member: string,
  shape: { pattern: RegExp; patternText: string; max: number },
  required?: false,
): string | undefined;
function named(
  value: unknown,
  member: string,
  shape: { pattern: RegExp; patternText: string; max: number },
  required = false,
): string | undefined {
  if (value === undefined || value === null) {
    if (required) throw constraintError(null, member, 'Member must not be null');
    return undefined;
  }
  if (typeof value !== 'string') throw constraintError(value, member, 'Member must be a string');
  if (value.length < 1 || value.length > shape.max)
    throw constraintError(value, member, `Member must have length between 1 and ${shape.max}`);
  if (!shape.pattern.test(value))
    throw constraintError(value, member, `Member must satisfy regular expression pattern: ${shape.patternText}`);
  return value;
}

function text(value: unknown, member: string, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw constraintError(value, member, 'Member must be a string');
  if (value.length > max) throw constraintError(value, member, `Member must have length less than or equal to ${max}`);
  return value;
}

function list(value: unknown, member: string, min: number, max: number): unknown[] {
  if (!Array.isArray(value)) throw constraintError(value ?? null, member, 'Member must not be null');
  if (value.length < min || value.length > max)
    throw constraintError(
      value,
      member,
      `Member must have length ${value.length < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`}`,
    );
  return value;
}

function limitOf(value: unknown): number {
  if (value === undefined || value === null) return 100;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 100)
    throw constraintError(value, 'limit', 'Member must have value between 1 and 100');
  return value;
}

/** NextToken is the offset of the next page, which is all a sandbox needs. */
function page<T>(items: T[], body: Body): { items: T[]; nextToken?: string } {
  const limit = limitOf(body.Limit);
  const offset = typeof body.NextToken === 'string' ? Number.parseInt(body.NextToken, 10) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw validationError('The NextToken is not valid.');
  const slice = items.slice(offset, offset + limit);
  return { items: slice, nextToken: offset + limit < items.length ? String(offset + limit) : undefined };
}

const seconds = (epochMs: number): number => epochMs / 1000;

function busShape(bus: StoredEventBus): Body {
  return {
    Name: bus.name,
    Arn: bus.arn,
    ...(bus.description !== undefined ? { Description: bus.description } : {}),
    ...(bus.policy ? { Policy: JSON.stringify(bus.policy) } : {}),
    CreationTime: seconds(bus.creationTime),
    LastModifiedTime: seconds(bus.lastModifiedTime),
  };
}

function ruleShape(rule: StoredRule): Body {
  return {
    Name: rule.name,
    Arn: rule.arn,
    ...(rule.eventPattern !== undefined ? { EventPattern: rule.eventPattern } : {}),
    ...(rule.scheduleExpression !== undefined ? { ScheduleExpression: rule.scheduleExpression } : {}),
    State: rule.state,
    ...(rule.description !== undefined ? { Description: rule.description } : {}),
    ...(rule.roleArn !== undefined ? { RoleArn: rule.roleArn } : {}),
    EventBusName: rule.eventBusName,
  };
}

function targetShape(target: StoredTarget): Body {
  return {
    Id: target.id,
    Arn: target.arn,
    ...(target.roleArn !== undefined ? { RoleArn: target.roleArn } : {}),
    ...(target.input !== undefined ? { Input: target.input } : {}),
    ...(target.inputPath !== undefined ? { InputPath: target.inputPath } : {}),
    ...(target.retryPolicy ? { RetryPolicy: target.retryPolicy } : {}),
    ...(target.deadLetterArn !== undefined ? { DeadLetterConfig: { Arn: target.deadLetterArn } } : {}),
  };
}

/** A Target of PutTargets (or a template's Targets), checked against the model. */
export function targetOf(value: unknown, index: number): StoredTarget {
  if (typeof value !== 'object' || value === null)
    throw constraintError(value ?? null, `targets.${index + 1}.member`, 'Member must not be null');
  const target = value as Body;
  const member = `targets.${index + 1}.member`;
  const arn = text(target.Arn, `${member}.arn`, 1600);
  if (!arn) throw constraintError(null, `${member}.arn`, 'Member must not be null');
  const input = text(target.Input, `${member}.input`, 8192);
  const inputPath = text(target.InputPath, `${member}.inputPath`, 256);
  if ([input, inputPath, target.InputTransformer].filter((item) => item !== undefined).length > 1) {
    throw validationError('Only one of Input, InputPath, or InputTransformer can be specified for a target.');
  }
  if (target.InputTransformer !== undefined)
    throw validationError('The sandbox does not support InputTransformer; use Input or InputPath.');
  if (input !== undefined) {
    try {
      JSON.parse(input);
    } catch (error) {
      throw new EventBridgeApiError('ValidationException', `Input for target ${String(target.Id)} is not valid JSON text.`, {
        cause: error,
      });
    }
  }
  if (inputPath !== undefined && !/^\$(\.[^.[\]]+)*$/.test(inputPath))
    throw validationError(
      `InputPath for target ${String(target.Id)} is not a valid JSON path (the sandbox takes dot notation: $.detail.field).`,
    );
  const retryPolicy = target.RetryPolicy as { MaximumRetryAttempts?: unknown; MaximumEventAgeInSeconds?: unknown } | undefined;
  const attempts = retryPolicy?.MaximumRetryAttempts;
  const age = retryPolicy?.MaximumEventAgeInSeconds;
  if (attempts !== undefined && (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 0 || attempts > 185)) {
    throw constraintError(attempts, `${member}.retryPolicy.maximumRetryAttempts`, 'Member must have value between 0 and 185');
  }
  if (age !== undefined && (typeof age !== 'number' || !Number.isInteger(age) || age < 60 || age > 86_400)) {
    throw constraintError(age, `${member}.retryPolicy.maximumEventAgeInSeconds`, 'Member must have value between 60 and 86400');
  }
  const deadLetter = (target.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn;
  return {
    id: named(target.Id, `${member}.id`, TARGET_ID, true),
    arn,
    roleArn: text(target.RoleArn, `${member}.roleArn`, 1600),
    input,
    inputPath,
    retryPolicy: retryPolicy
      ? { MaximumRetryAttempts: attempts as number | undefined, MaximumEventAgeInSeconds: age as number | undefined }
      : undefined,
    deadLetterArn: typeof deadLetter === 'string' ? deadLetter : undefined,
  };
}

/** The entry size as the user guide's "Calculating PutEvents event entry size" counts it. */
export function putEventsEntrySize(entry: Body): number {
  const bytes = (value: unknown) => (typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0);
  let size = entry.Time !== undefined && entry.Time !== null ? 14 : 0;
  size += bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail);
  if (Array.isArray(entry.Resources)) for (const resource of entry.Resources) size += bytes(resource);
  return size;
}

type CheckedEntry = { event: IncomingEvent } | { error: PutEventsResult };

function checkedEntry(value: unknown, index: number): CheckedEntry {
  const entry = (typeof value === 'object' && value !== null ? value : {}) as Body;
  const failure = (code: string, message: string): CheckedEntry => ({ error: { ErrorCode: code, ErrorMessage: message } });
  const eventBusName = named(entry.EventBusName, `entries.${index + 1}.member.eventBusName`, BUS_NAME_OR_ARN);
  for (const field of ['Source', 'DetailType', 'Detail'] as const) {
    if (typeof entry[field] !== 'string' || entry[field] === '')
      return failure('InvalidArgument', `Parameter ${field} is not valid. Reason: ${field} is a required argument.`);
  }
  const source = entry.Source as string;
  const detailType = entry.DetailType as string;
  if (detailType.length > 128)
    return failure('InvalidArgument', 'Parameter DetailType is not valid. Reason: DetailType is longer than 128 characters.');
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail as string);
  } catch {
    return failure('MalformedDetail', 'Detail is malformed.');
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return failure('MalformedDetail', 'Detail is malformed.');
  const resources = entry.Resources ?? [];
  if (!Array.isArray(resources) || !resources.every((resource) => typeof resource === 'string' && resource.length <= 2048)) {
    return failure(
      'InvalidArgument',
      'Parameter Resources is not valid. Reason: Resources must be a list of strings of up to 2048 characters.',
    );
  }
  let time: Date | undefined;
  if (entry.Time !== undefined && entry.Time !== null) {
    time =
      typeof entry.Time === 'number'
        ? new Date(entry.Time * 1000)
        : typeof entry.Time === 'string'
          ? new Date(entry.Time)
          : new Date(Number.NaN);
    if (Number.isNaN(time.getTime())) return failure('InvalidArgument', 'Parameter Time is not valid.');
  }
  return { event: { source, detailType, detail: detail as JsonValue, eventBusName, resources: resources as string[], time } };
}

function putEvents(engine: LocalEventBridge, body: Body, accountId: string): Body {
  const entries = list(body.Entries, 'entries', 1, 10);
  for (const entry of entries) {
    if (typeof entry === 'object' && entry !== null && putEventsEntrySize(entry as Body) > MAX_ENTRY_BYTES) {
      throw validationError('Total size of the entries in the request is over the limit.');
    }
  }
  const checked = entries.map(checkedEntry);
  // AWS: "If you submit a request in which none of the entries have each of these properties, EventBridge fails the entire request."
  if (checked.every((entry) => 'error' in entry)) {
    const first = checked[0] as { error: { ErrorMessage: string } };
    throw validationError(first.error.ErrorMessage);
  }
  const accepted = engine.putEvents(
    checked.flatMap((entry) => ('event' in entry ? [entry.event] : [])),
    accountId,
  );
  let next = 0;
  const results = checked.map((entry) => ('event' in entry ? (accepted[next++] as PutEventsResult) : entry.error));
  return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
}

function eventPatternText(value: unknown, required: boolean): string | undefined {
  const pattern = text(value, 'eventPattern', 4096);
  if (pattern === undefined && required) throw constraintError(null, 'eventPattern', 'Member must not be null');
  if (pattern !== undefined) EventPattern.parse(pattern);
  return pattern;
}

const TEST_EVENT_FIELDS = ['id', 'account', 'source', 'time', 'region', 'resources', 'detail-type'];

function testEventPattern(body: Body): Body {
  const pattern = EventPattern.parse(eventPatternText(body.EventPattern, true) as string);
  if (typeof body.Event !== 'string') throw constraintError(null, 'event', 'Member must not be null');
  let event: unknown;
  try {
    event = JSON.parse(body.Event);
  } catch (error) {
    throw new EventBridgeApiError('ValidationException', 'Parameter Event is not valid.', { cause: error });
  }
  const missing = typeof event === 'object' && event !== null ? TEST_EVENT_FIELDS.filter((field) => !(field in event)) : TEST_EVENT_FIELDS;
  if (missing.length > 0) throw validationError(`Parameter Event is not valid. Reason: the event has no ${missing.join(', ')}.`);
  return { Result: pattern.matches(event as JsonValue) };
}

function permissionStatement(body: Body, bus: StoredEventBus): BusPolicyStatement {
  const action = text(body.Action, 'action', 64);
  const principal = text(body.Principal, 'principal', 12);
  const statementId = named(body.StatementId, 'statementId', STATEMENT_ID);
  if (!action || !principal || !statementId)
    throw validationError('Parameter(s) Action, Principal and StatementId must be specified, unless Policy is.');
  if (!/^events:[a-zA-Z]+$/.test(action))
    throw constraintError(action, 'action', 'Member must satisfy regular expression pattern: events:[a-zA-Z]+');
  if (!/^(\d{12}|\*)$/.test(principal))
    throw constraintError(principal, 'principal', 'Member must satisfy regular expression pattern: (\\d{12}|\\*)');
  const condition = body.Condition as { Type?: unknown; Key?: unknown; Value?: unknown } | undefined;
  if (
    condition !== undefined &&
    (typeof condition.Type !== 'string' || typeof condition.Key !== 'string' || typeof condition.Value !== 'string')
  ) {
    throw validationError('Condition must contain Type, Key and Value.');
  }
  return {
    Sid: statementId,
    Effect: 'Allow',
    Principal: principal === '*' ? '*' : { AWS: `arn:aws:iam::${principal}:root` },
    Action: action,
    Resource: bus.arn,
    ...(condition ? { Condition: { [condition.Type as string]: { [condition.Key as string]: condition.Value as string } } } : {}),
  };
}

function putPermission(engine: LocalEventBridge, body: Body, accountId: string): Body {
  const busName = named(body.EventBusName, 'eventBusName', NON_PARTNER_BUS_NAME);
  const bus = engine.eventBus(busName, accountId);
  if (body.Policy !== undefined) {
    try {
      engine.setPolicy(bus, busPolicyOf(text(body.Policy, 'policy', 1_000_000)));
    } catch (error) {
      if (error instanceof MalformedBusPolicyError) throw new EventBridgeApiError('ValidationException', error.message, { cause: error });
      throw error;
    }
    return {};
  }
  engine.putPermissionStatement(busName, accountId, permissionStatement(body, bus));
  return {};
}

function ruleInput(body: Body): Parameters<LocalEventBridge['putRule']>[0] {
  const state = body.State;
  if (state !== undefined && !RULE_STATES.includes(state as (typeof RULE_STATES)[number])) {
    throw constraintError(state, 'state', `Member must satisfy enum value set: [${RULE_STATES.join(', ')}]`);
  }
  return {
    name: named(body.Name, 'name', RULE_NAME, true),
    eventBusName: named(body.EventBusName, 'eventBusName', BUS_NAME_OR_ARN),
    eventPattern: eventPatternText(body.EventPattern, false),
    scheduleExpression: text(body.ScheduleExpression, 'scheduleExpression', 256),
    state: state as StoredRule['state'] | undefined,
    description: text(body.Description, 'description', 512),
    roleArn: text(body.RoleArn, 'roleArn', 1600),
  };
}

const busOf = (body: Body, member = 'EventBusName') =>
  named(body[member], member.charAt(0).toLowerCase() + member.slice(1), BUS_NAME_OR_ARN);

const OPERATIONS: Record<string, Operation> = {
  PutEvents: putEvents,
  TestEventPattern: (_engine, body) => testEventPattern(body),
  CreateEventBus: (engine, body, accountId) => {
    const name = named(body.Name, 'name', BUS_NAME, true);
    if (body.EventSourceName !== undefined) throw validationError('The sandbox has no partner event sources.');
    const bus = engine.createEventBus({ name, description: text(body.Description, 'description', 512) }, accountId);
    return { EventBusArn: bus.arn, ...(bus.description !== undefined ? { Description: bus.description } : {}) };
  },
  DescribeEventBus: (engine, body, accountId) => busShape(engine.eventBus(busOf(body, 'Name'), accountId)),
  ListEventBuses: (engine, body, accountId) => {
    const { items, nextToken } = page(engine.listEventBuses(accountId, named(body.NamePrefix, 'namePrefix', BUS_NAME)), body);
    return { EventBuses: items.map(busShape), ...(nextToken ? { NextToken: nextToken } : {}) };
  },
  DeleteEventBus: (engine, body, accountId) => {
    engine.deleteEventBus(named(body.Name, 'name', BUS_NAME, true), accountId);
    return {};
  },
  PutPermission: putPermission,
  RemovePermission: (engine, body, accountId) => {
    const statementId = named(body.StatementId, 'statementId', STATEMENT_ID);
    const removeAll = body.RemoveAllPermissions === true;
    if (!statementId && !removeAll) throw validationError('Parameter StatementId or RemoveAllPermissions must be specified.');
    engine.removePermission(named(body.EventBusName, 'eventBusName', NON_PARTNER_BUS_NAME), accountId, { statementId, removeAll });
    return {};
  },
  PutRule: (engine, body, accountId) => ({ RuleArn: engine.putRule(ruleInput(body), accountId).arn }),
  DescribeRule: (engine, body, accountId) => {
    const rule = engine.rule(named(body.Name, 'name', RULE_NAME, true), busOf(body), accountId);
    return { ...ruleShape(rule), CreatedBy: rule.createdBy };
  },
  ListRules: (engine, body, accountId) => {
    const { items, nextToken } = page(engine.listRules(busOf(body), accountId, named(body.NamePrefix, 'namePrefix', RULE_NAME)), body);
    return { Rules: items.map(ruleShape), ...(nextToken ? { NextToken: nextToken } : {}) };
  },
  DeleteRule: (engine, body, accountId) => {
    engine.deleteRule(named(body.Name, 'name', RULE_NAME, true), busOf(body), accountId);
    return {};
  },
  EnableRule: (engine, body, accountId) => {
    engine.setRuleState(named(body.Name, 'name', RULE_NAME, true), busOf(body), accountId, 'ENABLED');
    return {};
  },
  DisableRule: (engine, body, accountId) => {
    engine.setRuleState(named(body.Name, 'name', RULE_NAME, true), busOf(body), accountId, 'DISABLED');
    return {};
  },
  PutTargets: (engine, body, accountId) => {
    const targets = list(body.Targets, 'targets', 1, 100).map(targetOf);
    engine.putTargets(named(body.Rule, 'rule', RULE_NAME, true), busOf(body), accountId, targets);
    return { FailedEntryCount: 0, FailedEntries: [] };
  },
  ListTargetsByRule: (engine, body, accountId) => {
    const rule = engine.rule(named(body.Rule, 'rule', RULE_NAME, true), busOf(body), accountId);
    const { items, nextToken } = page(rule.targets, body);
    return { Targets: items.map(targetShape), ...(nextToken ? { NextToken: nextToken } : {}) };
  },
  RemoveTargets: (engine, body, accountId) => {
    const ids = list(body.Ids, 'ids', 1, 100).map((id, index) => named(id, `ids.${index + 1}.member`, TARGET_ID, true));
    engine.removeTargets(named(body.Rule, 'rule', RULE_NAME, true), busOf(body), accountId, ids);
    return { FailedEntryCount: 0, FailedEntries: [] };
  },
};

export const SUPPORTED_OPERATIONS: readonly string[] = Object.keys(OPERATIONS);

/** Runs one `AWSEvents.<Operation>` call for `accountId`; throws EventBridgeApiError as AWS answers it. */
export function runEventBridgeOperation(engine: LocalEventBridge, operation: string, body: Body, accountId: string): unknown {
  const run = OPERATIONS[operation];
  if (!run)
    throw new EventBridgeApiError(
      'UnknownOperationException',
      `The sandbox's EventBridge does not support ${operation || '(no operation)'}.`,
    );
  return run(engine, body, accountId);
}
