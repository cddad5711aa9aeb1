import { describe, expect, it } from 'vitest';
import { PatternError, validatePattern } from '../../../lib/local/pattern/index.js';

/** An invalid pattern, where the error must point (`path`) and the bad value the message must show. */
interface InvalidCase {
  readonly name: string;
  readonly pattern: unknown;
  readonly path: string;
  /** Text that must appear in the message: the offending value as the user wrote it. */
  readonly bad: string;
}

const json = (value: unknown): string => JSON.stringify(value);

const invalidCases: InvalidCase[] = [
  // --- the pattern itself ------------------------------------------------------------------
  { name: 'fails if the pattern is a number', pattern: 42, path: '', bad: '42' },
  { name: 'fails if the pattern is null', pattern: null, path: '', bad: 'null' },
  { name: 'fails if the pattern is an array', pattern: [{ source: ['a'] }], path: '', bad: json([{ source: ['a'] }]) },
  { name: 'fails if the pattern string is not valid JSON', pattern: '{"source": [', path: '', bad: json('{"source": [') },
  { name: 'fails if the pattern JSON is not an object', pattern: '["aws.ec2"]', path: '', bad: json(['aws.ec2']) },
  { name: 'fails if the pattern is an empty object', pattern: {}, path: '', bad: '{}' },
  { name: 'fails if a nested object is empty', pattern: { detail: {} }, path: 'detail', bad: '{}' },
  // --- fields and match arrays ------------------------------------------------------------
  { name: 'fails if a leaf is a bare string instead of an array', pattern: { source: 'aws.ec2' }, path: 'source', bad: json('aws.ec2') },
  { name: 'fails if a nested leaf is a bare number', pattern: { detail: { amount: 5 } }, path: 'detail.amount', bad: '5' },
  { name: 'fails if a leaf is null instead of [null]', pattern: { detail: { note: null } }, path: 'detail.note', bad: 'null' },
  { name: 'fails if a leaf is a boolean', pattern: { detail: { gift: true } }, path: 'detail.gift', bad: 'true' },
  { name: 'fails if a match array is empty', pattern: { source: [] }, path: 'source', bad: '[]' },
  { name: 'fails if a match array nests an array', pattern: { source: [['aws.ec2']] }, path: 'source', bad: json(['aws.ec2']) },
  { name: 'fails if an operator object is not wrapped in an array', pattern: { source: { prefix: 'aws.' } }, path: 'source.prefix', bad: json('aws.') },
  // --- operator objects ----------------------------------------------------------------------
  { name: 'fails if the operator is unknown (prefx)', pattern: { source: [{ prefx: 'aws.' }] }, path: 'source', bad: json('prefx') },
  { name: 'fails if the operator is unknown (contains)', pattern: { detail: { note: [{ contains: 'x' }] } }, path: 'detail.note', bad: json('contains') },
  { name: 'fails if $or is used inside a match array', pattern: { source: [{ $or: ['a', 'b'] }] }, path: 'source', bad: json('$or') },
  {
    name: 'fails if an operator object has two keys',
    pattern: { detail: { FileName: [{ prefix: 'img', suffix: '.png' }] } },
    path: 'detail.FileName',
    bad: json({ prefix: 'img', suffix: '.png' }),
  },
  { name: 'fails if an operator object is empty', pattern: { source: [{}] }, path: 'source', bad: '{}' },
  // --- prefix / suffix / equals-ignore-case / wildcard -------------------------------------------
  { name: 'fails if prefix is a number', pattern: { detail: { code: [{ prefix: 5 }] } }, path: 'detail.code', bad: '5' },
  { name: 'fails if prefix is a list', pattern: { region: [{ prefix: ['us-', 'eu-'] }] }, path: 'region', bad: json(['us-', 'eu-']) },
  { name: 'fails if prefix nests an operator other than equals-ignore-case', pattern: { source: [{ prefix: { wildcard: 'a*' } }] }, path: 'source', bad: json({ wildcard: 'a*' }) },
  {
    name: 'fails if prefix equals-ignore-case is not a string',
    pattern: { source: [{ prefix: { 'equals-ignore-case': 7 } }] },
    path: 'source',
    bad: '7',
  },
  {
    name: 'fails if prefix equals-ignore-case has an extra key',
    pattern: { source: [{ prefix: { 'equals-ignore-case': 'aws', x: 1 } }] },
    path: 'source',
    bad: json({ 'equals-ignore-case': 'aws', x: 1 }),
  },
  { name: 'fails if suffix is null', pattern: { detail: { FileName: [{ suffix: null }] } }, path: 'detail.FileName', bad: 'null' },
  { name: 'fails if equals-ignore-case is a boolean', pattern: { detail: { state: [{ 'equals-ignore-case': true }] } }, path: 'detail.state', bad: 'true' },
  { name: 'fails if wildcard is a number', pattern: { source: [{ wildcard: 5 }] }, path: 'source', bad: '5' },
  { name: 'fails if wildcard has consecutive stars', pattern: { source: [{ wildcard: 'Simple**Service' }] }, path: 'source', bad: json('Simple**Service') },
  { name: 'fails if wildcard has an invalid escape', pattern: { detail: { path: [{ wildcard: 'a\\b*' }] } }, path: 'detail.path', bad: json('a\\b*') },
  { name: 'fails if wildcard ends with a lone backslash', pattern: { detail: { path: [{ wildcard: 'abc\\' }] } }, path: 'detail.path', bad: json('abc\\') },
  // --- anything-but ------------------------------------------------------------------------------
  { name: 'fails if anything-but is a boolean', pattern: { detail: { state: [{ 'anything-but': true }] } }, path: 'detail.state', bad: 'true' },
  { name: 'fails if anything-but is null', pattern: { detail: { state: [{ 'anything-but': null }] } }, path: 'detail.state', bad: 'null' },
  { name: 'fails if anything-but mixes strings and numbers', pattern: { detail: { code: [{ 'anything-but': ['a', 1] }] } }, path: 'detail.code', bad: json(['a', 1]) },
  { name: 'fails if anything-but is an empty list', pattern: { detail: { code: [{ 'anything-but': [] }] } }, path: 'detail.code', bad: '[]' },
  { name: 'fails if anything-but lists null', pattern: { detail: { code: [{ 'anything-but': ['a', null] }] } }, path: 'detail.code', bad: 'null' },
  {
    name: 'fails if anything-but is nested inside anything-but',
    pattern: { detail: { state: [{ 'anything-but': { 'anything-but': 'stopped' } }] } },
    path: 'detail.state',
    bad: json({ 'anything-but': 'stopped' }),
  },
  {
    name: 'fails if anything-but nests numeric',
    pattern: { detail: { amount: [{ 'anything-but': { numeric: ['>', 5] } }] } },
    path: 'detail.amount',
    bad: json({ numeric: ['>', 5] }),
  },
  {
    name: 'fails if anything-but nests exists',
    pattern: { detail: { amount: [{ 'anything-but': { exists: true } }] } },
    path: 'detail.amount',
    bad: json({ exists: true }),
  },
  { name: 'fails if anything-but prefix is a number', pattern: { region: [{ 'anything-but': { prefix: 5 } }] }, path: 'region', bad: '5' },
  { name: 'fails if anything-but prefix is empty', pattern: { region: [{ 'anything-but': { prefix: '' } }] }, path: 'region', bad: '""' },
  {
    name: 'fails if the anything-but object has two keys',
    pattern: { region: [{ 'anything-but': { prefix: 'us-', suffix: '-1' } }] },
    path: 'region',
    bad: json({ prefix: 'us-', suffix: '-1' }),
  },
  {
    name: 'fails if anything-but wildcard has consecutive stars',
    pattern: { detail: { FilePath: [{ 'anything-but': { wildcard: '**/lib' } }] } },
    path: 'detail.FilePath',
    bad: json('**/lib'),
  },
  {
    name: 'fails if anything-but equals-ignore-case lists a number',
    pattern: { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['a', 1] } }] } },
    path: 'detail.state',
    bad: '1',
  },
  { name: 'fails if an anything-but number is beyond 5.0e9', pattern: { detail: { amount: [{ 'anything-but': 6e9 }] } }, path: 'detail.amount', bad: '6000000000' },
  // --- numeric -------------------------------------------------------------------------------------
  { name: 'fails if numeric is not an array', pattern: { detail: { amount: [{ numeric: '>5' }] } }, path: 'detail.amount', bad: json('>5') },
  { name: 'fails if a numeric operator is unsupported (=>)', pattern: { detail: { amount: [{ numeric: ['=>', 5] }] } }, path: 'detail.amount', bad: json('=>') },
  { name: 'fails if a numeric operator is != ', pattern: { detail: { amount: [{ numeric: ['!=', 5] }] } }, path: 'detail.amount', bad: json('!=') },
  { name: 'fails if numeric has an odd length', pattern: { detail: { amount: [{ numeric: ['>', 0, '<'] }] } }, path: 'detail.amount', bad: json(['>', 0, '<']) },
  { name: 'fails if numeric has only an operator', pattern: { detail: { amount: [{ numeric: ['>'] }] } }, path: 'detail.amount', bad: json(['>']) },
  { name: 'fails if numeric has too many terms', pattern: { detail: { amount: [{ numeric: ['>', 0, '<', 5, '<', 6] }] } }, path: 'detail.amount', bad: json(['>', 0, '<', 5, '<', 6]) },
  { name: 'fails if a numeric bound is a numeric string', pattern: { detail: { amount: [{ numeric: ['>', '5'] }] } }, path: 'detail.amount', bad: json('5') },
  { name: 'fails if a numeric operator is not a string', pattern: { detail: { amount: [{ numeric: [5, '>'] }] } }, path: 'detail.amount', bad: '5' },
  { name: 'fails if the numeric range is upper bound first', pattern: { detail: { amount: [{ numeric: ['<', 10, '>', 0] }] } }, path: 'detail.amount', bad: json(['<', 10, '>', 0]) },
  { name: 'fails if the numeric range is inverted', pattern: { detail: { amount: [{ numeric: ['>', 10, '<', 5] }] } }, path: 'detail.amount', bad: json(['>', 10, '<', 5]) },
  { name: 'fails if the numeric range is empty (equal bounds)', pattern: { detail: { amount: [{ numeric: ['>=', 5, '<', 5] }] } }, path: 'detail.amount', bad: json(['>=', 5, '<', 5]) },
  { name: 'fails if numeric combines = with a range', pattern: { detail: { amount: [{ numeric: ['=', 1, '<', 5] }] } }, path: 'detail.amount', bad: json(['=', 1, '<', 5]) },
  { name: 'fails if a numeric bound exceeds 5.0e9', pattern: { detail: { amount: [{ numeric: ['>', 6e9] }] } }, path: 'detail.amount', bad: '6000000000' },
  { name: 'fails if a numeric bound is below -5.0e9', pattern: { detail: { amount: [{ numeric: ['<', -5.5e9] }] } }, path: 'detail.amount', bad: '-5500000000' },
  { name: 'fails if a numeric bound is not finite', pattern: { detail: { amount: [{ numeric: ['<', Infinity] }] } }, path: 'detail.amount', bad: 'Infinity' },
  // --- exists / cidr ---------------------------------------------------------------------------------
  { name: 'fails if exists is the string "true"', pattern: { detail: { error: [{ exists: 'true' }] } }, path: 'detail.error', bad: json('true') },
  { name: 'fails if exists is a number', pattern: { detail: { error: [{ exists: 1 }] } }, path: 'detail.error', bad: '1' },
  { name: 'fails if cidr is not a string', pattern: { detail: { ip: [{ cidr: 10 }] } }, path: 'detail.ip', bad: '10' },
  { name: 'fails if cidr has no prefix length', pattern: { detail: { ip: [{ cidr: '10.0.0.0' }] } }, path: 'detail.ip', bad: json('10.0.0.0') },
  { name: 'fails if the cidr address is invalid', pattern: { detail: { ip: [{ cidr: '10.0.0.300/24' }] } }, path: 'detail.ip', bad: json('10.0.0.300') },
  { name: 'fails if the IPv4 prefix length exceeds 32', pattern: { detail: { ip: [{ cidr: '10.0.0.0/33' }] } }, path: 'detail.ip', bad: json('33') },
  { name: 'fails if the IPv6 prefix length exceeds 128', pattern: { detail: { ip: [{ cidr: '2001:db8::/129' }] } }, path: 'detail.ip', bad: json('129') },
  { name: 'fails if the cidr prefix length is not a number', pattern: { detail: { ip: [{ cidr: '10.0.0.0/abc' }] } }, path: 'detail.ip', bad: json('abc') },
  { name: 'fails if the IPv6 address repeats ::', pattern: { detail: { ip: [{ cidr: '2001::db8::/32' }] } }, path: 'detail.ip', bad: json('2001::db8::') },
  { name: 'fails if cidr is a hostname', pattern: { detail: { ip: [{ cidr: 'example.com/24' }] } }, path: 'detail.ip', bad: json('example.com') },
  // --- $or -------------------------------------------------------------------------------------------
  { name: 'fails if $or is an object instead of an array', pattern: { $or: { source: ['a'] } }, path: '$or', bad: json({ source: ['a'] }) },
  { name: 'fails if $or has a single alternative', pattern: { $or: [{ source: ['a'] }] }, path: '$or', bad: json([{ source: ['a'] }]) },
  { name: 'fails if $or is empty', pattern: { detail: { $or: [] } }, path: 'detail.$or', bad: '[]' },
  { name: 'fails if an $or alternative is not an object', pattern: { $or: [{ source: ['a'] }, 'b'] }, path: '$or[1]', bad: json('b') },
  { name: 'fails if an $or alternative is empty', pattern: { $or: [{ source: ['a'] }, {}] }, path: '$or[1]', bad: '{}' },
  {
    name: 'fails if a field inside a nested $or alternative is invalid',
    pattern: { detail: { $or: [{ state: ['running'] }, { code: 500 }] } },
    path: 'detail.$or[1].code',
    bad: '500',
  },
  {
    name: 'fails if an operator keyword is used as a field name inside $or',
    pattern: { detail: { $or: [{ prefix: ['a'] }, { state: ['b'] }] } },
    path: 'detail.$or[0].prefix',
    bad: json('prefix'),
  },
];

describe('validatePattern', () => {
  for (const { name, pattern, path, bad } of invalidCases) {
    it(name, () => {
      let caught: unknown;
      try {
        validatePattern(pattern);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(PatternError);
      const error = caught as PatternError;
      expect(error.name).toBe('PatternError');
      expect(error.path).toBe(path);
      if (path !== '') expect(error.message).toContain(`"${path}"`);
      expect(error.message).toContain(bad);
    });
  }

  const validCases = [
    {
      name: 'accepts every operator together',
      pattern: {
        detail: {
          x: [
            'a',
            1,
            true,
            null,
            { prefix: 'a' },
            { suffix: { 'equals-ignore-case': 'B' } },
            { wildcard: 'a*b' },
            { 'anything-but': { wildcard: ['*.tmp'] } },
            { numeric: ['>=', -5e9, '<=', 5e9] },
            { exists: true },
            { cidr: '::1/128' },
          ],
        },
      },
    },
    { name: 'accepts a field literally named "prefix" outside $or', pattern: { detail: { prefix: ['a'] } } },
    { name: 'accepts large exact numbers such as account ids', pattern: { account: [123456789012] } },
    { name: 'accepts an empty prefix', pattern: { source: [{ prefix: '' }] } },
    { name: 'accepts an escaped star followed by a star', pattern: { source: [{ wildcard: 'a\\**' }] } },
  ];
  for (const { name, pattern } of validCases) {
    it(name, () => {
      expect(() => validatePattern(pattern)).not.toThrow();
    });
  }

  it('formats the message with path, bad value, allowed values and fix', () => {
    expect(() => validatePattern({ detail: { amount: [{ numeric: ['=>', 5] }] } })).toThrow(
      'Invalid event pattern at "detail.amount": numeric operator "=>" is not supported; use one of "<", "<=", "=", ">", ">=".',
    );
  });

  it('carries the offending fragment', () => {
    const fragment = { prefx: 'aws.' };
    try {
      validatePattern({ source: [fragment] });
      expect.unreachable('validatePattern should have thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(Error);
      expect((err as PatternError).pattern).toBe(fragment);
      expect((err as PatternError).message).toContain('Did you mean "prefix"?');
    }
  });
});
