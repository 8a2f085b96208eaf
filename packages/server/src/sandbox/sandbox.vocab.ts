/**
 * Closed vocabularies of the deep-analysis sandbox. Each is an `as const` array with a derived
 * union, so adding a value breaks the build wherever a `Record<Union, …>` does not handle it.
 */

/** How a detonation ended. `timed_out` reports what was seen until the wall-clock timeout. */
export const SANDBOX_STATUSES = ['completed', 'timed_out', 'failed'] as const;
export type SandboxStatus = (typeof SANDBOX_STATUSES)[number];

export const SANDBOX_VERDICTS = ['clean', 'suspicious', 'malicious'] as const;
export type SandboxVerdict = (typeof SANDBOX_VERDICTS)[number];

/** MITRE ATT&CK tactics (their short names) that sandbox behaviours map to. */
export const ATTACK_TACTICS = [
  'persistence',
  'privilege-escalation',
  'defense-evasion',
  'credential-access',
  'command-and-control',
  'impact',
] as const;
export type AttackTactic = (typeof ATTACK_TACTICS)[number];

/** Behaviours the rules can report; `behaviour-rules.ts` maps each to a technique. */
export const BEHAVIOUR_IDS = [
  'cron_persistence',
  'systemd_service_persistence',
  'systemd_timer_persistence',
  'shell_rc_persistence',
  'ld_preload_hijack',
  'ssh_authorized_keys',
  'shadow_read',
  'private_key_read',
  'setuid_setgid',
  'sudo_exec',
  'sudoers_modified',
  'ptrace_injection',
  'self_deletion',
  'mass_file_changes',
  'long_sleep',
  'network_app_protocol',
  'network_non_app_protocol',
  'dns_lookup',
] as const;
export type BehaviourId = (typeof BEHAVIOUR_IDS)[number];

export const FILE_CHANGES = ['created', 'modified', 'deleted'] as const;
export type FileChange = (typeof FILE_CHANGES)[number];

export const FILE_TYPES = ['file', 'directory', 'symlink', 'other'] as const;
export type FileType = (typeof FILE_TYPES)[number];

/** The Linux counterparts of registry run keys and services. */
export const PERSISTENCE_KINDS = [
  'cron',
  'systemd_service',
  'systemd_timer',
  'shell_rc',
  'ld_preload',
  'authorized_keys',
  'sudoers',
] as const;
export type PersistenceKind = (typeof PERSISTENCE_KINDS)[number];

export const NETWORK_PROTOCOLS = ['tcp', 'udp', 'raw', 'unknown'] as const;
export type NetworkProtocol = (typeof NETWORK_PROTOCOLS)[number];

export const ADDRESS_FAMILIES = ['ipv4', 'ipv6'] as const;
export type AddressFamily = (typeof ADDRESS_FAMILIES)[number];

/**
 * What became of a connection attempt. The sandbox has no network, so remote peers are
 * `unreachable`; `pending` is a call still blocked when the run ended.
 */
export const NETWORK_RESULTS = [
  'connected',
  'sent',
  'refused',
  'unreachable',
  'pending',
  'timed_out',
  'error',
] as const;
export type NetworkResult = (typeof NETWORK_RESULTS)[number];

/** Limits a detonation can run into; the first six are enforced by the kernel or the runner. */
export const LIMIT_KINDS = [
  'timeout',
  'cpu_seconds',
  'address_space',
  'processes',
  'file_size',
  'open_files',
  'workspace',
  'trace',
  'dropped_files',
] as const;
export type LimitKind = (typeof LIMIT_KINDS)[number];

/** Jobs in a `SandboxQueue`. */
export const SANDBOX_JOB_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type SandboxJobStatus = (typeof SANDBOX_JOB_STATUSES)[number];
