import { EventPattern, type JsonValue } from '../../../local/eventbridge';

// Events and patterns from the EventBridge user guide ("Event patterns", "Content filtering",
// "Arrays", "Matching null values and empty strings", "Comparison operators").
const EC2_EVENT = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

const matches = (pattern: object, event: object) => EventPattern.parse(JSON.stringify(pattern)).matches(event as JsonValue);
const withDetail = (detail: object, extra: object = {}) => ({ ...EC2_EVENT, ...extra, detail });

describe('EventBridge event patterns', () => {
  it('matches the guide EC2 termination pattern on source, detail-type and a nested detail field', () => {
    const pattern = { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated'] } };
    expect(matches(pattern, EC2_EVENT)).toBe(true);
    expect(matches(pattern, withDetail({ state: 'running' }))).toBe(false);
    expect(matches({ ...pattern, account: ['222222222222'] }, EC2_EVENT)).toBe(false);
  });

  it('ORs the values of an array and requires every field named in the pattern', () => {
    expect(matches({ source: ['aws.ec2', 'aws.fargate'] }, EC2_EVENT)).toBe(true);
    expect(matches({ source: ['aws.fargate'] }, EC2_EVENT)).toBe(false);
    expect(matches({ detail: { missing: ['x'] } }, EC2_EVENT)).toBe(false);
  });

  it('matches case-sensitively, character by character', () => {
    expect(matches({ detail: { state: ['Terminated'] } }, EC2_EVENT)).toBe(false);
  });

  it('matches when the pattern array and an event array intersect', () => {
    const pattern = {
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f', 'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f'],
    };
    const event = {
      ...EC2_EVENT,
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };
    expect(matches(pattern, event)).toBe(true);
    expect(matches(pattern, EC2_EVENT)).toBe(false);
  });

  it('tells null from the empty string', () => {
    const event = withDetail({ eventVersion: '', responseElements: null });
    expect(matches({ detail: { eventVersion: [''] } }, event)).toBe(true);
    expect(matches({ detail: { responseElements: [null] } }, event)).toBe(true);
    expect(matches({ detail: { responseElements: [''] } }, event)).toBe(false);
    expect(matches({ detail: { eventVersion: [null] } }, event)).toBe(false);
  });

  it('matches numbers and booleans by value', () => {
    const event = withDetail({ 'risk-score': 80, trigger: { risk: 8 }, enabled: true });
    expect(matches({ detail: { 'risk-score': [80], trigger: { risk: [8] } } }, event)).toBe(true);
    expect(matches({ detail: { 'risk-score': ['80'] } }, event)).toBe(false);
    expect(matches({ detail: { enabled: [true] } }, event)).toBe(true);
  });

  it('prefix matches the start of a string value, and ignores case when asked', () => {
    expect(matches({ time: [{ prefix: '2017-12-22' }] }, EC2_EVENT)).toBe(true);
    expect(matches({ time: [{ prefix: '2017-10-02' }] }, EC2_EVENT)).toBe(false);
    expect(matches({ detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } }, withDetail({ service: 'eventbridge' }))).toBe(
      true,
    );
    expect(matches({ detail: { count: [{ prefix: '1' }] } }, withDetail({ count: 12 }))).toBe(false);
  });

  it('suffix matches the end of a string value, and ignores case when asked', () => {
    expect(matches({ detail: { FileName: [{ suffix: '.png' }] } }, withDetail({ FileName: 'photo.png' }))).toBe(true);
    expect(matches({ detail: { FileName: [{ suffix: '.png' }] } }, withDetail({ FileName: 'photo.PNG' }))).toBe(false);
    expect(matches({ detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, withDetail({ FileName: 'photo.PNG' }))).toBe(
      true,
    );
  });

  it('equals-ignore-case matches any casing', () => {
    expect(matches({ detail: { name: [{ 'equals-ignore-case': 'alice' }] } }, withDetail({ name: 'ALICE' }))).toBe(true);
    expect(matches({ detail: { name: [{ 'equals-ignore-case': 'alice' }] } }, withDetail({ name: 'alicia' }))).toBe(false);
  });

  it('anything-but excludes a value, a list of strings or numbers, a prefix, a suffix, a casing or a wildcard', () => {
    expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, withDetail({ state: 'running' }))).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, withDetail({ state: 'initializing' }))).toBe(false);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, withDetail({ 'x-limit': 124 }))).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, withDetail({ state: 'overloaded' }))).toBe(
      false,
    );
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, withDetail({ 'x-limit': 200 }))).toBe(false);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, withDetail({ 'x-limit': 250 }))).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, withDetail({ state: 'initializing' }))).toBe(false);
    expect(matches({ detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, withDetail({ state: 'running' }))).toBe(true);
    expect(matches({ source: [{ 'anything-but': { prefix: 'aws.' } }] }, EC2_EVENT)).toBe(false);
    expect(matches({ detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } }, withDetail({ FileName: 'a.png' }))).toBe(false);
    expect(
      matches({ detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } }, withDetail({ state: 'INITIALIZING' })),
    ).toBe(false);
    expect(matches({ detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }, withDetail({ FilePath: 'dir/lib/file' }))).toBe(
      false,
    );
    expect(matches({ detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }, withDetail({ FilePath: 'dir/bin/file' }))).toBe(
      true,
    );
  });

  it('anything-but does not match a field the event lacks', () => {
    expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, withDetail({}))).toBe(false);
  });

  it('numeric matches every comparison of the guide example, on JSON numbers only', () => {
    const pattern = {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    };
    expect(matches(pattern, withDetail({ 'c-count': 5, 'd-count': 9.5, 'x-limit': 301.8 }))).toBe(true);
    expect(matches(pattern, withDetail({ 'c-count': 0, 'd-count': 9, 'x-limit': 301.8 }))).toBe(false);
    expect(matches(pattern, withDetail({ 'c-count': 3, 'd-count': 10, 'x-limit': 301.8 }))).toBe(false);
    expect(matches(pattern, withDetail({ 'c-count': '3', 'd-count': 9, 'x-limit': 301.8 }))).toBe(false);
  });

  it('exists true needs the leaf field; exists false holds when it is absent or not a leaf', () => {
    const absent = { detail: { 'c-count': [{ exists: false }] } };
    expect(matches(absent, withDetail({ state: ['initializing', 'running'] }))).toBe(true);
    expect(matches(absent, withDetail({ state: ['initializing', 'running'], 'c-count': { c1: 100 } }))).toBe(true);
    expect(matches(absent, withDetail({ 'c-count': 3 }))).toBe(false);
    expect(matches({ detail: { description: [{ exists: true }] } }, withDetail({ description: 'text' }))).toBe(true);
    expect(matches({ detail: { description: [{ exists: true }] } }, withDetail({}))).toBe(false);
  });

  it('wildcard matches any run of characters where the pattern has *', () => {
    const pattern = { detail: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] } };
    expect(matches(pattern, withDetail({ EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/orders' }))).toBe(true);
    expect(matches(pattern, withDetail({ EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/orders' }))).toBe(false);
    expect(matches({ detail: { path: [{ wildcard: 'a\\*b' }] } }, withDetail({ path: 'a*b' }))).toBe(true);
    expect(matches({ detail: { path: [{ wildcard: 'a\\*b' }] } }, withDetail({ path: 'axxb' }))).toBe(false);
  });

  it('cidr matches IPv4 addresses inside the block', () => {
    const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };
    expect(matches(pattern, withDetail({ sourceIPAddress: '10.0.0.255' }))).toBe(true);
    expect(matches(pattern, withDetail({ sourceIPAddress: '10.0.1.0' }))).toBe(false);
  });

  it('$or matches when any of its sub-patterns does, at the top level and inside detail', () => {
    const nested = {
      detail: {
        $or: [
          { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
          { 'd-count': [{ numeric: ['<', 10] }] },
          { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
        ],
      },
    };
    expect(matches(nested, withDetail({ 'd-count': 3 }))).toBe(true);
    expect(matches(nested, withDetail({ 'c-count': 9, 'd-count': 30 }))).toBe(false);
    const top = {
      source: ['aws.ec2'],
      $or: [{ 'detail-type': ['EC2 Instance State-change Notification'] }, { account: ['999999999999'] }],
    };
    expect(matches(top, EC2_EVENT)).toBe(true);
    expect(matches({ ...top, source: ['aws.s3'] }, EC2_EVENT)).toBe(false);
  });

  it('refuses patterns EventBridge refuses, as InvalidEventPatternException', () => {
    for (const bad of [
      '[]',
      '{"source": "aws.ec2"}',
      '{"detail": {"n": [{"numeric": ["<", "ten"]}]}}',
      '{"a": [{"unknown-op": 1}]}',
      '{"a": [{"wildcard": "a**b"}]}',
      '{"a": [{"exists": "yes"}]}',
      'not json',
    ]) {
      expect(() => EventPattern.parse(bad)).toThrow(expect.objectContaining({ type: 'InvalidEventPatternException' }));
    }
  });
});
