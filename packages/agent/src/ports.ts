import type { Detection, IsolationSpec } from '@quell/contracts/agent';
import type { ExecDenialReason } from './events/agent-events.js';

/**
 * The agent's OS-facing ports (ARCHITECTURE §4). The runtime (channel, jobs, desired state)
 * only talks to these; each is implemented by a module under `src/` that uses the real OS piece
 * (nftables, fanotify, yara, clamd, /proc) and is tested against it inside namespaces and temp
 * roots, never the host's own firewall or files.
 */

/** Reports progress of a long job; `total` null while unknown. Cheap to call often (throttled by the runtime). */
export type ProgressFn = (done: number, total: number | null, message?: string) => void;

export interface JobContext {
  signal: AbortSignal;
  progress: ProgressFn;
}

// --- Firewall (src/firewall) ------------------------------------------------------------------

/** The server's channel endpoint(s), always left open by isolation. */
export interface ManagementEndpoint {
  address: string;
  port: number;
}

export interface IsolationTarget {
  spec: IsolationSpec;
  management: readonly ManagementEndpoint[];
}

/** What reading the ruleset back showed. */
export interface FirewallReadback {
  /** Quell's table exists and holds exactly the rules generated for `desired`. */
  matches: boolean;
  /** Quell's table is present at all. */
  present: boolean;
  /** SHA-256 of the normalised ruleset read back (null when absent). */
  rulesetHash: string | null;
  error?: string;
}

export interface Firewall {
  /** Replaces Quell's table with the rules for `target`, atomically (one `nft -f`). */
  apply(target: IsolationTarget): Promise<FirewallReadback>;
  /** Deletes Quell's table (idempotent). */
  remove(): Promise<FirewallReadback>;
  /** Reads Quell's table back and compares it with `target` (null: expects no table). */
  read(target: IsolationTarget | null): Promise<FirewallReadback>;
}

// --- Exec control (src/exec-control) ----------------------------------------------------------

/**
 * What the exec-control helper enforces (issue 4):
 * - `off`: no helper runs; nothing is hashed.
 * - `blocklist`: the device is not restricted but block hash indicators exist: only files whose
 *   hash a blocking indicator wins for are denied; everything else runs.
 * - `restricted`: "restrict app execution": only trusted files run (package-owned with dpkg's
 *   checksum, or on the restriction's allow list), and blocked hashes are denied even then.
 */
export const EXEC_CONTROL_MODES = ['off', 'blocklist', 'restricted'] as const;
export type ExecControlMode = (typeof EXEC_CONTROL_MODES)[number];

export interface ExecControlStatus {
  state: 'off' | 'on' | 'failed';
  /** What the helper enforces (or would, while it restarts). */
  mode: ExecControlMode;
  /** Pid of the running native helper. */
  helperPid: number | null;
  error: string | null;
  /** Executions denied since the helper was switched on. */
  denied: number;
}

export type ExecControlEvent =
  | {
      kind: 'denied';
      path: string;
      pid: number;
      sha256: string | null;
      reason: ExecDenialReason;
      /** The winning block indicator, for `blocked_indicator`. */
      indicatorId: string | null;
      at: number;
    }
  | { kind: 'helper_crashed'; error: string; at: number };

/** The digests of one file version (lower-case hex), computed in one read. */
export interface ExecDigests {
  sha256: string;
  sha1: string;
  md5: string;
}

/** What hash indicators say about a file: the winning indicator, when it allows or blocks. */
export interface BlocklistVerdict {
  verdict: 'allow' | 'block';
  indicatorId: string;
}

/**
 * Hash indicators as the exec control consults them: a constant-time lookup against the
 * agent's indicator store, so no list is copied per execution.
 */
export interface ExecBlocklist {
  /** Null when no allow or blocking indicator covers any of the digests. */
  decide(d: ExecDigests): BlocklistVerdict | null;
}

export interface ExecControl {
  /** Starts restricting: only package-owned files with matching checksums and `allowSha256` run. */
  enable(opts: { allowSha256: readonly string[] }): Promise<ExecControlStatus>;
  /** Stops restricting; the helper keeps running in `blocklist` mode while a blocklist is set. */
  disable(): Promise<ExecControlStatus>;
  /**
   * Sets (or clears, with null) the hash blocklist. Set: blocked hashes are denied, and the
   * helper runs even while not restricted. Cleared while not restricted: the helper stops.
   */
  setBlocklist(list: ExecBlocklist | null): Promise<ExecControlStatus>;
  status(): ExecControlStatus;
  /** Denied executions and helper crashes (the helper fails open; the agent raises an alert). */
  onEvent(listener: (e: ExecControlEvent) => void): void;
  close(): Promise<void>;
}

// --- Scanner (src/scan) -----------------------------------------------------------------------

export interface ScanRequest {
  scope: 'quick' | 'full';
  yaraRules: readonly { name: string; source: string }[];
  /** Extra SHA-256 signatures (indicators) besides the built-in ones. */
  hashSignatures: readonly { sha256: string; name: string; severity: Detection['severity'] }[];
  /**
   * The agent's own hash indicators, looked up per file (constant time, nothing copied): a
   * non-null answer is a detection. Consulted after `hashSignatures`.
   */
  indicatorSignature?: (sha256: string) => { name: string; severity: Detection['severity'] } | null;
  /** Fraction of one core the scan may use (default 0.5). */
  cpuLimit: number;
}

export interface ScanReport {
  filesScanned: number;
  filesSkipped: number;
  detections: Detection[];
  engines: string[];
  durationMs: number;
}

export interface Scanner {
  scan(req: ScanRequest, ctx: JobContext): Promise<ScanReport>;
}

// --- Collector (src/collect) ------------------------------------------------------------------

export interface CollectedItem {
  /** Path inside the zip. */
  name: string;
  /** Where it came from: a file path or a command line. */
  source: string;
  status: 'collected' | 'missing' | 'failed';
  error: string | null;
  bytes: number;
}

export interface CollectionReport {
  zipPath: string;
  sha256: string;
  sizeBytes: number;
  items: CollectedItem[];
}

export interface Collector {
  /** Writes the package zip under `workDir`; the caller uploads it and deletes it. */
  collect(workDir: string, ctx: JobContext): Promise<CollectionReport>;
}
