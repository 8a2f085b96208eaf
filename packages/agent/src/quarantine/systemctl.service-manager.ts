import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { promisify } from 'node:util';
import type { ServiceCall, ServiceManager, ServiceOp, UnitRef } from './quarantine.ports.js';

const run = promisify(execFile);

const MAX_KEPT_CALLS = 1000;

export interface SystemctlServiceManagerOptions {
  /** The agent's filesystem root; systemctl is only called when it is `/`. */
  fsRoot: string;
  /** Default `systemctl`. */
  systemctlPath?: string;
  /** Present when systemd is PID 1. Default `/run/systemd/system`. */
  systemdRunDir?: string;
  /** Per call. Default 30 s. */
  timeoutMs?: number;
}

/**
 * Tells systemd about units Quell removed or restored. Only when the agent manages the live
 * root and systemd runs: against a temp root (tests, offline images) calling the host's
 * systemctl would act on the wrong machine, so calls are recorded (`executed: false`) instead.
 * Every call is best-effort: a unit that is not loaded is normal for a dropped-but-never-started
 * unit, and the file-level change Quell made stands either way.
 */
export class SystemctlServiceManager implements ServiceManager {
  /** The last {@link MAX_KEPT_CALLS} calls, executed or recorded, in order (evidence also carries them). */
  readonly calls: ServiceCall[] = [];
  private readonly live: boolean;
  private readonly systemctl: string;
  private readonly timeoutMs: number;

  constructor(opts: SystemctlServiceManagerOptions) {
    let root = opts.fsRoot;
    try {
      root = realpathSync(opts.fsRoot);
    } catch {
      // A root that does not exist is not `/`; recording is the safe answer.
    }
    this.live = root === '/' && existsSync(opts.systemdRunDir ?? '/run/systemd/system');
    this.systemctl = opts.systemctlPath ?? 'systemctl';
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  stop(unit: UnitRef): Promise<ServiceCall> {
    return this.call('stop', unit.name, scopeArgs(unit), ['stop', unit.name]);
  }

  disable(unit: UnitRef): Promise<ServiceCall> {
    return this.call('disable', unit.name, scopeArgs(unit), ['disable', unit.name]);
  }

  enable(unit: UnitRef): Promise<ServiceCall> {
    return this.call('enable', unit.name, scopeArgs(unit), ['enable', unit.name]);
  }

  reload(scope: { scope: 'system' | 'user'; user?: string }): Promise<ServiceCall> {
    const target = scope.scope === 'user' ? `user:${scope.user ?? ''}` : 'system';
    return this.call('reload', target, scopeArgs(scope), ['daemon-reload']);
  }

  private async call(op: ServiceOp, target: string, scope: string[], args: string[]): Promise<ServiceCall> {
    const rec: ServiceCall = { op, target, executed: this.live };
    if (this.live) {
      try {
        await run(this.systemctl, [...scope, '--no-ask-password', ...args], { timeout: this.timeoutMs });
      } catch (e) {
        const err = e as { stderr?: string; message: string };
        rec.error = (err.stderr?.trim() || err.message).slice(0, 500);
      }
    }
    this.calls.push(rec);
    // The agent lives for months: keep a window, not a history.
    if (this.calls.length > MAX_KEPT_CALLS) this.calls.splice(0, this.calls.length - MAX_KEPT_CALLS);
    return rec;
  }
}

/** A user's manager is reached through `--machine=<user>@.host --user` (systemd ≥ 248). */
function scopeArgs(s: { scope: 'system' | 'user'; user?: string }): string[] {
  return s.scope === 'user' && s.user ? [`--machine=${s.user}@.host`, '--user'] : [];
}
