import type { SandboxLimits } from './limits.js';
import type { SandboxReport } from './report.schema.js';

/** One file to detonate. */
export interface DetonationInput {
  /** The sample on the host (a regular file, at most 64 MiB). */
  path: string;
  /** Its original name, shown in the report and used (sanitised) inside the sandbox. Default: the basename of `path`. */
  name?: string;
  /**
   * Where artefacts go, created if missing: `files/<sha256>` for each dropped or modified file
   * (mode 0600) and `strace.log`. The caller stores them (as blobs) and removes the directory.
   */
  outputDir: string;
  /** Wall-clock limit in ms. Default 60 000 (60 s), at most 600 000 (10 min), at least 1 000. */
  timeoutMs?: number;
  /** Resource limits; unset ones take `DEFAULT_LIMITS`. */
  limits?: Partial<SandboxLimits>;
}

/**
 * Detonates a sample and reports what it did. The port the analysis service depends on;
 * `BwrapSandbox` is the implementation.
 *
 * Rejects with `InputError` for a bad input, `SandboxUnavailableError` when the host cannot run
 * sandboxes, and with `signal.reason` when aborted (after killing the run and cleaning up).
 * A sample that misbehaves never rejects: it yields a report (`failed`, `timed_out`…).
 */
export interface SandboxRunner {
  detonate(input: DetonationInput, signal?: AbortSignal): Promise<SandboxReport>;
}
