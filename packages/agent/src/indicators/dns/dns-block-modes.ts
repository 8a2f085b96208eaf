/**
 * How a blocked name is answered: `nxdomain` (the name does not exist) or `sinkhole` (0.0.0.0 for
 * A, :: for AAAA, TTL 60 s). Its own file so the agent config can name it without loading the filter.
 */
export const DNS_BLOCK_MODES = ['nxdomain', 'sinkhole'] as const;
export type DnsBlockMode = (typeof DNS_BLOCK_MODES)[number];
