/** Health of an enrolled device as the server sees it (ARCHITECTURE §4). */
export const DEVICE_HEALTH = ['online', 'offline', 'degraded'] as const;
export type DeviceHealth = (typeof DEVICE_HEALTH)[number];

/**
 * Isolation and restriction as *verified by the agent* from what it read back (the nftables
 * ruleset, the exec-control helper), never from the command that was sent.
 * - `off`: nothing applied and nothing desired.
 * - `applying`: desired, not yet verified (just after a command, or while re-asserting).
 * - `on`: desired and verified in force.
 * - `failed`: desired but the agent could not verify it (it says why).
 * - `unknown`: the device never reported (not enrolled, or offline since before the first report).
 */
export const ENFORCEMENT_STATES = ['off', 'applying', 'on', 'failed', 'unknown'] as const;
export type EnforcementState = (typeof ENFORCEMENT_STATES)[number];

export const ISOLATION_MODES = ['full', 'selective'] as const;
export type IsolationMode = (typeof ISOLATION_MODES)[number];

export const TRAFFIC_DIRECTIONS = ['outbound', 'inbound', 'both'] as const;
export type TrafficDirection = (typeof TRAFFIC_DIRECTIONS)[number];

export const EXCLUSION_PROTOCOLS = ['tcp', 'udp', 'any'] as const;
export type ExclusionProtocol = (typeof EXCLUSION_PROTOCOLS)[number];

export const SCAN_SCOPES = ['quick', 'full'] as const;
export type ScanScope = (typeof SCAN_SCOPES)[number];

/** Scan engines an agent may run; `hash` (SHA-256 against indicators and built-in signatures) always runs. */
export const SCAN_ENGINES = ['hash', 'yara', 'clamav'] as const;
export type ScanEngine = (typeof SCAN_ENGINES)[number];
