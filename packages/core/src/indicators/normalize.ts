import type { IndicatorType } from '../vocab/indicator.js';
import { normalizeDomain } from './domain.js';
import { normalizeHash } from './hash.js';
import { normalizeIp } from './ip.js';
import { normalizeUrl } from './url.js';

const NORMALIZERS: Record<IndicatorType, (raw: string) => string> = {
  sha256: (raw) => normalizeHash('sha256', raw),
  sha1: (raw) => normalizeHash('sha1', raw),
  md5: (raw) => normalizeHash('md5', raw),
  ipv4: (raw) => normalizeIp('ipv4', raw),
  ipv6: (raw) => normalizeIp('ipv6', raw),
  domain: normalizeDomain,
  url: normalizeUrl,
};

/**
 * The canonical form of an indicator value, so that one thing is stored, matched and
 * de-duplicated as one string. Idempotent. Throws an InputError whose message says what to fix
 * (and `details.reason` the reason alone). The forms, per type:
 * - hashes: lower-case hex of the exact length;
 * - `ipv4` / `ipv6`: an address or CIDR block, RFC 5952 for IPv6, no `/32` or `/128` on a single
 *   host; host bits after the prefix are refused (not masked), and so is `/0`;
 * - `domain`: lower-case IDNA ASCII, no trailing dot, `*.` dropped, at least two labels;
 * - `url`: absolute http(s), WHATWG-normalised, no fragment or credentials, at most 2048 chars.
 */
export function normalizeIndicatorValue(type: IndicatorType, raw: string): string {
  return NORMALIZERS[type](raw);
}
