import { describe, expect, it } from 'vitest';
import { PatternError, compilePattern, matchesPattern } from '../../../lib/local/pattern/index.js';
import { type MatchCase, ec2Event, orderEvent } from './fixtures.js';

/**
 * Structure, exact values, null/empty/missing, arrays and $or. Expected values follow the AWS
 * "Event patterns", "Matching null values and empty strings", "Arrays in event patterns" and
 * "$or" documentation (and the Event Ruler README that EventBridge's matcher is built from).
 */
const structureCases: MatchCase[] = [
  // --- exact string values --------------------------------------------------------------
  { name: 'matches an exact source', pattern: { source: ['com.example.orders'] }, event: orderEvent({}), expected: true },
  { name: 'does not match a different source', pattern: { source: ['com.example.payments'] }, event: orderEvent({}), expected: false },
  {
    name: 'matches when the value is any element of the match array',
    pattern: { source: ['aws.ec2', 'aws.fargate'] },
    event: ec2Event({ state: 'running' }),
    expected: true,
  },
  {
    name: 'compares strings case-sensitively',
    pattern: { source: ['COM.EXAMPLE.ORDERS'] },
    event: orderEvent({}),
    expected: false,
  },
  {
    name: 'matches the docs EC2 termination pattern',
    pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated'] } },
    event: ec2Event({ 'instance-id': 'i-1234567890abcdef0', state: 'terminated' }),
    expected: true,
  },
  {
    name: 'fails the docs EC2 termination pattern for another state (all fields must match)',
    pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated'] } },
    event: ec2Event({ 'instance-id': 'i-1234567890abcdef0', state: 'running' }),
    expected: false,
  },
  {
    name: 'ANDs several top-level and nested fields',
    pattern: { source: ['com.example.orders'], region: ['eu-west-1'], detail: { status: ['PLACED'], currency: ['EUR'] } },
    event: orderEvent({ status: 'PLACED', currency: 'EUR' }),
    expected: true,
  },
  {
    name: 'fails the AND when one nested field differs',
    pattern: { source: ['com.example.orders'], detail: { status: ['PLACED'], currency: ['EUR'] } },
    event: orderEvent({ status: 'PLACED', currency: 'USD' }),
    expected: false,
  },
  {
    name: 'ignores event fields the pattern does not mention',
    pattern: { region: ['eu-west-1'] },
    event: orderEvent({ anything: 'goes', nested: { deep: true } }),
    expected: true,
  },
  {
    name: 'does not match when a pattern field is missing from the event',
    pattern: { detail: { customerId: ['c-1'] } },
    event: orderEvent({ orderId: 'o-1' }),
    expected: false,
  },
  {
    name: 'does not match when the nesting differs (field at the wrong level)',
    pattern: { detail: { customer: { id: ['c-1'] } } },
    event: orderEvent({ id: 'c-1' }),
    expected: false,
  },
  {
    name: 'matches deep nesting',
    pattern: { detail: { customer: { address: { country: ['DE'] } } } },
    event: orderEvent({ customer: { address: { country: 'DE', city: 'Berlin' } } }),
    expected: true,
  },
  {
    name: 'does not match a leaf pattern against an object value',
    pattern: { detail: { customer: ['c-1'] } },
    event: orderEvent({ customer: { id: 'c-1' } }),
    expected: false,
  },
  {
    name: 'does not match a nested pattern against a scalar value',
    pattern: { detail: { customer: { id: ['c-1'] } } },
    event: orderEvent({ customer: 'c-1' }),
    expected: false,
  },
  // --- numbers, booleans ---------------------------------------------------------------
  {
    name: 'matches numbers exactly (docs: risk-score 80, trigger risk 8)',
    pattern: { source: ['aws.macie'], detail: { 'risk-score': [80], trigger: { risk: [8] } } },
    event: orderEvent({ 'risk-score': 80, trigger: { risk: 8 } }, { source: 'aws.macie' }),
    expected: true,
  },
  { name: 'does not match a different number', pattern: { detail: { quantity: [5] } }, event: orderEvent({ quantity: 6 }), expected: false },
  {
    name: 'matches numbers by value: 5 matches 5.0',
    pattern: JSON.parse('{"detail":{"quantity":[5]}}') as unknown,
    event: JSON.parse('{"source":"com.example.orders","detail":{"quantity":5.0}}') as unknown,
    expected: true,
  },
  {
    name: 'matches numbers by value: 3.0e2 matches 300',
    pattern: JSON.parse('{"detail":{"limit":[3.0e2]}}') as unknown,
    event: orderEvent({ limit: 300 }),
    expected: true,
  },
  { name: 'does not match a number pattern against a numeric string', pattern: { detail: { quantity: [5] } }, event: orderEvent({ quantity: '5' }), expected: false },
  { name: 'does not match a string pattern against a number', pattern: { detail: { quantity: ['5'] } }, event: orderEvent({ quantity: 5 }), expected: false },
  { name: 'matches true', pattern: { detail: { gift: [true] } }, event: orderEvent({ gift: true }), expected: true },
  { name: 'matches false', pattern: { detail: { gift: [false] } }, event: orderEvent({ gift: false }), expected: true },
  { name: 'does not match true against the string "true"', pattern: { detail: { gift: [true] } }, event: orderEvent({ gift: 'true' }), expected: false },
  { name: 'does not match true against false', pattern: { detail: { gift: [true] } }, event: orderEvent({ gift: false }), expected: false },
  // --- null, empty string, missing ------------------------------------------------------
  {
    name: 'matches null against a JSON null (docs: responseElements)',
    pattern: { detail: { responseElements: [null] } },
    event: orderEvent({ eventVersion: '', responseElements: null }, { source: 'aws.autoscaling' }),
    expected: true,
  },
  { name: 'does not match null against a missing field', pattern: { detail: { responseElements: [null] } }, event: orderEvent({ eventVersion: '' }), expected: false },
  { name: 'does not match null against an empty string', pattern: { detail: { eventVersion: [null] } }, event: orderEvent({ eventVersion: '' }), expected: false },
  { name: 'does not match null against the string "null"', pattern: { detail: { eventVersion: [null] } }, event: orderEvent({ eventVersion: 'null' }), expected: false },
  {
    name: 'matches "" against an empty string (docs: eventVersion)',
    pattern: { detail: { eventVersion: [''] } },
    event: orderEvent({ eventVersion: '', responseElements: null }),
    expected: true,
  },
  { name: 'does not match "" against null', pattern: { detail: { responseElements: [''] } }, event: orderEvent({ responseElements: null }), expected: false },
  { name: 'does not match "" against a missing field', pattern: { detail: { eventVersion: [''] } }, event: orderEvent({}), expected: false },
  { name: 'does not match "" against whitespace', pattern: { detail: { eventVersion: [''] } }, event: orderEvent({ eventVersion: ' ' }), expected: false },
  { name: 'matches null or "" alternatives against null', pattern: { detail: { note: [null, ''] } }, event: orderEvent({ note: null }), expected: true },
  // --- arrays in the event ---------------------------------------------------------------
  {
    name: 'matches when any event array element is in the pattern (docs: resources)',
    pattern: {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      ],
    },
    event: ec2Event(
      {},
      {
        resources: [
          'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b:autoScalingGroupName/ASGTerminate',
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        ],
      },
    ),
    expected: true,
  },
  {
    name: 'does not match when the event array and the pattern do not intersect',
    pattern: { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-0000'] },
    event: ec2Event({}),
    expected: false,
  },
  { name: 'does not match a value against an empty event array', pattern: { resources: ['arn:x'] }, event: orderEvent({}, { resources: [] }), expected: false },
  { name: 'matches a number inside an event array', pattern: { detail: { codes: [404] } }, event: orderEvent({ codes: [200, 404, 500] }), expected: true },
  {
    name: 'matches a field of any object in an event array (detail.items[].sku)',
    pattern: { detail: { items: { sku: ['a'] } } },
    event: orderEvent({ items: [{ sku: 'b' }, { sku: 'a' }] }),
    expected: true,
  },
  {
    name: 'does not match when no object in the event array has the value',
    pattern: { detail: { items: { sku: ['c'] } } },
    event: orderEvent({ items: [{ sku: 'b' }, { sku: 'a' }] }),
    expected: false,
  },
  {
    name: 'matches two fields taken from the same array element',
    pattern: { detail: { items: { sku: ['a'], quantity: [2] } } },
    event: orderEvent({ items: [{ sku: 'b', quantity: 1 }, { sku: 'a', quantity: 2 }] }),
    expected: true,
  },
  {
    name: 'does not combine fields from different array elements (array consistency)',
    pattern: { detail: { items: { sku: ['a'], quantity: [1] } } },
    event: orderEvent({ items: [{ sku: 'b', quantity: 1 }, { sku: 'a', quantity: 2 }] }),
    expected: false,
  },
  {
    name: 'crushes multi-level arrays of objects',
    pattern: { employees: { firstName: ['Peter'] } },
    event: { employees: [[{ firstName: 'John' }, { firstName: 'Anna' }], [{ firstName: 'Peter' }]] },
    expected: true,
  },
  { name: 'matches values inside nested event arrays', pattern: { detail: { tags: ['red'] } }, event: orderEvent({ tags: [['blue'], ['red', 'green']] }), expected: true },
  // --- patterns given as JSON text ------------------------------------------------------
  {
    name: 'accepts the pattern as a JSON string',
    pattern: '{"source":["com.example.orders"],"detail":{"status":["PLACED"]}}',
    event: orderEvent({ status: 'PLACED' }),
    expected: true,
  },
  {
    name: 'rejects a non-matching event with a JSON string pattern',
    pattern: '{"source":["com.example.orders"],"detail":{"status":["PLACED"]}}',
    event: orderEvent({ status: 'CANCELLED' }),
    expected: false,
  },
  // --- $or ------------------------------------------------------------------------------
  {
    name: '$or at the top level matches the first alternative',
    pattern: { $or: [{ source: ['com.example.orders'] }, { 'detail-type': ['Payment Failed'] }] },
    event: orderEvent({}),
    expected: true,
  },
  {
    name: '$or at the top level matches the second alternative',
    pattern: { $or: [{ source: ['com.example.payments'] }, { 'detail-type': ['Order Placed'] }] },
    event: orderEvent({}),
    expected: true,
  },
  {
    name: '$or fails when no alternative matches',
    pattern: { $or: [{ source: ['com.example.payments'] }, { 'detail-type': ['Payment Failed'] }] },
    event: orderEvent({}),
    expected: false,
  },
  {
    name: '$or is ANDed with sibling fields (sibling fails)',
    pattern: { source: ['aws.cloudwatch'], $or: [{ detail: { metricName: ['CPUUtilization'] } }, { detail: { namespace: ['AWS/EC2'] } }] },
    event: orderEvent({ metricName: 'CPUUtilization' }),
    expected: false,
  },
  {
    name: '$or is ANDed with sibling fields (sibling and one alternative match)',
    pattern: { source: ['aws.cloudwatch'], $or: [{ detail: { metricName: ['CPUUtilization'] } }, { detail: { namespace: ['AWS/EC2'] } }] },
    event: orderEvent({ namespace: 'AWS/EC2' }, { source: 'aws.cloudwatch' }),
    expected: true,
  },
  {
    name: '$or nested inside detail matches with a sibling field',
    pattern: { detail: { status: ['FAILED'], $or: [{ code: [500, 503] }, { retryable: [true] }] } },
    event: orderEvent({ status: 'FAILED', code: 503 }),
    expected: true,
  },
  {
    name: '$or nested inside detail fails when no alternative matches',
    pattern: { detail: { status: ['FAILED'], $or: [{ code: [500, 503] }, { retryable: [true] }] } },
    event: orderEvent({ status: 'FAILED', code: 400, retryable: false }),
    expected: false,
  },
  {
    name: 'an $or alternative with two fields needs both (AND inside OR)',
    pattern: { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { metricType: ['MetricType'], namespace: ['AWS/EC2'] }] },
    event: { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/ES' },
    expected: false,
  },
  {
    name: 'parallel $or at two levels must both be satisfied (matches)',
    pattern: {
      $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
      detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] },
    },
    event: { namespace: 'AWS/EC2', detail: { 'detail-type': 'CloudWatch Alarm State Change' } },
    expected: true,
  },
  {
    name: 'parallel $or at two levels must both be satisfied (inner fails)',
    pattern: {
      $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
      detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] },
    },
    event: { namespace: 'AWS/EC2', detail: { 'detail-type': 'EC2 Instance State-change Notification' } },
    expected: false,
  },
  {
    name: '$or nested inside an $or alternative',
    pattern: {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization'] },
        { metricType: ['MetricType'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
      ],
    },
    event: { source: 'aws.cloudwatch', metricType: 'MetricType', spaceId: 1000 },
    expected: true,
  },
  {
    name: '$or alternatives can use operators',
    pattern: { detail: { $or: [{ amount: [{ numeric: ['>', 1000] }] }, { country: [{ 'anything-but': ['DE', 'FR'] }] }] } },
    event: orderEvent({ amount: 10, country: 'US' }),
    expected: true,
  },
];

describe('matchesPattern: structure, values, arrays and $or', () => {
  for (const { name, pattern, event, expected } of structureCases) {
    it(name, () => {
      expect(matchesPattern(pattern, event)).toBe(expected);
    });
  }
});

describe('compilePattern and caching', () => {
  it('returns a reusable compiled pattern', () => {
    const compiled = compilePattern({ detail: { status: ['PLACED'] } });
    expect(compiled.matches(orderEvent({ status: 'PLACED' }))).toBe(true);
    expect(compiled.matches(orderEvent({ status: 'PAID' }))).toBe(false);
  });

  it('caches compiled patterns by object identity and by JSON text', () => {
    const pattern = { source: ['com.example.orders'] };
    expect(compilePattern(pattern)).toBe(compilePattern(pattern));
    const text = '{"source":["com.example.orders"]}';
    expect(compilePattern(text)).toBe(compilePattern(text));
  });

  it('throws PatternError from matchesPattern for an invalid pattern', () => {
    expect(() => matchesPattern({ source: 'com.example.orders' }, orderEvent({}))).toThrow(PatternError);
  });

  it('treats a non-object event as having no fields', () => {
    expect(matchesPattern({ source: ['x'] }, null)).toBe(false);
  });
});
