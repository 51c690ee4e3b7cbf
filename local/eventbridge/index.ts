/** The sandbox's Amazon EventBridge: engine, JSON 1.1 endpoint, template deployment and event patterns. */
export {
  LocalEventBridge,
  DEFAULT_RETRY_POLICY,
  type LocalEventBridgeOptions,
  type DeliveryRecord,
  type FailedDeliveryRecord,
  type IncomingEvent,
  type PutEventsResult,
  type RuleInput,
  type EventEnvelope,
  type PendingDelivery,
  type StoredEventBus,
  type StoredRule,
  type StoredTarget,
} from './local-eventbridge';
export { startEventBridgeEndpoint, type EventBridgeEndpoint } from './eventbridge-endpoint';
export { runEventBridgeOperation, putEventsEntrySize } from './eventbridge-operations';
export { deployTemplateEvents, deployTemplateEventBuses, deployTemplateEventRules, TemplateEventsError } from './template-events';
export { EventPattern, type JsonValue } from './event-pattern';
export {
  busPolicyAllows,
  busPolicyOf,
  MalformedBusPolicyError,
  type BusPolicy,
  type BusPolicyStatement,
  type BusAuthorization,
} from './bus-policy';
export { EventBridgeApiError } from './eventbridge-errors';
