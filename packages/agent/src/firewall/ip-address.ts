import { isIPv4, isIPv6 } from 'node:net';
import { InvalidIsolationTargetError } from './firewall.errors.js';

/** An address or network in the canonical text nftables prints, safe to place in a script. */
export interface IpNetwork {
  family: 'ip' | 'ip6';
  /** `10.1.0.0/16`, `2001:db8::1` (a host prefix prints without `/32` or `/128`). */
  text: string;
}

const PREFIX = /^(0|[1-9][0-9]{0,2})$/;
/** Only hex digits, colons and dots: no zone ids (`%eth0`), spaces or brackets. */
const V6_CHARS = /^[0-9A-Fa-f:.]+$/;

/**
 * Parses an IPv4/IPv6 address or CIDR strictly and returns its canonical form: host bits cleared,
 * IPv6 compressed the way `inet_ntop` (and so `nft list`) writes it. Throws
 * {@link InvalidIsolationTargetError} for anything else, so no caller-supplied text ever reaches
 * an nft script unparsed.
 */
export function parseIpNetwork(input: string, what = 'address'): IpNetwork {
  const fail = (why: string): never => {
    throw new InvalidIsolationTargetError(
      `${what} ${JSON.stringify(input.slice(0, 80))} is not a valid IPv4/IPv6 address or CIDR: ${why}`,
      { [what]: input.slice(0, 80) },
    );
  };
  if (typeof input !== 'string' || input.length > 64) fail('expected a string of at most 64 characters');
  const slash = input.indexOf('/');
  const addr = slash < 0 ? input : input.slice(0, slash);
  const prefixText = slash < 0 ? null : input.slice(slash + 1);
  if (prefixText !== null && !PREFIX.test(prefixText)) fail('prefix length must be a decimal number');

  if (isIPv4(addr)) {
    const prefix = prefixText === null ? 32 : Number(prefixText);
    if (prefix > 32) fail('IPv4 prefix length must be 0-32');
    const bytes = addr.split('.').map(Number);
    return { family: 'ip', text: withPrefix(formatV4(maskBytes(bytes, prefix)), prefix, 32) };
  }
  if (V6_CHARS.test(addr) && isIPv6(addr)) {
    const prefix = prefixText === null ? 128 : Number(prefixText);
    if (prefix > 128) fail('IPv6 prefix length must be 0-128');
    return { family: 'ip6', text: withPrefix(formatV6(maskBytes(parseV6(addr), prefix)), prefix, 128) };
  }
  return fail('not an IP address');
}

function withPrefix(addr: string, prefix: number, full: number): string {
  return prefix === full ? addr : `${addr}/${prefix}`;
}

function maskBytes(bytes: readonly number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

function formatV4(bytes: readonly number[]): string {
  return bytes.join('.');
}

/** 16 bytes from a text IPv6 address already accepted by `isIPv6` (so well-formed). */
function parseV6(text: string): number[] {
  let head = text;
  let v4Tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    v4Tail = text
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const [left = '', right] = head.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const words = [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
  if (v4Tail.length === 4) bytes.splice(12, 4, ...v4Tail);
  return bytes;
}

/** RFC 5952 text as glibc's `inet_ntop` writes it, including its `::ffff:a.b.c.d` form. */
function formatV6(bytes: readonly number[]): string {
  const words = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  words.forEach((w, i) => {
    if (w === 0) {
      cur = cur.base < 0 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
      if (cur.len > best.len) best = cur;
    } else cur = { base: -1, len: 0 };
  });
  if (best.len < 2) best = { base: -1, len: 0 };
  const embedsV4 = best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff));
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === best.base) {
      out += '::';
      i += best.len - 1;
      continue;
    }
    if (embedsV4 && i === 6) return `${out}${out.endsWith(':') ? '' : ':'}${formatV4(bytes.slice(12))}`;
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += words[i]!.toString(16);
  }
  return out;
}
