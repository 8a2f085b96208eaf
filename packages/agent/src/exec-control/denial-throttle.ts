/**
 * Limits `denied` events so a loop re-running a blocked file cannot flood the agent's channel:
 * the same (path, sha256) is reported once per window, and at most `maxPerWindow` reports of
 * any kind go out per window. Counting is separate (ExecControlStatus.denied counts every one).
 */
export interface DenialThrottleOptions {
  /** Window length in ms. Default 60 000. */
  windowMs?: number;
  /** Reports per window across all files. Default 20. */
  maxPerWindow?: number;
  now?: () => number;
}

export class DenialThrottle {
  private readonly windowMs: number;
  private readonly maxPerWindow: number;
  private readonly now: () => number;
  private windowStart = -Infinity;
  private reported = new Set<string>();
  /** Denials not reported in the current window. */
  suppressed = 0;

  constructor(opts: DenialThrottleOptions = {}) {
    this.windowMs = opts.windowMs ?? 60_000;
    this.maxPerWindow = opts.maxPerWindow ?? 20;
    this.now = opts.now ?? Date.now;
  }

  /** True when this denial should be reported. */
  admit(path: string, sha256: string | null): boolean {
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) {
      this.windowStart = t;
      this.reported = new Set();
      this.suppressed = 0;
    }
    const key = `${sha256 ?? '-'}\0${path}`;
    if (this.reported.has(key) || this.reported.size >= this.maxPerWindow) {
      this.suppressed++;
      return false;
    }
    this.reported.add(key);
    return true;
  }
}
