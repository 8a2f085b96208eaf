/**
 * The quarantine module's OS-facing ports: processes, the service manager and file metadata
 * that Node cannot set on its own (xattrs, nanosecond times). Real implementations live beside
 * this file; tests drive the real ones against temp roots and processes they started.
 */

// --- Processes --------------------------------------------------------------------------------

/** What /proc says about one process at one moment. */
export interface ProcessSnapshot {
  pid: number;
  /** Executable path as the kernel reports it, without the ` (deleted)` suffix; null for kernel threads. */
  exe: string | null;
  exeDeleted: boolean;
  argv: string[];
  /** Working directory (host path); null when unreadable. */
  cwd: string | null;
  /** Real uid. */
  uid: number | null;
  /** Single-letter state (`R`, `S`, `T`, `Z`…). */
  state: string;
  /** Start time in clock ticks since boot: with the pid, identifies the process across pid reuse. */
  startTime: string;
}

export const STOP_SIGNALS = ['SIGSTOP', 'SIGCONT', 'SIGKILL'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

export interface ProcessTable {
  pids(): Promise<number[]>;
  /** Null when the process is gone (or was never there). */
  read(pid: number): Promise<ProcessSnapshot | null>;
  /** A path that opens the process's executable image, even when it was deleted from disk. */
  imagePath(pid: number): string;
  /** False when the process no longer exists. */
  signal(pid: number, signal: StopSignal): boolean;
}

// --- Service manager ------------------------------------------------------------------------------

/** A systemd unit and whose manager runs it. */
export interface UnitRef {
  /** Unit name, e.g. `evil.service`. */
  name: string;
  scope: 'system' | 'user';
  /** For `user` scope: the account whose user manager runs it. */
  user?: string;
}

export const SERVICE_OPS = ['stop', 'disable', 'enable', 'reload'] as const;
export type ServiceOp = (typeof SERVICE_OPS)[number];

/** One call made to the service manager, for evidence. */
export interface ServiceCall {
  op: ServiceOp;
  /** The unit, or for `reload` the manager (`system` / `user:<name>`). */
  target: string;
  /** False when the call was only recorded (not the live root, or systemd not running). */
  executed: boolean;
  /** What systemctl said when it failed; calls are best-effort and never fail the action. */
  error?: string;
}

/**
 * Stops, disables and re-enables units. Quell removes and restores unit files and symlinks
 * itself (so restore is byte-identical); the manager is told so running state follows.
 */
export interface ServiceManager {
  stop(unit: UnitRef): Promise<ServiceCall>;
  disable(unit: UnitRef): Promise<ServiceCall>;
  enable(unit: UnitRef): Promise<ServiceCall>;
  /** `daemon-reload` of the system manager, or of one user's manager. */
  reload(scope: { scope: 'system' | 'user'; user?: string }): Promise<ServiceCall>;
}

// --- File metadata ----------------------------------------------------------------------------------

/** One extended attribute; the value as hex so any bytes survive JSON. */
export interface Xattr {
  name: string;
  valueHex: string;
}

export interface FileAttributes {
  /** Every attribute in every namespace the caller may read (empty when the fs has none). */
  readXattrs(path: string): Promise<Xattr[]>;
  writeXattrs(path: string, xattrs: readonly Xattr[]): Promise<void>;
  /** Sets atime and mtime to the nanosecond; `noFollow` sets a symlink's own times. */
  setTimes(path: string, times: { atimeNs: bigint; mtimeNs: bigint }, noFollow?: boolean): Promise<void>;
}
