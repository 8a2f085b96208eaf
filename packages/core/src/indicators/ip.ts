import { invalidValue } from './value-error.js';

/**
 * IPv4 and IPv6 addresses and CIDR blocks, parsed by hand: core stays free of Node's `net`
 * module (contracts, and so the console, import core).
 *
 * Canonical form: IPv4 in dotted decimal, IPv6 per RFC 5952 (lower-case hex, no leading zeros,
 * the longest run of two or more zero groups as `::`); a single host (`/32`, `/128`) is written
 * without its prefix, so `192.0.2.1/32` and `192.0.2.1` are one indicator.
 *
 * Host bits after the prefix are rejected, not masked: `10.1.2.3/8` is more often a typo for one
 * host than a wish to block sixteen million addresses, so the message names both readings and
 * lets the analyst pick.
 */

export type IpFamily = 4 | 6;

/** An address or block; `bits` is the address as an unsigned integer of the family's width. */
export interface IpBlock {
  family: IpFamily;
  bits: bigint;
  prefix: number;
}

export const IP_WIDTH: Record<IpFamily, number> = { 4: 32, 6: 128 };

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;
const PREFIX = /^(0|[1-9]\d{0,2})$/;
/** The upper 96 bits of an IPv4-mapped IPv6 address (`::ffff:0:0/96`). */
const V4_MAPPED = 0xffffn;

/** Why a string is not an address; internal, turned into an InputError by the caller. */
class NotAnAddress extends Error {}

function parseV4(s: string): bigint {
  const m = V4.exec(s);
  if (!m) throw new NotAnAddress('an IPv4 address is four decimal numbers 0-255 separated by dots');
  let n = 0n;
  for (const part of m.slice(1) as string[]) {
    if (part.length > 1 && part.startsWith('0'))
      throw new NotAnAddress(`"${part}" has a leading zero, which some systems read as octal; leave it out`);
    const v = Number(part);
    if (v > 255) throw new NotAnAddress(`${part} is over 255`);
    n = (n << 8n) | BigInt(v);
  }
  return n;
}

function v6Groups(part: string, allowV4Tail: boolean): number[] {
  if (part === '') return [];
  const items = part.split(':');
  const out: number[] = [];
  items.forEach((g, i) => {
    if (allowV4Tail && i === items.length - 1 && g.includes('.')) {
      const v4 = parseV4(g);
      out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    } else if (g === '') {
      throw new NotAnAddress('it has an empty group (a stray colon)');
    } else if (!HEX_GROUP.test(g)) {
      throw new NotAnAddress(`"${g}" is not a group of 1-4 hex digits`);
    } else out.push(parseInt(g, 16));
  });
  return out;
}

function parseV6(s: string): bigint {
  if (s.includes('%'))
    throw new NotAnAddress('a zone id (%eth0) only means something on one host; leave it out');
  const halves = s.split('::');
  if (halves.length > 2) throw new NotAnAddress('"::" may appear only once');
  let groups: number[];
  if (halves.length === 2) {
    const left = v6Groups(halves[0] ?? '', false);
    const right = v6Groups(halves[1] ?? '', true);
    if (left.length + right.length > 7)
      throw new NotAnAddress('it has too many groups for "::" to stand for any');
    groups = [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  } else {
    groups = v6Groups(s, true);
    if (groups.length !== 8)
      throw new NotAnAddress(`it has ${groups.length} groups; an IPv6 address has 8 (or uses "::")`);
  }
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

export function formatIp(family: IpFamily, bits: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((sh) => String((bits >> sh) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((bits >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function hostMask(family: IpFamily, prefix: number): bigint {
  return (1n << BigInt(IP_WIDTH[family] - prefix)) - 1n;
}

function familyOf(s: string): IpFamily {
  return s.includes(':') ? 6 : 4;
}

function parseBlock(s: string, family: IpFamily): IpBlock {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const bits = family === 4 ? parseV4(addr) : parseV6(addr);
  let prefix = IP_WIDTH[family];
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!PREFIX.test(p) || Number(p) > IP_WIDTH[family])
      throw new NotAnAddress(`the prefix "/${p}" must be a number from 0 to ${IP_WIDTH[family]}`);
    prefix = Number(p);
  }
  return { family, bits, prefix };
}

/** Canonical `ipv4` / `ipv6` indicator value, or an InputError saying what to fix. */
export function normalizeIp(type: 'ipv4' | 'ipv6', raw: string): string {
  const s = raw.trim();
  const family: IpFamily = type === 'ipv4' ? 4 : 6;
  if (s === '') throw invalidValue(type, raw, 'the value is empty');
  const other: IpFamily = family === 4 ? 6 : 4;
  if (familyOf(s) === other && parseIpLenient(s)?.family === other)
    throw invalidValue(type, raw, `it is an IPv${other} address; use type ipv${other}`);
  let block: IpBlock;
  try {
    block = parseBlock(s, family);
  } catch (e) {
    if (e instanceof NotAnAddress) throw invalidValue(type, raw, e.message);
    throw e;
  }
  const width = IP_WIDTH[family];
  if (family === 6 && block.prefix >= 96 && block.bits >> 32n === V4_MAPPED) {
    const v4 = formatIp(4, block.bits & 0xffffffffn);
    const p = block.prefix === 128 ? '' : `/${block.prefix - 96}`;
    throw invalidValue(type, raw, `it is an IPv4-mapped address; add it as ipv4 ${v4}${p}`);
  }
  if (block.prefix === 0)
    throw invalidValue(type, raw, 'a /0 block covers every address; to cut a device off, isolate it instead');
  const host = block.bits & hostMask(family, block.prefix);
  if (host !== 0n) {
    const network = formatIp(family, block.bits & ~hostMask(family, block.prefix));
    const address = formatIp(family, block.bits);
    throw invalidValue(
      type,
      raw,
      `host bits are set after /${block.prefix}; write ${network}/${block.prefix} for the block or ${address} for the one address`,
    );
  }
  const addr = formatIp(family, block.bits);
  return block.prefix === width ? addr : `${addr}/${block.prefix}`;
}

/**
 * Lenient parse of an observed address or block: host bits are ignored and an IPv4-mapped IPv6
 * address (what a dual-stack socket reports) is read as the IPv4 address it carries.
 */
export function parseIpLenient(raw: string): IpBlock | null {
  const s = raw.trim();
  try {
    const b = parseBlock(s, familyOf(s));
    if (b.family === 6 && b.prefix >= 96 && b.bits >> 32n === V4_MAPPED)
      return { family: 4, bits: b.bits & 0xffffffffn, prefix: b.prefix - 96 };
    return b;
  } catch (e) {
    if (e instanceof NotAnAddress) return null;
    throw e;
  }
}

/**
 * Whether the block `cidr` covers `ip` (an address, or a block that must lie wholly inside).
 * Never throws: observed values come off the wire, and an unreadable one matches nothing.
 */
export function cidrContains(cidr: string, ip: string): boolean {
  const outer = parseIpLenient(cidr);
  const inner = parseIpLenient(ip);
  if (!outer || !inner || outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  const shift = BigInt(IP_WIDTH[outer.family] - outer.prefix);
  return outer.bits >> shift === inner.bits >> shift;
}
