/**
 * `{"cidr": "10.0.0.0/24"}` for IPv4 and IPv6. Addresses are parsed by hand (no `node:net`) so the
 * module stays dependency-free and behaves identically wherever it is bundled. IPv4 is kept as an
 * unsigned 32-bit number and IPv6 as a bigint, so a membership test is one mask-and-compare.
 */

import { PatternError, describeValue } from './errors.js';
import type { ValueMatcher } from './types.js';

/** A parsed address; the family decides which CIDR blocks it can fall into (v4 never matches a v6 block). */
export type IpAddress = { readonly v6: false; readonly value: number } | { readonly v6: true; readonly value: bigint };

const DECIMAL_OCTET = /^\d{1,3}$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Parses dotted-quad IPv4 (`10.0.0.1`); null when it is not one. */
function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!DECIMAL_OCTET.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    // Multiply instead of shifting: `<<` works on signed 32-bit ints and would go negative.
    value = value * 256 + octet;
  }
  return value;
}

/** Converts 1..n colon-separated hex groups into 16-bit numbers, or null on any bad group. */
function parseHexGroups(text: string): number[] | null {
  if (text === '') return [];
  const groups: number[] = [];
  for (const group of text.split(':')) {
    if (!HEX_GROUP.test(group)) return null;
    groups.push(parseInt(group, 16));
  }
  return groups;
}

/** Parses IPv6 including `::` compression and an embedded IPv4 tail (`::ffff:10.0.0.1`). */
function parseIpv6(text: string): bigint | null {
  let body = text;
  let tail: number[] = [];
  // An embedded IPv4 address may only be the last 32 bits.
  const lastColon = body.lastIndexOf(':');
  if (lastColon >= 0 && body.includes('.', lastColon)) {
    const v4 = parseIpv4(body.slice(lastColon + 1));
    if (v4 === null) return null;
    tail = [Math.floor(v4 / 65536), v4 % 65536];
    // Keep the colon when it is part of a "::" so the split below still sees the compression.
    body = body.slice(0, body[lastColon - 1] === ':' ? lastColon + 1 : lastColon);
  }
  const doubleColon = body.indexOf('::');
  let groups: number[];
  if (doubleColon >= 0) {
    if (body.indexOf('::', doubleColon + 1) >= 0) return null; // "::" may appear only once
    const head = parseHexGroups(body.slice(0, doubleColon));
    const rest = parseHexGroups(body.slice(doubleColon + 2));
    if (head === null || rest === null) return null;
    const missing = 8 - head.length - rest.length - tail.length;
    if (missing < 1) return null; // "::" must stand for at least one zero group
    groups = [...head, ...new Array<number>(missing).fill(0), ...rest, ...tail];
  } else {
    const all = parseHexGroups(body);
    if (all === null) return null;
    groups = [...all, ...tail];
  }
  if (groups.length !== 8) return null;
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(group);
  return value;
}

/** Parses an IPv4 or IPv6 literal; null when the text is neither (hostnames, zone ids, garbage). */
export function parseIp(text: string): IpAddress | null {
  if (text.includes(':')) {
    const value = parseIpv6(text);
    return value === null ? null : { v6: true, value };
  }
  const value = parseIpv4(text);
  return value === null ? null : { v6: false, value };
}

/** A validated CIDR block reduced to a membership test on parsed addresses. */
export function parseCidr(text: string): { contains(ip: IpAddress): boolean } | { error: string } {
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) {
    return { error: `CIDR ${JSON.stringify(text)} must contain exactly one "/" followed by a prefix length, e.g. "10.0.0.0/24" or "2001:db8::/32"` };
  }
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const address = parseIp(addressText);
  if (address === null) {
    return { error: `CIDR ${JSON.stringify(text)} has ${JSON.stringify(addressText)}, which is not a valid IPv4 or IPv6 address; write e.g. "10.0.0.0/24" or "2001:db8::/32"` };
  }
  const maxPrefix = address.v6 ? 128 : 32;
  const family = address.v6 ? 'IPv6' : 'IPv4';
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) {
    return { error: `CIDR ${JSON.stringify(text)} has prefix length ${JSON.stringify(prefixText)}; an ${family} prefix length must be a whole number from 0 to ${maxPrefix}` };
  }
  const prefix = Number(prefixText);
  if (address.v6) {
    const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(128 - prefix);
    // Host bits in the pattern are ignored (standard CIDR semantics): 10.0.0.7/24 means 10.0.0.0/24.
    const network = address.value & mask;
    return { contains: (ip) => ip.v6 && (ip.value & mask) === network };
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (address.value & mask) >>> 0;
  return { contains: (ip) => !ip.v6 && ((ip.value & mask) >>> 0) === network };
}

/** `{"cidr": "..."}`: matches string event values holding an address inside the block. */
export function compileCidr(operand: unknown, path: string, fragment: unknown): ValueMatcher {
  if (typeof operand !== 'string') {
    throw new PatternError(
      path,
      `"cidr" expects a string such as "10.0.0.0/24" or "2001:db8::/32", got ${describeValue(operand)}`,
      fragment,
    );
  }
  const block = parseCidr(operand);
  if ('error' in block) throw new PatternError(path, block.error, fragment);
  return (value) => {
    if (typeof value !== 'string') return false;
    const ip = parseIp(value);
    return ip !== null && block.contains(ip);
  };
}
