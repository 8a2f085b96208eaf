import { InputError } from '@quell/core';

/** Wall-clock timeout of a detonation when the caller gives none: 60 s. */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** The longest a detonation may run: 10 min. */
export const MAX_TIMEOUT_MS = 600_000;
/** Shorter runs cannot even start an interpreter reliably under strace. */
export const MIN_TIMEOUT_MS = 1_000;
/** Largest sample accepted: 64 MiB. */
export const MAX_SAMPLE_BYTES = 64 * 1024 * 1024;

/**
 * Resource limits of one detonation. The first five are kernel rlimits set (hard = soft, but one
 * second more for CPU) on the sample's process by `prlimit` inside the sandbox, so children
 * inherit them and cannot raise them; the rest are enforced by the runner.
 */
export interface SandboxLimits {
  /** RLIMIT_CPU per process, seconds. Default 30. SIGXCPU when reached, SIGKILL a second later. */
  cpuSeconds: number;
  /** RLIMIT_AS per process, bytes. Default 1 GiB. Allocations fail with ENOMEM past it. */
  addressSpaceBytes: number;
  /**
   * RLIMIT_NPROC: processes of the sandbox user, counted inside the sandbox's user namespace.
   * Default 64; the sandbox's own init and waiter processes count too.
   */
  maxProcesses: number;
  /** RLIMIT_FSIZE: the largest file a process may write, bytes. Default 64 MiB. SIGXFSZ past it. */
  maxFileBytes: number;
  /** RLIMIT_NOFILE: open descriptors per process. Default 1024. */
  maxOpenFiles: number;
  /** Everything the sample may write into its world, bytes; checked every second. Default 256 MiB. */
  workspaceBytes: number;
  /** Size of the strace log, bytes; checked every second. Default 64 MiB. */
  traceBytes: number;
  /** Dropped files copied to the output directory. Default 50. */
  maxDroppedFiles: number;
  /** Bytes of dropped files copied to the output directory. Default 128 MiB. */
  maxDroppedBytes: number;
}

export const DEFAULT_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  cpuSeconds: 30,
  addressSpaceBytes: 1024 * 1024 * 1024,
  maxProcesses: 64,
  maxFileBytes: 64 * 1024 * 1024,
  maxOpenFiles: 1024,
  workspaceBytes: 256 * 1024 * 1024,
  traceBytes: 64 * 1024 * 1024,
  maxDroppedFiles: 50,
  maxDroppedBytes: 128 * 1024 * 1024,
});

/** Accepted range of each limit: below the minimum nothing useful runs, above it the host suffers. */
const RANGES: Record<keyof SandboxLimits, readonly [number, number]> = {
  cpuSeconds: [1, 600],
  addressSpaceBytes: [64 * 1024 * 1024, 16 * 1024 * 1024 * 1024],
  maxProcesses: [4, 4096],
  maxFileBytes: [4096, 1024 * 1024 * 1024],
  maxOpenFiles: [16, 65536],
  workspaceBytes: [1024 * 1024, 4 * 1024 * 1024 * 1024],
  traceBytes: [1024 * 1024, 1024 * 1024 * 1024],
  maxDroppedFiles: [0, 1000],
  maxDroppedBytes: [0, 4 * 1024 * 1024 * 1024],
};

/** Fills defaults and checks every given limit, reporting all bad keys at once. */
export function resolveLimits(given: Partial<SandboxLimits> = {}): SandboxLimits {
  const out: SandboxLimits = { ...DEFAULT_LIMITS };
  const bad: string[] = [];
  for (const key of Object.keys(RANGES) as (keyof SandboxLimits)[]) {
    const v = given[key];
    if (v === undefined) continue;
    const [min, max] = RANGES[key];
    if (!Number.isInteger(v) || v < min || v > max) bad.push(`${key} must be an integer in [${min}, ${max}]`);
    else out[key] = v;
  }
  const unknown = Object.keys(given).filter((k) => !(k in RANGES));
  for (const k of unknown) bad.push(`${k} is not a sandbox limit`);
  if (bad.length) throw new InputError(`Invalid sandbox limits: ${bad.join('; ')}.`, { limits: given });
  return out;
}

/** The timeout to use: the default when absent, an InputError outside [1 s, 10 min]. */
export function resolveTimeout(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < MIN_TIMEOUT_MS || timeoutMs > MAX_TIMEOUT_MS) {
    throw new InputError(
      `The detonation timeout must be an integer number of milliseconds in [${MIN_TIMEOUT_MS}, ${MAX_TIMEOUT_MS}].`,
      { timeoutMs },
    );
  }
  return timeoutMs;
}
