/**
 * Indicators of compromise (issue 4). One vocabulary for the server, the agent, the formats
 * (CSV, STIX 2.1, TAXII 2.1) and the console.
 *
 * - `ipv4` / `ipv6` values are an address or a CIDR block (`10.0.0.0/8`, `2001:db8::/32`).
 * - `domain` covers the domain and all its subdomains (`example.com` covers `a.b.example.com`).
 * - `url` is an absolute http(s) URL, matched after normalisation (lower-case scheme and host,
 *   default port dropped, fragment dropped).
 * - hashes are lower-case hex of the right length.
 */
export const INDICATOR_TYPES = ['sha256', 'sha1', 'md5', 'ipv4', 'ipv6', 'domain', 'url'] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];

export const FILE_INDICATOR_TYPES = ['sha256', 'sha1', 'md5'] as const satisfies readonly IndicatorType[];
export type FileIndicatorType = (typeof FILE_INDICATOR_TYPES)[number];

/** Hex digits in each hash type; a value of another length is a different hash (or a typo). */
export const HASH_HEX_LENGTHS: Record<FileIndicatorType, number> = { sha256: 64, sha1: 40, md5: 32 };

export const NETWORK_INDICATOR_TYPES = [
  'ipv4',
  'ipv6',
  'domain',
  'url',
] as const satisfies readonly IndicatorType[];
export type NetworkIndicatorType = (typeof NETWORK_INDICATOR_TYPES)[number];

/**
 * What an indicator does when it matches.
 * - `allow`: suppresses detections, blocking and quarantine of what it covers.
 * - `audit`: raises an alert (when `generateAlert`) and changes nothing.
 * - `block`: prevents execution (hashes) or traffic (addresses, domains, URLs).
 * - `block_and_remediate`: blocks, and also quarantines existing and new copies (hashes only;
 *   on network types it acts as `block`).
 */
export const INDICATOR_ACTIONS = ['allow', 'audit', 'block', 'block_and_remediate'] as const;
export type IndicatorAction = (typeof INDICATOR_ACTIONS)[number];

/**
 * Precedence between indicators that match the same thing (higher wins). Chosen so that an
 * analyst can always correct a false positive at once: an allow overrides any block. Scope
 * narrows first: an indicator for the device's group beats one for all devices, whatever the
 * action; within the same scope breadth, this rank decides.
 */
export const INDICATOR_ACTION_RANK: Record<IndicatorAction, number> = {
  audit: 0,
  block: 1,
  block_and_remediate: 2,
  allow: 3,
};

/** Where indicators come from; shown in the console and kept in exports. */
export const INDICATOR_SOURCES = ['manual', 'import_csv', 'import_stix', 'taxii', 'action'] as const;
export type IndicatorSource = (typeof INDICATOR_SOURCES)[number];
