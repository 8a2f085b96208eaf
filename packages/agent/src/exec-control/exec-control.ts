import { fileURLToPath } from 'node:url';
import type {
  ExecBlocklist,
  ExecControl,
  ExecControlEvent,
  ExecControlMode,
  ExecControlStatus,
} from '../ports.js';
import { DenialThrottle, type DenialThrottleOptions } from './denial-throttle.js';
import { ExecControlError } from './exec-control.errors.js';
import { decideExec } from './exec-decision.js';
import { ExecHelper } from './helper-process.js';
import type { ExecRequest } from './helper-protocol.js';
import { PackageTrustPolicy, type TrustDecision, type TrustPolicy } from './trust-policy.js';

/** The subset of the agent's Logger this module writes to (structurally compatible with it). */
export interface ExecControlLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/** Where `npm install` / `npm run build:native` put the helper (same from src/ and dist/). */
export const DEFAULT_HELPER_PATH = fileURLToPath(new URL('../../native/build/quell-execd', import.meta.url));

export interface FanotifyExecControlOptions {
  /** The native helper. Default {@link DEFAULT_HELPER_PATH}. */
  helperPath?: string;
  /**
   * Mount points to enforce on (each marks its whole mount). Default `['/']`. Note that other
   * mounts (a tmpfs /tmp, /dev/shm, /home) are separate: list them to cover them.
   */
  marks?: readonly string[];
  /** Prefix stripped from exec'd paths before looking them up in the package database. Default `/`. */
  fsRoot?: string;
  /** Default: a {@link PackageTrustPolicy} on `/var/lib/dpkg`. */
  trust?: TrustPolicy;
  /** The helper allows an exec left unanswered this long (ms). Default 3000. */
  answerTimeoutMs?: number;
  /** Wait for the helper's `ready` (ms). Default 5000. */
  readyTimeoutMs?: number;
  /** Restart delay after a crash (ms): doubles per failed restart up to `max`. Default 1000 / 30 000. */
  restartBackoffMs?: { initial: number; max: number };
  /** A helper that ran this long (ms) before crashing restarts after the initial delay again. Default 60 000. */
  stableAfterMs?: number;
  /** Rate limit of `denied` events. */
  throttle?: DenialThrottleOptions;
  logger?: ExecControlLogger;
  now?: () => number;
}

const quiet: ExecControlLogger = { debug() {}, warn() {} };

/**
 * Decides executions with fanotify permission events, through `native/quell-execd`: in
 * `restricted` mode only trusted files run, in `blocklist` mode only files a block indicator
 * covers are denied (see {@link decideExec}); the helper runs only in those two modes. Fails open by construction: whenever the helper cannot answer (crash,
 * agent stalled, agent gone) the kernel or the helper lets the exec through, and the agent
 * hears about it (`helper_crashed`) so it can raise an alert.
 *
 * Hazard for the rest of the agent: decisions are made on this event loop. The agent's own
 * children are allowed without asking (see quell-execd.c), but a `spawnSync`/`execSync` whose
 * child in turn runs a program on a marked mount blocks the loop that must answer, so that
 * program waits for the helper's deadline (3 s) and is then allowed. Use async spawns.
 */
export class FanotifyExecControl implements ExecControl {
  private readonly o: Required<Omit<FanotifyExecControlOptions, 'throttle' | 'fsRoot'>>;
  private readonly fsRoot: string;
  private readonly throttle: DenialThrottle;
  private readonly listeners: ((e: ExecControlEvent) => void)[] = [];
  private state: ExecControlStatus['state'] = 'off';
  private error: string | null = null;
  private denied = 0;
  /** Restriction requested (`enable`). */
  private restricted = false;
  private blocklist: ExecBlocklist | null = null;
  private helper: ExecHelper | null = null;
  private helperStartedAt = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private backoff: number;
  /** Serialises enable/disable/close so overlapping calls cannot start two helpers. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: FanotifyExecControlOptions = {}) {
    this.o = {
      helperPath: opts.helperPath ?? DEFAULT_HELPER_PATH,
      marks: opts.marks ?? ['/'],
      trust: opts.trust ?? new PackageTrustPolicy(),
      answerTimeoutMs: opts.answerTimeoutMs ?? 3000,
      readyTimeoutMs: opts.readyTimeoutMs ?? 5000,
      restartBackoffMs: opts.restartBackoffMs ?? { initial: 1000, max: 30_000 },
      stableAfterMs: opts.stableAfterMs ?? 60_000,
      logger: opts.logger ?? quiet,
      now: opts.now ?? Date.now,
    };
    const root = opts.fsRoot ?? '/';
    this.fsRoot = root.length > 1 ? root.replace(/\/+$/, '') : root;
    this.throttle = new DenialThrottle({ now: this.o.now, ...opts.throttle });
    this.backoff = this.o.restartBackoffMs.initial;
  }

  /** `restricted` while restriction is requested, else `blocklist` while a blocklist is set. */
  get mode(): ExecControlMode {
    return this.restricted ? 'restricted' : this.blocklist ? 'blocklist' : 'off';
  }

  enable(opts: { allowSha256: readonly string[] }): Promise<ExecControlStatus> {
    return this.serial(async () => {
      try {
        await this.o.trust.prepare(opts);
      } catch (e) {
        throw new ExecControlError(
          `cannot load the trust policy: ${e instanceof Error ? e.message : String(e)}`,
          { cause: e },
        );
      }
      this.restricted = true;
      // Already running (or restarting) for the blocklist: the mode is all that changes.
      if (this.helper || this.restartTimer) return this.status();
      try {
        await this.startHelper();
      } catch (e) {
        this.restricted = false;
        this.error = e instanceof Error ? e.message : String(e);
        // Still wanted for the blocklist: keep retrying that.
        if (this.blocklist) this.fail(this.error);
        else this.state = 'off';
        throw e;
      }
      return this.status();
    });
  }

  disable(): Promise<ExecControlStatus> {
    return this.serial(async () => {
      this.restricted = false;
      if (this.mode === 'off') await this.stopHelper();
      return this.status();
    });
  }

  setBlocklist(list: ExecBlocklist | null): Promise<ExecControlStatus> {
    return this.serial(async () => {
      this.blocklist = list;
      if (this.mode === 'off') {
        await this.stopHelper();
        return this.status();
      }
      if (this.helper || this.restartTimer) return this.status();
      try {
        await this.startHelper();
      } catch (e) {
        // Not an action that can fail: retry with backoff and say so (the status, an event).
        this.fail(`exec helper did not start: ${e instanceof Error ? e.message : String(e)}`);
      }
      return this.status();
    });
  }

  status(): ExecControlStatus {
    return {
      state: this.state,
      mode: this.mode,
      helperPid: this.helper?.pid ?? null,
      error: this.error,
      denied: this.denied,
    };
  }

  onEvent(listener: (e: ExecControlEvent) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    await this.serial(async () => {
      this.restricted = false;
      this.blocklist = null;
      await this.stopHelper();
    });
    this.listeners.length = 0;
  }

  private async stopHelper(): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const h = this.helper;
    this.helper = null;
    await h?.stop();
    this.state = 'off';
    this.error = null;
    this.backoff = this.o.restartBackoffMs.initial;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private async startHelper(): Promise<void> {
    if (this.state === 'off') this.denied = 0;
    this.helper = await ExecHelper.start({
      helperPath: this.o.helperPath,
      marks: this.o.marks,
      answerTimeoutMs: this.o.answerTimeoutMs,
      readyTimeoutMs: this.o.readyTimeoutMs,
      onRequest: (r, h) => void this.decide(r, h),
      onWarning: (line) => this.o.logger.warn('exec helper', { line }),
      onExit: (h, code, signal, stderr) => this.onHelperExit(h, code, signal, stderr),
    });
    this.helperStartedAt = this.o.now();
    this.state = 'on';
    this.error = null;
  }

  /** The path the package database would use, or null when outside `fsRoot`. */
  private packagePath(path: string): string | null {
    if (this.fsRoot === '/') return path;
    if (path === this.fsRoot) return '/';
    return path.startsWith(`${this.fsRoot}/`) ? path.slice(this.fsRoot.length) : null;
  }

  private async decide(r: ExecRequest, h: ExecHelper): Promise<void> {
    const mode = this.mode;
    let d: TrustDecision;
    if (mode === 'off') {
      // A request that raced the helper's stop.
      d = { allow: true, reason: 'not_blocked', sha256: null };
    } else {
      try {
        d = await decideExec({
          mode,
          blocklist: this.blocklist,
          trust: this.o.trust,
          subject: { packagePath: this.packagePath(r.path), contentPath: h.contentPath(r), file: r.file },
        });
      } catch (e) {
        // A policy bug must not let arbitrary files run while restricted; the deadline would
        // allow it anyway if we never answered. In blocklist mode, fail open.
        d = {
          allow: mode === 'blocklist',
          reason: 'unreadable',
          sha256: null,
          error: e instanceof Error ? e.message : String(e),
        };
      }
    }
    h.answer(r.id, d.allow ? 'allow' : 'deny');
    this.o.logger.debug('exec decision', { path: r.path, pid: r.pid, mode, ...d });
    if (d.error)
      this.o.logger.warn('exec: file could not be checked', {
        path: r.path,
        allowed: d.allow,
        error: d.error,
      });
    if (d.allow) return;
    this.denied++;
    if (this.throttle.admit(r.path, d.sha256)) {
      const blocked = d.reason === 'blocked_indicator';
      this.emit({
        kind: 'denied',
        path: r.path,
        pid: r.pid,
        sha256: d.sha256,
        reason: blocked ? 'blocked_indicator' : 'untrusted',
        indicatorId: blocked ? (d.indicatorId ?? null) : null,
        at: this.o.now(),
      });
    }
  }

  private onHelperExit(
    h: ExecHelper,
    code: number | null,
    signal: NodeJS.Signals | null,
    stderr: string,
  ): void {
    // Stale helper (replaced already) or a requested stop: not a crash.
    if (h !== this.helper || this.mode === 'off') return;
    this.helper = null;
    if (this.o.now() - this.helperStartedAt >= this.o.stableAfterMs)
      this.backoff = this.o.restartBackoffMs.initial;
    this.fail(
      `exec helper exited (${signal ?? `code ${code}`})${stderr ? `: ${stderr}` : ''}; executions are allowed until it restarts`,
    );
  }

  private fail(error: string): void {
    this.state = 'failed';
    this.error = error;
    this.o.logger.warn('exec restriction is not enforced', { error, restartInMs: this.backoff });
    this.emit({ kind: 'helper_crashed', error, at: this.o.now() });
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.o.restartBackoffMs.max);
    this.restartTimer = setTimeout(() => void this.restart(), delay);
  }

  private restart(): Promise<void> {
    return this.serial(async () => {
      this.restartTimer = null;
      if (this.mode === 'off' || this.helper) return;
      try {
        await this.startHelper();
      } catch (e) {
        this.fail(`exec helper restart failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
  }

  private emit(e: ExecControlEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        // A broken listener must not stop the others or the decisions.
        this.o.logger.warn('exec control listener threw', { error: String(err) });
      }
    }
  }
}
