import { validation } from './errors.js';

/**
 * DynamoDB numbers: up to 38 significant digits, magnitude between 1E-130 and
 * 9.9999999999999999999999999999999999999E+125, or zero. Held as an exact decimal (a BigInt of
 * digits and a power of ten) so arithmetic and comparison never round, as DynamoDB's never do.
 */
export interface Decimal {
  /** Significant digits without trailing zeros (0n for zero), signed. */
  readonly digits: bigint;
  /** value = digits × 10^exponent */
  readonly exponent: number;
}

const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const MAX_DIGITS = 38;

export function parseDecimal(text: string): Decimal {
  const match = NUMBER.exec(text.trim());
  if (!match || (match[2] === '' && (match[3] === undefined || match[3] === ''))) {
    throw validation(`The parameter cannot be converted to a numeric value: ${text}`);
  }
  const [, sign, whole = '', fraction = '', exp = '0'] = match;
  let digits = (whole + fraction).replace(/^0+/, '');
  let exponent = Number(exp) - fraction.length;
  if (digits === '') return { digits: 0n, exponent: 0 };
  const trailing = /0+$/.exec(digits)?.[0].length ?? 0;
  if (trailing) {
    digits = digits.slice(0, -trailing);
    exponent += trailing;
  }
  if (digits.length > MAX_DIGITS) throw validation('Attempting to store more than 38 significant digits in a Number');
  const magnitude = digits.length - 1 + exponent; // position of the leading digit
  if (magnitude > 125) throw validation('Number overflow. Attempting to store a number with magnitude larger than supported range');
  if (magnitude < -130) throw validation('Number underflow. Attempting to store a number with magnitude smaller than supported range');
  const value = BigInt(digits);
  return { digits: sign === '-' ? -value : value, exponent };
}

/** The canonical text DynamoDB returns: plain decimal notation, no leading or trailing zeros. */
export function formatDecimal(d: Decimal): string {
  if (d.digits === 0n) return '0';
  const negative = d.digits < 0n;
  const digits = (negative ? -d.digits : d.digits).toString();
  let text: string;
  if (d.exponent >= 0) text = digits + '0'.repeat(d.exponent);
  else {
    const point = digits.length + d.exponent;
    text = point > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : `0.${'0'.repeat(-point)}${digits}`;
  }
  return negative ? `-${text}` : text;
}

/** Validates a number string and returns its canonical form. */
export function normalizeNumber(text: string): string {
  return formatDecimal(parseDecimal(text));
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const exponent = Math.min(a.exponent, b.exponent);
  return [a.digits * 10n ** BigInt(a.exponent - exponent), b.digits * 10n ** BigInt(b.exponent - exponent), exponent];
}

export function compareNumbers(a: string, b: string): number {
  if (a === b) return 0;
  const [x, y] = align(parseDecimal(a), parseDecimal(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

function arithmetic(a: string, b: string, sign: 1n | -1n): string {
  const [x, y, exponent] = align(parseDecimal(a), parseDecimal(b));
  // Re-parse the result so the 38-digit and range limits apply to it as to any stored number.
  const sum = x + sign * y;
  return normalizeNumber(`${sum.toString()}e${exponent}`);
}

export const addNumbers = (a: string, b: string): string => arithmetic(a, b, 1n);
export const subtractNumbers = (a: string, b: string): string => arithmetic(a, b, -1n);

/** Significant digits, for item size: DynamoDB stores about one byte per two digits, plus one. */
export function significantDigits(text: string): number {
  const d = parseDecimal(text);
  return d.digits === 0n ? 1 : (d.digits < 0n ? -d.digits : d.digits).toString().length;
}
