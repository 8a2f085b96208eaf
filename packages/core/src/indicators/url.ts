import { parseIpLenient } from './ip.js';
import { hostForMatching } from './domain.js';
import { invalidValue } from './value-error.js';

/** Longest URL indicator, before and after normalisation; longer ones are rarely typed on purpose. */
export const MAX_URL_LENGTH = 2048;

const HTTP_SCHEME = /^https?:\/\//i;

/**
 * Parse and normalise with the WHATWG URL parser (what browsers and Node's fetch use, so the
 * indicator is compared with the same string an agent or proxy sees): lower-case scheme and
 * host, punycode, default port dropped, dot segments resolved, percent-encoding made uniform.
 * The fragment never leaves the browser and credentials never appear on the request line, so
 * both are dropped; an empty `?` is dropped too.
 */
function parseHttpUrl(s: string): URL | string {
  if (!HTTP_SCHEME.test(s))
    return 'it must be an absolute URL starting with http:// or https:// (for a bare host use type domain)';
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return 'it is not a valid URL';
  }
  if (u.hostname === '') return 'it has no host';
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  if (!parseIpLenient(host) && !hostForMatching(host)) return `its host "${u.hostname}" is not a valid name`;
  u.username = '';
  u.password = '';
  u.hash = '';
  if (u.search === '') u.search = '';
  return u;
}

/** Canonical `url` indicator value, or an InputError saying what to fix. */
export function normalizeUrl(raw: string): string {
  const s = raw.trim();
  if (s === '') throw invalidValue('url', raw, 'the value is empty');
  if (s.length > MAX_URL_LENGTH)
    throw invalidValue('url', raw, `it is ${s.length} characters long; the limit is ${MAX_URL_LENGTH}`);
  const u = parseHttpUrl(s);
  if (typeof u === 'string') throw invalidValue('url', raw, u);
  if (u.href.length > MAX_URL_LENGTH)
    throw invalidValue('url', raw, `it is longer than ${MAX_URL_LENGTH} characters once normalised`);
  return u.href;
}

/**
 * Whether a URL indicator matches an observed URL: equal after normalisation, except that an
 * indicator without a query matches the same address with any query (`/dl.php` covers
 * `/dl.php?id=7`). Never throws: an unreadable observed URL matches nothing.
 */
export function urlMatches(indicatorUrl: string, observedUrl: string): boolean {
  const i = parseHttpUrl(indicatorUrl.trim());
  const o = parseHttpUrl(observedUrl.trim());
  if (typeof i === 'string' || typeof o === 'string') return false;
  if (i.search === '') o.search = '';
  return i.href === o.href;
}
