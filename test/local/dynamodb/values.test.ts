import { describe, expect, it } from 'vitest';
import { DynamoDbError } from '../../../lib/local/dynamodb/errors.js';
import type { AttributeValue } from '../../../lib/local/dynamodb/types.js';
import {
  addNumbers,
  attributeValueSize,
  canonicalItem,
  canonicalValue,
  compareNumbers,
  compareStrings,
  compareValues,
  itemSize,
  normalizeNumber,
  significantDigits,
  subtractNumbers,
  typeOf,
  utf8Length,
  validateAttributeValue,
  validateItem,
  valuesEqual,
} from '../../../lib/local/dynamodb/values.js';

/** The engine's values against DynamoDB's data model: numbers, order, equality, sizes, validation. */

function failure(fn: () => unknown): DynamoDbError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DynamoDbError);
    return e as DynamoDbError;
  }
  throw new Error('expected a DynamoDbError');
}

function expectValidation(fn: () => unknown, message: string): void {
  const e = failure(fn);
  expect(e.name).toBe('ValidationException');
  expect(e.message).toBe(message);
}

describe('typeOf', () => {
  it('names every type descriptor', () => {
    const cases: [AttributeValue, string][] = [
      [{ S: '' }, 'S'],
      [{ N: '1' }, 'N'],
      [{ B: new Uint8Array() }, 'B'],
      [{ SS: ['a'] }, 'SS'],
      [{ NS: ['1'] }, 'NS'],
      [{ BS: [new Uint8Array([1])] }, 'BS'],
      [{ M: {} }, 'M'],
      [{ L: [] }, 'L'],
      [{ NULL: true }, 'NULL'],
      [{ BOOL: false }, 'BOOL'],
    ];
    for (const [v, t] of cases) expect(typeOf(v)).toBe(t);
  });
});

describe('normalizeNumber', () => {
  it('returns the canonical decimal form DynamoDB returns', () => {
    const cases: [string, string][] = [
      ['1.50', '1.5'],
      ['-0', '0'],
      ['0.000', '0'],
      ['1e2', '100'],
      ['1E+2', '100'],
      ['0100', '100'],
      ['+7', '7'],
      ['.5', '0.5'],
      ['5.', '5'],
      ['-0.0012300', '-0.00123'],
      ['12.34e-3', '0.01234'],
      ['1E-130', `0.${'0'.repeat(129)}1`],
      ['9.9999999999999999999999999999999999999E+125', `99999999999999999999999999999999999999${'0'.repeat(88)}`],
      ['123', '123'],
    ];
    for (const [input, canonical] of cases) expect(normalizeNumber(input)).toBe(canonical);
  });

  it('fails if the text is not a number', () => {
    for (const text of ['abc', '1.2.3', 'e5', '1e', '--1', ' 1', '1 ', 'NaN', 'Infinity', '0x10', '.', '-']) {
      expectValidation(() => normalizeNumber(text), `The parameter cannot be converted to a numeric value: ${text}`);
    }
    expectValidation(() => normalizeNumber(''), 'The parameter cannot be converted to a numeric value');
  });

  it('fails if there are more than 38 significant digits', () => {
    expectValidation(() => normalizeNumber('123456789012345678901234567890123456789'), 'Attempting to store more than 38 significant digits in a Number');
    expectValidation(() => normalizeNumber('-1.23456789012345678901234567890123456789'), 'Attempting to store more than 38 significant digits in a Number');
    // Trailing zeros of an integer are not significant.
    expect(normalizeNumber(`1${'0'.repeat(60)}`)).toBe(`1${'0'.repeat(60)}`);
  });

  it('fails if the magnitude is out of range', () => {
    expectValidation(() => normalizeNumber('1e126'), 'Number overflow. Attempting to store a number with magnitude larger than supported range');
    expectValidation(() => normalizeNumber('-1e126'), 'Number overflow. Attempting to store a number with magnitude larger than supported range');
    expectValidation(() => normalizeNumber('1e-131'), 'Number underflow. Attempting to store a number with magnitude smaller than supported range');
    expectValidation(() => normalizeNumber('-1e-131'), 'Number underflow. Attempting to store a number with magnitude smaller than supported range');
    expect(normalizeNumber('0e999')).toBe('0');
  });
});

describe('number arithmetic and order', () => {
  it('adds and subtracts exactly', () => {
    expect(addNumbers('0.1', '0.2')).toBe('0.3');
    expect(addNumbers('1', '-1')).toBe('0');
    expect(subtractNumbers('10', '0.01')).toBe('9.99');
    expect(addNumbers('99999999999999999999999999999999999999', '-1')).toBe('99999999999999999999999999999999999998');
    expect(subtractNumbers('-5', '-7.5')).toBe('2.5');
    expect(addNumbers('1e100', '1e100')).toBe(`2${'0'.repeat(100)}`);
  });

  it('fails if a result leaves the supported range or precision', () => {
    expectValidation(() => addNumbers('9.9999999999999999999999999999999999999E+125', '9.9999999999999999999999999999999999999E+125'), 'Number overflow. Attempting to store a number with magnitude larger than supported range');
    expectValidation(() => addNumbers('1e30', '0.000000001'), 'Attempting to store more than 38 significant digits in a Number');
  });

  it('compares numerically, canonical or not', () => {
    const sorted = ['-100', '-10.5', '-10', '-9.99', '-0.001', '0', '0.001', '0.5', '1', '1.25', '1.5', '9', '10', '10.01', '100'];
    for (let i = 0; i < sorted.length; i++) {
      for (let j = 0; j < sorted.length; j++) expect(Math.sign(compareNumbers(sorted[i]!, sorted[j]!)), `${sorted[i]} vs ${sorted[j]}`).toBe(Math.sign(i - j));
    }
    expect(compareNumbers('1.50', '1.5')).toBe(0);
    expect(compareNumbers('1e2', '99')).toBe(1);
    expect(compareNumbers('-0', '0')).toBe(0);
  });

  it('counts significant digits without leading or trailing zeros', () => {
    expect(significantDigits('0')).toBe(1);
    expect(significantDigits('100')).toBe(1);
    expect(significantDigits('0.0012')).toBe(2);
    expect(significantDigits('-120.5')).toBe(4);
    expect(significantDigits('1.50')).toBe(2);
  });
});

describe('compareValues', () => {
  it('orders strings by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF61 is 0xEF 0xBD 0xA1 in UTF-8; U+1F600 is 0xF0 …: the emoji sorts after, though its
    // first UTF-16 unit (0xD83D) is smaller than 0xFF61.
    expect(compareStrings('\uff61', '😀')).toBe(-1);
    expect(compareStrings('😀', '\uff61')).toBe(1);
    expect(compareStrings('a', 'b')).toBe(-1);
    expect(compareStrings('ab', 'a')).toBe(1);
    expect(compareStrings('é', 'z')).toBe(1);
    expect(compareStrings('same', 'same')).toBe(0);
    expect(compareStrings('\ud7ff', '\ue000')).toBe(-1);
    expect(compareStrings('😀', '😁')).toBe(-1);
  });

  it('orders binaries by unsigned bytes', () => {
    expect(compareValues({ B: new Uint8Array([0x7f]) }, { B: new Uint8Array([0x80]) })).toBe(-1);
    expect(compareValues({ B: new Uint8Array([1, 2]) }, { B: new Uint8Array([1]) })).toBe(1);
    expect(compareValues({ B: new Uint8Array([1, 2]) }, { B: new Uint8Array([1, 2]) })).toBe(0);
  });

  it('is undefined for different or non-scalar types', () => {
    expect(compareValues({ S: '1' }, { N: '1' })).toBeUndefined();
    expect(compareValues({ L: [] }, { L: [] })).toBeUndefined();
    expect(compareValues({ BOOL: true }, { BOOL: true })).toBeUndefined();
    expect(compareValues({ N: '2' }, { N: '10' })).toBe(-1);
  });
});

describe('valuesEqual', () => {
  it('compares sets regardless of order, numbers by value, documents deeply', () => {
    expect(valuesEqual({ SS: ['a', 'b'] }, { SS: ['b', 'a'] })).toBe(true);
    expect(valuesEqual({ SS: ['a', 'b'] }, { SS: ['a', 'c'] })).toBe(false);
    const many = Array.from({ length: 20 }, (_, i) => `s${i}`);
    expect(valuesEqual({ SS: many }, { SS: [...many].reverse() })).toBe(true);
    expect(valuesEqual({ NS: ['1.5', '2'] }, { NS: ['2', '1.50'] })).toBe(true);
    expect(valuesEqual({ BS: [new Uint8Array([1]), new Uint8Array([2])] }, { BS: [new Uint8Array([2]), new Uint8Array([1])] })).toBe(true);
    expect(valuesEqual({ N: '1' }, { N: '1.0' })).toBe(true);
    expect(valuesEqual({ M: { a: { L: [{ N: '1' }, { S: 'x' }] } } }, { M: { a: { L: [{ N: '1' }, { S: 'x' }] } } })).toBe(true);
    expect(valuesEqual({ M: { a: { S: 'x' } } }, { M: { a: { S: 'x' }, b: { S: 'y' } } })).toBe(false);
    expect(valuesEqual({ L: [{ N: '1' }, { N: '2' }] }, { L: [{ N: '2' }, { N: '1' }] })).toBe(false);
    expect(valuesEqual({ S: '1' }, { N: '1' })).toBe(false);
    expect(valuesEqual({ NULL: true }, { NULL: true })).toBe(true);
    expect(valuesEqual({ BOOL: true }, { BOOL: false })).toBe(false);
  });
});

describe('item sizes', () => {
  it('follows the published rules', () => {
    expect(utf8Length('aé€😀')).toBe(1 + 2 + 3 + 4);
    expect(attributeValueSize({ S: 'aé' })).toBe(3);
    expect(attributeValueSize({ N: '12345' })).toBe(4); // ceil(5/2) + 1
    expect(attributeValueSize({ N: '100' })).toBe(2);
    expect(attributeValueSize({ B: new Uint8Array(7) })).toBe(7);
    expect(attributeValueSize({ BOOL: true })).toBe(1);
    expect(attributeValueSize({ NULL: true })).toBe(1);
    expect(attributeValueSize({ SS: ['ab', 'c'] })).toBe(3);
    expect(attributeValueSize({ NS: ['1', '123'] })).toBe(2 + 3);
    expect(attributeValueSize({ L: [] })).toBe(3);
    expect(attributeValueSize({ L: [{ S: 'ab' }, { BOOL: true }] })).toBe(3 + 3 + 2);
    expect(attributeValueSize({ M: { ab: { S: 'xyz' } } })).toBe(3 + 2 + 3 + 1);
    expect(itemSize({ pk: { S: 'abc' }, n: { N: '1' } })).toBe(2 + 3 + 1 + 2);
  });
});

describe('validation of client values', () => {
  it('copies a valid value with canonical numbers inside sets and documents', () => {
    const raw = { M: { n: { N: '1.50' }, ns: { NS: ['01', '2.0'] }, l: { L: [{ N: '1e1' }] }, b: { B: new Uint8Array([1]) } } };
    const copy = canonicalValue(raw);
    expect(copy).toEqual({ M: { n: { N: '1.5' }, ns: { NS: ['1', '2'] }, l: { L: [{ N: '10' }] }, b: { B: new Uint8Array([1]) } } });
    expect((copy as { M: Record<string, { B?: Uint8Array }> }).M.b!.B).not.toBe(raw.M.b.B);
    expect(canonicalItem({ s: { S: '' }, b: { B: new Uint8Array() } })).toEqual({ s: { S: '' }, b: { B: new Uint8Array() } });
  });

  it('fails if a value has no type or several', () => {
    expectValidation(() => validateAttributeValue({}), 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
    expectValidation(() => validateAttributeValue({ S: 'a', N: '1' }), 'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes');
  });

  it('fails if a set is empty or has duplicates', () => {
    expectValidation(() => validateAttributeValue({ SS: [] }), 'One or more parameter values were invalid: An string set  may not be empty');
    expectValidation(() => validateAttributeValue({ NS: [] }), 'One or more parameter values were invalid: An number set  may not be empty');
    expectValidation(() => validateAttributeValue({ BS: [] }), 'One or more parameter values were invalid: Binary sets should not be empty');
    expectValidation(() => validateAttributeValue({ SS: ['a', 'a'] }), 'One or more parameter values were invalid: Input collection [a, a] contains duplicates.');
    expectValidation(() => validateAttributeValue({ NS: ['1', '1.0'] }), 'Input collection contains duplicates');
    expectValidation(() => validateAttributeValue({ BS: [new Uint8Array([98]), new Uint8Array([98])] }), 'One or more parameter values were invalid: Input collection [Yg==, Yg==]of type BS contains duplicates.');
  });

  it('fails if NULL is not true or a number is invalid', () => {
    expectValidation(() => validateAttributeValue({ NULL: false }), 'One or more parameter values were invalid: Null attribute value types must have the value of true');
    expectValidation(() => validateAttributeValue({ L: [{ N: 'b' }] }), 'The parameter cannot be converted to a numeric value: b');
    expectValidation(() => validateAttributeValue({ NS: ['1', ''] }), 'The parameter cannot be converted to a numeric value');
  });

  it('fails if documents nest deeper than 32 levels', () => {
    const nest = (depth: number): AttributeValue => (depth === 0 ? { S: 'leaf' } : { M: { d: nest(depth - 1) } });
    validateAttributeValue(nest(32));
    expectValidation(() => validateAttributeValue(nest(33)), 'Nesting Levels have exceeded supported limits');
  });

  it('fails if a top-level attribute name is empty', () => {
    expectValidation(() => validateItem({ '': { S: 'x' } }), 'One or more parameter values were invalid: An attribute name must not be empty');
  });

  it('words ExpressionAttributeValues errors per key', () => {
    expectValidation(
      () => validateItem({ ':v': { N: 'NaN' } }, 'ExpressionAttributeValues'),
      'ExpressionAttributeValues contains invalid value: The parameter cannot be converted to a numeric value: NaN for key :v',
    );
    expectValidation(() => validateItem({ ':s': { SS: [] } }, 'ExpressionAttributeValues'), 'ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :s');
  });
});
