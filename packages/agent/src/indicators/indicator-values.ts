import {
  FILE_INDICATOR_TYPES,
  INDICATOR_ACTIONS,
  INDICATOR_TYPES,
  SEVERITIES,
  type IndicatorType,
} from '@quell/core';
import { parseIpNetwork } from '../firewall/ip-address.js';
import { InvalidIndicatorError } from './indicators.errors.js';
import {
  MAX_INDICATOR_ID_LENGTH,
  MAX_INDICATOR_TITLE_LENGTH,
  type SyncIndicator,
} from './indicator-sync.types.js';

/**
 * Checks and canonicalises what the server sent. The server already normalises values; the agent
 * re-checks them anyway because a value reaches nft scripts and lookup tables, and re-printing
 * addresses through {@link parseIpNetwork} gives exactly the text `nft list` prints back.
 */

export type HashType = (typeof FILE_INDICATOR_TYPES)[number];
export const HASH_TYPES: readonly HashType[] = FILE_INDICATOR_TYPES;
export const HASH_BYTE_LENGTH: Record<HashType, number> = { sha256: 32, sha1: 20, md5: 16 };

export function isHashType(type: IndicatorType): type is HashType {
  return type === 'sha256' || type === 'sha1' || type === 'md5';
}

/** Printable ASCII without spaces: ids go into a byte arena one byte per character. */
const ID = /^[\x21-\x7e]+$/;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const MAX_DOMAIN_LENGTH = 253;

/**
 * Buffer views of the stores' byte arrays, so hex goes in and out through Node's native codec:
 * the agent runs without V8's optimising compiler (footprint), where a JavaScript hex loop made
 * a tenth of the time of syncing a million indicators.
 */
const views = new WeakMap<Uint8Array, Buffer>();
function view(a: Uint8Array): Buffer {
  let v = views.get(a);
  if (!v) {
    v = Buffer.isBuffer(a) ? a : Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    views.set(a, v);
  }
  return v;
}

/** Decodes `hex` into `out` at `off`; false when it is not exactly `out`-width hex. */
export function hexInto(hex: string, out: Uint8Array, off: number, bytes: number): boolean {
  if (hex.length !== bytes * 2) return false;
  // Node stops at the first character that is not hex, so a short count means a bad value.
  return view(out).write(hex, off, bytes, 'hex') === bytes;
}

export function bytesToHex(buf: Uint8Array, off: number, len: number): string {
  return view(buf).toString('hex', off, off + len);
}

/** Lower-case, without one trailing dot: how DNS names and domain values are compared. */
export function hostKey(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** A domain value as the store keeps it, or null when it is not a DNS name. */
export function canonicalDomain(value: string): string | null {
  const d = hostKey(value);
  if (d === '' || d.length > MAX_DOMAIN_LENGTH) return null;
  for (const label of d.split('.')) if (!LABEL.test(label)) return null;
  return d;
}

/**
 * A URL in the form indicators are matched in (the WHATWG parser, as the server's normaliser
 * uses): lower-case scheme and host, default port dropped, no credentials, no fragment.
 * Returns null for anything but an absolute http(s) URL.
 */
export function canonicalUrl(value: string): { url: string; host: string } | null {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return null;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.hostname === '') return null;
  u.username = '';
  u.password = '';
  u.hash = '';
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { url: u.href, host: hostKey(host) };
}

/** An indicator that passed {@link checkIndicator}, with its value in canonical form. */
export interface CheckedIndicator {
  src: SyncIndicator;
  value: string;
  /** Epoch ms; 0 = never expires. */
  expiresAt: number;
  title: string;
}

/** Checks one indicator of a payload; throws {@link InvalidIndicatorError} naming it. */
export function checkIndicator(x: SyncIndicator, index: number): CheckedIndicator {
  const fail = (why: string): never => {
    const id = typeof x?.id === 'string' ? x.id.slice(0, MAX_INDICATOR_ID_LENGTH) : null;
    throw new InvalidIndicatorError(`indicator #${index}${id ? ` (${id})` : ''} refused: ${why}`, {
      index,
      id,
    });
  };
  if (typeof x !== 'object' || x === null) return fail('not an object');
  if (typeof x.id !== 'string' || x.id.length > MAX_INDICATOR_ID_LENGTH || !ID.test(x.id))
    fail(`id must be 1-${MAX_INDICATOR_ID_LENGTH} printable ASCII characters without spaces`);
  if (!INDICATOR_TYPES.includes(x.type)) fail(`unknown type ${JSON.stringify(x.type)}`);
  if (!INDICATOR_ACTIONS.includes(x.action)) fail(`unknown action ${JSON.stringify(x.action)}`);
  if (!SEVERITIES.includes(x.severity)) fail(`unknown severity ${JSON.stringify(x.severity)}`);
  if (typeof x.groupScoped !== 'boolean' || typeof x.generateAlert !== 'boolean')
    fail('groupScoped and generateAlert must be booleans');
  if (typeof x.title !== 'string') fail('title must be a string');
  if (typeof x.value !== 'string' || x.value.length === 0 || x.value.length > 4096)
    fail('value must be a non-empty string of at most 4096 characters');
  let expiresAt = 0;
  if (x.expiresAt !== null) {
    expiresAt = typeof x.expiresAt === 'string' ? Date.parse(x.expiresAt) : NaN;
    if (!Number.isFinite(expiresAt) || expiresAt <= 0)
      fail('expiresAt must be an ISO 8601 date-time or null');
  }
  const value = canonicalValue(x.type, x.value);
  if (value === null) return fail(`value ${JSON.stringify(x.value.slice(0, 80))} is not a valid ${x.type}`);
  const title =
    x.title.length > MAX_INDICATOR_TITLE_LENGTH ? x.title.slice(0, MAX_INDICATOR_TITLE_LENGTH) : x.title;
  return { src: x, value, expiresAt, title };
}

function canonicalValue(type: IndicatorType, raw: string): string | null {
  switch (type) {
    case 'sha256':
    case 'sha1':
    case 'md5':
      // Hashes are kept as bytes, so the case of the hex does not matter and is left as sent.
      return hexInto(raw, SCRATCH, 0, HASH_BYTE_LENGTH[type]) ? raw : null;
    case 'ipv4':
    case 'ipv6':
      try {
        const net = parseIpNetwork(raw, 'value');
        return (net.family === 'ip') === (type === 'ipv4') ? net.text : null;
      } catch {
        return null;
      }
    case 'domain':
      return canonicalDomain(raw);
    case 'url':
      return canonicalUrl(raw)?.url ?? null;
  }
}

const SCRATCH = new Uint8Array(32);
