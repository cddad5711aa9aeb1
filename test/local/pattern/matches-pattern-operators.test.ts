import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../../lib/local/pattern/index.js';
import { type MatchCase, ec2Event, orderEvent } from './fixtures.js';

/**
 * One table per operator family. Expected values follow the AWS "Content filtering" and
 * "Comparison operators" pages: string operators apply to string values only, numeric to JSON
 * numbers only, anything-but never matches a missing field, exists works on leaf nodes only.
 */

const prefixSuffixCases: MatchCase[] = [
  { name: 'prefix matches (docs: time starts with 2017-10-02)', pattern: { time: [{ prefix: '2017-10-02' }] }, event: ec2Event({}), expected: true },
  { name: 'prefix does not match another start', pattern: { time: [{ prefix: '2018' }] }, event: ec2Event({}), expected: false },
  { name: 'prefix is case-sensitive', pattern: { region: [{ prefix: 'US-' }] }, event: ec2Event({}), expected: false },
  { name: 'prefix never matches a number', pattern: { detail: { amount: [{ prefix: '12' }] } }, event: orderEvent({ amount: 123 }), expected: false },
  { name: 'prefix does not match a missing field', pattern: { detail: { coupon: [{ prefix: 'X' }] } }, event: orderEvent({}), expected: false },
  { name: 'prefix matches any element of an event array', pattern: { resources: [{ prefix: 'arn:aws:ec2:' }] }, event: ec2Event({}), expected: true },
  {
    name: 'prefix with equals-ignore-case matches other casing (docs: EventB)',
    pattern: { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    event: orderEvent({ service: 'eventbridge' }),
    expected: true,
  },
  {
    name: 'prefix with equals-ignore-case matches upper case',
    pattern: { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    event: orderEvent({ service: 'EVENTBRIDGE-PIPES' }),
    expected: true,
  },
  {
    name: 'prefix with equals-ignore-case still needs the prefix',
    pattern: { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    event: orderEvent({ service: 'lambda' }),
    expected: false,
  },
  { name: 'suffix matches (docs: FileName ends with .png)', pattern: { detail: { FileName: [{ suffix: '.png' }] } }, event: orderEvent({ FileName: 'photo.png' }), expected: true },
  { name: 'suffix is case-sensitive', pattern: { detail: { FileName: [{ suffix: '.png' }] } }, event: orderEvent({ FileName: 'photo.PNG' }), expected: false },
  { name: 'suffix does not match another ending', pattern: { detail: { FileName: [{ suffix: '.png' }] } }, event: orderEvent({ FileName: 'photo.jpg' }), expected: false },
  {
    name: 'suffix with equals-ignore-case matches other casing (docs: .png / .PNG)',
    pattern: { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
    event: orderEvent({ FileName: 'photo.PNG' }),
    expected: true,
  },
  {
    name: 'suffix with equals-ignore-case still needs the suffix',
    pattern: { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.PNG' } }] } },
    event: orderEvent({ FileName: 'photo.gif' }),
    expected: false,
  },
  { name: 'equals-ignore-case matches other casing', pattern: { detail: { state: [{ 'equals-ignore-case': 'RUNNING' }] } }, event: ec2Event({ state: 'running' }), expected: true },
  { name: 'equals-ignore-case needs the whole value', pattern: { detail: { state: [{ 'equals-ignore-case': 'RUN' }] } }, event: ec2Event({ state: 'running' }), expected: false },
  { name: 'equals-ignore-case never matches a number', pattern: { detail: { code: [{ 'equals-ignore-case': '500' }] } }, event: orderEvent({ code: 500 }), expected: false },
  {
    name: 'operators and exact values mix as alternatives',
    pattern: { detail: { FileName: ['README', { suffix: '.png' }, { prefix: 'tmp/' }] } },
    event: orderEvent({ FileName: 'tmp/upload.bin' }),
    expected: true,
  },
];

const wildcardCases: MatchCase[] = [
  { name: 'wildcard matches a run of characters (Simple*Service)', pattern: { source: [{ wildcard: 'Simple*Service' }] }, event: { source: 'SimpleNotificationService' }, expected: true },
  { name: 'wildcard must match the whole value', pattern: { source: [{ wildcard: 'Simple*Service' }] }, event: { source: 'SimpleServiceX' }, expected: false },
  { name: 'wildcard star matches the empty run', pattern: { source: [{ wildcard: 'Simple*Service' }] }, event: { source: 'SimpleService' }, expected: true },
  {
    name: 'wildcard star spans path separators',
    pattern: { detail: { key: [{ wildcard: 'uploads/*.png' }] } },
    event: orderEvent({ key: 'uploads/2024/03/photo.png' }),
    expected: true,
  },
  { name: 'wildcard with several stars in order', pattern: { detail: { id: [{ wildcard: 'a*b*c' }] } }, event: orderEvent({ id: 'aXXbYYc' }), expected: true },
  { name: 'wildcard with several stars out of order', pattern: { detail: { id: [{ wildcard: 'a*b*c' }] } }, event: orderEvent({ id: 'acb' }), expected: false },
  { name: 'wildcard literal parts cannot overlap', pattern: { detail: { id: [{ wildcard: 'ab*ba' }] } }, event: orderEvent({ id: 'aba' }), expected: false },
  { name: 'wildcard alone matches any string', pattern: { detail: { id: [{ wildcard: '*' }] } }, event: orderEvent({ id: '' }), expected: true },
  { name: 'wildcard never matches a number', pattern: { detail: { id: [{ wildcard: '*' }] } }, event: orderEvent({ id: 42 }), expected: false },
  { name: 'wildcard is case-sensitive', pattern: { detail: { id: [{ wildcard: 'order-*' }] } }, event: orderEvent({ id: 'ORDER-1' }), expected: false },
  { name: 'escaped star matches a literal star', pattern: { detail: { note: [{ wildcard: 'price\\*' }] } }, event: orderEvent({ note: 'price*' }), expected: true },
  { name: 'escaped star is not a wildcard', pattern: { detail: { note: [{ wildcard: 'price\\*' }] } }, event: orderEvent({ note: 'price-list' }), expected: false },
  {
    name: 'escaped backslash matches a literal backslash next to a wildcard',
    pattern: { detail: { path: [{ wildcard: 'C:\\\\temp\\\\*' }] } },
    event: orderEvent({ path: 'C:\\temp\\report.csv' }),
    expected: true,
  },
  { name: 'escaped star followed by a wildcard', pattern: { detail: { note: [{ wildcard: '\\**' }] } }, event: orderEvent({ note: '*starred' }), expected: true },
];

const anythingButCases: MatchCase[] = [
  { name: 'anything-but string matches another value', pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } }, event: ec2Event({ state: 'running' }), expected: true },
  { name: 'anything-but string excludes that value', pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } }, event: ec2Event({ state: 'initializing' }), expected: false },
  { name: 'anything-but number matches another number', pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, event: ec2Event({ 'x-limit': 456 }), expected: true },
  { name: 'anything-but number excludes that number', pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, event: ec2Event({ 'x-limit': 123 }), expected: false },
  {
    name: 'anything-but string list matches a value outside the list',
    pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    event: ec2Event({ state: 'running' }),
    expected: true,
  },
  {
    name: 'anything-but string list excludes listed values',
    pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    event: ec2Event({ state: 'overloaded' }),
    expected: false,
  },
  { name: 'anything-but number list matches other numbers', pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, event: ec2Event({ 'x-limit': 150 }), expected: true },
  { name: 'anything-but number list excludes listed numbers', pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, event: ec2Event({ 'x-limit': 200 }), expected: false },
  {
    name: 'anything-but number list compares numerically (200.0 is 200)',
    pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
    event: JSON.parse('{"detail":{"x-limit":200.0}}') as unknown,
    expected: false,
  },
  { name: 'anything-but does not match a missing field', pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } }, event: ec2Event({}), expected: false },
  { name: 'anything-but matches null (null is not the excluded string)', pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } }, event: ec2Event({ state: null }), expected: true },
  { name: 'anything-but string list matches a number (numbers are not strings)', pattern: { detail: { code: [{ 'anything-but': ['a'] }] } }, event: orderEvent({ code: 5 }), expected: true },
  { name: 'anything-but number matches the numeric string "5"', pattern: { detail: { code: [{ 'anything-but': 5 }] } }, event: orderEvent({ code: '5' }), expected: true },
  {
    name: 'anything-but matches an event array with one non-excluded element',
    pattern: { detail: { state: [{ 'anything-but': 'stopped' }] } },
    event: ec2Event({ state: ['stopped', 'running'] }),
    expected: true,
  },
  { name: 'anything-but fails an event array of only excluded values', pattern: { detail: { state: [{ 'anything-but': 'stopped' }] } }, event: ec2Event({ state: ['stopped'] }), expected: false },
  { name: 'anything-but prefix matches values without the prefix', pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, event: ec2Event({ state: 'running' }), expected: true },
  { name: 'anything-but prefix excludes values with the prefix', pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, event: ec2Event({ state: 'initializing' }), expected: false },
  { name: 'anything-but prefix does not match a missing field', pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, event: ec2Event({}), expected: false },
  { name: 'anything-but prefix list matches outside all prefixes', pattern: { region: [{ 'anything-but': { prefix: ['us-', 'eu-'] } }] }, event: ec2Event({}, { region: 'ap-south-1' }), expected: true },
  { name: 'anything-but prefix list excludes any listed prefix', pattern: { region: [{ 'anything-but': { prefix: ['us-', 'eu-'] } }] }, event: ec2Event({}, { region: 'eu-west-1' }), expected: false },
  { name: 'anything-but suffix matches other endings', pattern: { detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } }, event: orderEvent({ FileName: 'a.jpg' }), expected: true },
  { name: 'anything-but suffix excludes the ending', pattern: { detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } }, event: orderEvent({ FileName: 'a.png' }), expected: false },
  {
    name: 'anything-but equals-ignore-case excludes any casing',
    pattern: { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } },
    event: ec2Event({ state: 'INITIALIZING' }),
    expected: false,
  },
  {
    name: 'anything-but equals-ignore-case matches other values',
    pattern: { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } },
    event: ec2Event({ state: 'running' }),
    expected: true,
  },
  {
    name: 'anything-but equals-ignore-case list excludes listed values in any casing',
    pattern: { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'overloaded'] } }] } },
    event: ec2Event({ state: 'OVERLOADED' }),
    expected: false,
  },
  {
    name: 'anything-but equals-ignore-case list matches values outside it',
    pattern: { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'overloaded'] } }] } },
    event: ec2Event({ state: 'pending' }),
    expected: true,
  },
  {
    name: 'anything-but wildcard excludes matching paths (docs: */lib/*)',
    pattern: { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
    event: orderEvent({ FilePath: '/usr/lib/libc.so' }),
    expected: false,
  },
  {
    name: 'anything-but wildcard matches other paths',
    pattern: { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
    event: orderEvent({ FilePath: '/usr/bin/env' }),
    expected: true,
  },
  {
    name: 'anything-but wildcard list excludes any listed wildcard',
    pattern: { detail: { FilePath: [{ 'anything-but': { wildcard: ['*.tmp', '*.bak'] } }] } },
    event: orderEvent({ FilePath: 'notes.bak' }),
    expected: false,
  },
];

const numericCases: MatchCase[] = [
  { name: 'numeric range includes the closed upper bound', pattern: { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, event: ec2Event({ 'c-count': 5 }), expected: true },
  { name: 'numeric range includes values inside', pattern: { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, event: ec2Event({ 'c-count': 2.5 }), expected: true },
  { name: 'numeric range excludes the open lower bound', pattern: { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, event: ec2Event({ 'c-count': 0 }), expected: false },
  { name: 'numeric range excludes values above', pattern: { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, event: ec2Event({ 'c-count': 5.5 }), expected: false },
  { name: 'numeric < matches below', pattern: { detail: { 'd-count': [{ numeric: ['<', 10] }] } }, event: ec2Event({ 'd-count': 9.99 }), expected: true },
  { name: 'numeric < excludes the bound', pattern: { detail: { 'd-count': [{ numeric: ['<', 10] }] } }, event: ec2Event({ 'd-count': 10 }), expected: false },
  { name: 'numeric = matches the same value (docs: 3.018e2 = 301.8)', pattern: { detail: { 'x-limit': [{ numeric: ['=', 3.018e2] }] } }, event: ec2Event({ 'x-limit': 301.8 }), expected: true },
  { name: 'numeric = does not match another value', pattern: { detail: { 'x-limit': [{ numeric: ['=', 301.8] }] } }, event: ec2Event({ 'x-limit': 301.9 }), expected: false },
  { name: 'numeric >= includes the bound', pattern: { detail: { amount: [{ numeric: ['>=', 100] }] } }, event: orderEvent({ amount: 100 }), expected: true },
  { name: 'numeric range with negative bounds', pattern: { detail: { delta: [{ numeric: ['>=', -10, '<', 0] }] } }, event: orderEvent({ delta: -10 }), expected: true },
  { name: 'numeric does not match a numeric string', pattern: { detail: { amount: [{ numeric: ['>', 0] }] } }, event: orderEvent({ amount: '5' }), expected: false },
  { name: 'numeric does not match a missing field', pattern: { detail: { amount: [{ numeric: ['>', 0] }] } }, event: orderEvent({}), expected: false },
  { name: 'numeric does not match null', pattern: { detail: { amount: [{ numeric: ['<', 0] }] } }, event: orderEvent({ amount: null }), expected: false },
  { name: 'numeric does not match a boolean', pattern: { detail: { amount: [{ numeric: ['>', 0] }] } }, event: orderEvent({ amount: true }), expected: false },
  { name: 'numeric matches any element of an event array', pattern: { detail: { scores: [{ numeric: ['<', 10] }] } }, event: orderEvent({ scores: [50, 20, 3] }), expected: true },
  {
    name: 'numeric does not match values beyond the documented ±5.0e9 range',
    pattern: { detail: { amount: [{ numeric: ['>', 0] }] } },
    event: orderEvent({ amount: 6e9 }),
    expected: false,
  },
  {
    name: 'numeric alternatives act as OR of ranges',
    pattern: { detail: { amount: [{ numeric: ['<', 0] }, { numeric: ['>', 1000] }] } },
    event: orderEvent({ amount: 5000 }),
    expected: true,
  },
];

const existsCases: MatchCase[] = [
  { name: 'exists true matches a present string', pattern: { detail: { 'c-count': [{ exists: true }] } }, event: ec2Event({ 'c-count': 'x' }), expected: true },
  { name: 'exists true matches a present number', pattern: { detail: { 'c-count': [{ exists: true }] } }, event: ec2Event({ 'c-count': 0 }), expected: true },
  { name: 'exists true does not match a missing field', pattern: { detail: { 'c-count': [{ exists: true }] } }, event: ec2Event({ state: 'running' }), expected: false },
  { name: 'exists true matches a present null (the field is there)', pattern: { detail: { 'c-count': [{ exists: true }] } }, event: ec2Event({ 'c-count': null }), expected: true },
  { name: 'exists true matches an empty string', pattern: { detail: { 'c-count': [{ exists: true }] } }, event: ec2Event({ 'c-count': '' }), expected: true },
  {
    name: 'exists true does not match an object (leaf nodes only)',
    pattern: { detail: { 'c-count': [{ exists: true }] } },
    event: ec2Event({ 'c-count': { c1: 100 } }),
    expected: false,
  },
  { name: 'exists true matches an array of values', pattern: { resources: [{ exists: true }] }, event: ec2Event({}), expected: true },
  { name: 'exists false matches a missing field (docs)', pattern: { detail: { 'c-count': [{ exists: false }] } }, event: ec2Event({ state: ['initializing', 'running'] }), expected: true },
  { name: 'exists false does not match a present value', pattern: { detail: { 'c-count': [{ exists: false }] } }, event: ec2Event({ 'c-count': 5 }), expected: false },
  { name: 'exists false does not match a present null', pattern: { detail: { 'c-count': [{ exists: false }] } }, event: ec2Event({ 'c-count': null }), expected: false },
  {
    name: 'exists false matches when the field is an object, not a leaf (docs)',
    pattern: { detail: { 'c-count': [{ exists: false }] } },
    event: ec2Event({ state: ['initializing', 'running'], 'c-count': { c1: 100 } }),
    expected: true,
  },
  {
    name: 'exists false combined with other fields',
    pattern: { source: ['aws.ec2'], detail: { state: ['running'], error: [{ exists: false }] } },
    event: ec2Event({ state: 'running' }),
    expected: true,
  },
  {
    name: 'a value or exists false: matches the missing field',
    pattern: { detail: { priority: ['high', { exists: false }] } },
    event: orderEvent({}),
    expected: true,
  },
  {
    name: 'a value or exists false: rejects another present value',
    pattern: { detail: { priority: ['high', { exists: false }] } },
    event: orderEvent({ priority: 'low' }),
    expected: false,
  },
];

const cidrCases: MatchCase[] = [
  { name: 'cidr v4 matches an address in the block', pattern: { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, event: ec2Event({ 'source-ip': '10.0.0.33' }), expected: true },
  { name: 'cidr v4 matches the last address of the block', pattern: { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, event: ec2Event({ 'source-ip': '10.0.0.255' }), expected: true },
  { name: 'cidr v4 does not match outside the block', pattern: { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, event: ec2Event({ 'source-ip': '10.0.1.1' }), expected: false },
  { name: 'cidr v4 /8 matches a wide block', pattern: { detail: { 'source-ip': [{ cidr: '10.0.0.0/8' }] } }, event: ec2Event({ 'source-ip': '10.200.3.4' }), expected: true },
  { name: 'cidr v4 /8 excludes the neighbouring block', pattern: { detail: { 'source-ip': [{ cidr: '10.0.0.0/8' }] } }, event: ec2Event({ 'source-ip': '11.0.0.1' }), expected: false },
  {
    name: 'cidr v6 matches an address in the block',
    pattern: { detail: { sourceIPAddress: [{ cidr: '2001:db8::/32' }] } },
    event: orderEvent({ sourceIPAddress: '2001:db8:1234::1' }),
    expected: true,
  },
  {
    name: 'cidr v6 matches the fully written, upper-case form',
    pattern: { detail: { sourceIPAddress: [{ cidr: '2001:db8::/32' }] } },
    event: orderEvent({ sourceIPAddress: '2001:0DB8:0000:0000:0000:0000:0000:0001' }),
    expected: true,
  },
  {
    name: 'cidr v6 does not match outside the block',
    pattern: { detail: { sourceIPAddress: [{ cidr: '2001:db8::/32' }] } },
    event: orderEvent({ sourceIPAddress: '2001:db9::1' }),
    expected: false,
  },
  { name: 'cidr v6 block never matches an IPv4 address', pattern: { detail: { ip: [{ cidr: '::/0' }] } }, event: orderEvent({ ip: '10.0.0.1' }), expected: false },
  { name: 'cidr does not match a non-IP string', pattern: { detail: { ip: [{ cidr: '10.0.0.0/8' }] } }, event: orderEvent({ ip: '10.0.0.1.example.com' }), expected: false },
  { name: 'cidr does not match a number', pattern: { detail: { ip: [{ cidr: '0.0.0.0/0' }] } }, event: orderEvent({ ip: 167772161 }), expected: false },
  { name: 'cidr does not match a missing field', pattern: { detail: { ip: [{ cidr: '0.0.0.0/0' }] } }, event: orderEvent({}), expected: false },
];

describe('matchesPattern: prefix, suffix and equals-ignore-case', () => {
  for (const { name, pattern, event, expected } of prefixSuffixCases) {
    it(name, () => {
      expect(matchesPattern(pattern, event)).toBe(expected);
    });
  }
});

describe('matchesPattern: wildcard', () => {
  for (const { name, pattern, event, expected } of wildcardCases) {
    it(name, () => {
      expect(matchesPattern(pattern, event)).toBe(expected);
    });
  }
});

describe('matchesPattern: anything-but', () => {
  for (const { name, pattern, event, expected } of anythingButCases) {
    it(name, () => {
      expect(matchesPattern(pattern, event)).toBe(expected);
    });
  }
});

describe('matchesPattern: numeric', () => {
  for (const { name, pattern, event, expected } of numericCases) {
    it(name, () => {
      expect(matchesPattern(pattern, event)).toBe(expected);
    });
  }
});

describe('matchesPattern: exists', () => {
  for (const { name, pattern, event, expected } of existsCases) {
    it(name, () => {
      expect(matchesPattern(pattern, event)).toBe(expected);
    });
  }
});

describe('matchesPattern: cidr', () => {
  for (const { name, pattern, event, expected } of cidrCases) {
    it(name, () => {
      expect(matchesPattern(pattern, event)).toBe(expected);
    });
  }
});
