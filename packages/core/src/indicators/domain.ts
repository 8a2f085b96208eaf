import { invalidValue } from './value-error.js';

/**
 * Domain names. Unicode names become IDNA punycode through the WHATWG `URL` parser: a global in
 * Node and in browsers, deterministic and free of I/O, so core stays pure without pulling in
 * `node:url` (core also ends up in the console through contracts).
 */

const MAX_DOMAIN_LENGTH = 253;
/** DNS allows underscores (`_dmarc`, and malware that uses them); hostnames proper do not. */
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
/** Characters that mean the value is a URL, an address with a port, or not a name at all. */
const NOT_A_NAME = /[/\\?#@:\s%[\]<>^|"]/;
/** A last label that the URL parser would read as part of an IPv4 address. */
const NUMERIC_LABEL = /^(\d+|0x[0-9a-f]*)$/i;

/** Why a string is not a domain; internal, turned into an InputError by the caller. */
class NotADomain extends Error {}

/**
 * Lower-case ASCII form of a host name, with one trailing dot dropped; throws NotADomain.
 * No policy here (single labels pass): matching uses it for observed hosts too.
 */
function asciiHost(raw: string): string {
  let s = raw.trim();
  if (s.endsWith('.')) s = s.slice(0, -1);
  if (s === '') throw new NotADomain('the value is empty');
  if (NOT_A_NAME.test(s))
    throw new NotADomain(
      'a domain is a bare name: leave out the scheme, port, path and spaces (for a whole address use type url)',
    );
  if (NUMERIC_LABEL.test(s.split('.').pop() ?? ''))
    throw new NotADomain('it looks like an IP address; use type ipv4 or ipv6');
  let ascii: string;
  try {
    ascii = new URL(`http://${s}/`).hostname;
  } catch {
    throw new NotADomain('it cannot be converted to an IDNA (punycode) name');
  }
  // Unicode full stops (。) become dots in the conversion, so a trailing one shows up only now.
  if (ascii.endsWith('.')) ascii = ascii.slice(0, -1);
  if (ascii.length > MAX_DOMAIN_LENGTH)
    throw new NotADomain(`it is ${ascii.length} characters long; a domain has at most ${MAX_DOMAIN_LENGTH}`);
  for (const label of ascii.split('.')) {
    if (label === '') throw new NotADomain('it has an empty label (two dots in a row, or a leading dot)');
    if (!LABEL.test(label))
      throw new NotADomain(
        `the label "${label}" is not 1-63 letters, digits, hyphens or underscores, starting and ending with a letter or digit`,
      );
  }
  return ascii;
}

/**
 * Canonical `domain` indicator value: lower-case ASCII (punycode), no trailing dot. A leading
 * `*.` is dropped because a domain indicator covers its subdomains anyway. A single label is
 * refused: it would cover a whole top-level domain.
 */
export function normalizeDomain(raw: string): string {
  let s = raw.trim();
  if (s.startsWith('*.')) s = s.slice(2);
  let ascii: string;
  try {
    ascii = asciiHost(s);
  } catch (e) {
    if (e instanceof NotADomain) throw invalidValue('domain', raw, e.message);
    throw e;
  }
  if (!ascii.includes('.'))
    throw invalidValue(
      'domain',
      raw,
      'a single label would cover a whole top-level domain; give at least two',
    );
  return ascii;
}

/** ASCII host for matching, or null for what is not a host name. */
export function hostForMatching(raw: string): string | null {
  try {
    return asciiHost(raw);
  } catch (e) {
    if (e instanceof NotADomain) return null;
    throw e;
  }
}

/** Whether the domain indicator covers `host`: the domain itself or any subdomain of it. */
export function domainCovers(indicatorDomain: string, host: string): boolean {
  const d = hostForMatching(indicatorDomain);
  const h = hostForMatching(host);
  if (!d || !h) return false;
  return h === d || h.endsWith(`.${d}`);
}
