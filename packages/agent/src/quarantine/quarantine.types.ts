import type { ServiceCall } from './quarantine.ports.js';

/** Where persistence that starts a quarantined file can live (see docs/quarantine.md). */
export const PERSISTENCE_KINDS = [
  'cron',
  'systemd',
  'shell_rc',
  'xdg_autostart',
  'ld_preload',
  'authorized_keys',
  'rc_local',
] as const;
export type PersistenceKind = (typeof PERSISTENCE_KINDS)[number];

/** Why a copy was left where it is. */
export const SKIP_REASONS = [
  /** Nothing at the path (and no vault entry for it). */
  'missing',
  /** Content there is not the requested SHA-256. */
  'hash_mismatch',
  /** A directory, symlink, device, FIFO… */
  'not_regular_file',
  /** Resolves outside the agent's filesystem root. */
  'outside_root',
  /** The agent's own state directory or executable. */
  'protected',
  /** A process image found after the first scan sits at a package-owned path. */
  'package_owned',
  /** Replaced or modified while it was being copied into the vault. */
  'changed',
  /** Larger than the hashing limit. */
  'too_large',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface KilledProcess {
  pid: number;
  /** The executable as the kernel reports it (the interpreter, for a script). */
  exe: string;
  /** argv joined with spaces. */
  cmdline: string;
  /** Account name from the device's passwd, or the uid when it has none. */
  user: string;
}

export interface QuarantinedFile {
  /** Device path the copy was taken from. */
  path: string;
  entryId: string;
  sha256: string;
}

export interface PersistenceItem {
  kind: PersistenceKind;
  /** Device path of the file, with `:line` for line items. */
  location: string;
  /** The removed line, unit or link, shortened to 500 characters. */
  detail: string;
}

export interface SkippedPath {
  path: string;
  reason: SkipReason;
  detail?: string;
}

export interface QuarantineRequest {
  /** Lower-case hex SHA-256 of the file. */
  sha256: string;
  /** Device paths (as seen under the agent's filesystem root) where copies may be. */
  paths?: readonly string[];
  actionId: string;
  signal?: AbortSignal;
}

export interface QuarantineOutcome {
  sha256: string;
  processesKilled: KilledProcess[];
  files: QuarantinedFile[];
  persistenceRemoved: PersistenceItem[];
  skipped: SkippedPath[];
  /**
   * Vault entries of this hash from earlier runs whose copies are already gone: running the
   * action again after success finds them and has nothing to do.
   */
  alreadyQuarantined: string[];
  /** Lines that name the file by basename only; left in place (see docs/quarantine.md). */
  persistenceSuspected: PersistenceItem[];
  /** Persistence that could not be removed (the file itself is quarantined). */
  persistenceErrors: { location: string; error: string }[];
  serviceCalls: ServiceCall[];
  counts: { processesKilled: number; filesQuarantined: number; persistenceRemoved: number };
}

export const RESTORE_HOWS = ['reinserted', 'appended', 'recreated', 'already_present'] as const;
export type RestoreHow = (typeof RESTORE_HOWS)[number];

/** By entry, or every entry of a hash (optionally only those taken from `path`). */
export type RestoreRequest =
  /** `sha256`, when given, must be the entry's (guards against restoring the wrong entry). */
  | { entryId: string; sha256?: string; actionId?: string }
  | { sha256: string; path?: string; actionId?: string };

export interface RestoreOutcome {
  files: (QuarantinedFile & { alreadyPresent: boolean })[];
  persistenceRestored: (PersistenceItem & { how: RestoreHow })[];
  serviceCalls: ServiceCall[];
  counts: { filesRestored: number };
}

export interface VaultEntrySummary {
  entryId: string;
  sha256: string;
  path: string;
  size: number;
  quarantinedAt: string;
  actionId: string;
  persistenceItems: number;
}
