import type { Firewall, FirewallReadback, IsolationTarget } from '../ports.js';

/** "Can the agent still reach the server?" — a fresh pinned connection (see AgentChannel.probe). */
export type ReachabilityProbe = (signal: AbortSignal) => Promise<boolean>;

/** How applying isolation went. */
export interface IsolationApplyOutcome {
  /** The ruleset read back is exactly the one generated for the target. */
  verified: boolean;
  /** The server was reachable with isolation in place. */
  reachedServer: boolean;
  /** Isolation was removed again because the server stayed unreachable. */
  rolledBack: boolean;
  readback: FirewallReadback;
  error: string | null;
}

/** A verified change of the enforced isolation (tampering found and repaired, a failure…). */
export interface IsolationObservation {
  target: IsolationTarget | null;
  readback: FirewallReadback;
  /** Set when re-asserting failed. */
  error: string | null;
}

/**
 * What the runtime needs to enforce isolation. The firewall module supplies the real pieces (its
 * `applyIsolationSafely` and `IsolationReconciler`); {@link PortIsolationEnforcer} composes the
 * same behaviour from the bare {@link Firewall} port when those are not wired in.
 */
export interface IsolationEnforcer {
  /**
   * Applies `target`, then checks the server stays reachable; when it does not within
   * `rollbackWithinMs`, removes isolation again (never lock the agent out).
   */
  applySafely(
    target: IsolationTarget,
    probe: ReachabilityProbe,
    opts: { rollbackWithinMs: number; signal?: AbortSignal },
  ): Promise<IsolationApplyOutcome>;
  /** Applies without the reachability guard (at start and boot, when the server may be down). */
  apply(target: IsolationTarget): Promise<FirewallReadback>;
  remove(): Promise<FirewallReadback>;
  read(target: IsolationTarget | null): Promise<FirewallReadback>;
  /** Keeps `target` (null: no table) in force, re-asserting on drift. */
  watch(target: IsolationTarget | null): void;
  onObservation(listener: (o: IsolationObservation) => void): void;
  stop(): void;
}

export interface PortIsolationEnforcerOptions {
  /** Re-check interval of the desired-state loop. Default 2 s (re-asserted within 5 s). */
  reassertEveryMs?: number;
  /** Pause between failed probes during the rollback window. Default 1 s. */
  probeEveryMs?: number;
}

/**
 * Isolation from the bare {@link Firewall} port: safe apply with a probe loop and rollback, and
 * a periodic read-back that re-applies when someone flushed or changed Quell's table.
 */
export class PortIsolationEnforcer implements IsolationEnforcer {
  private timer: NodeJS.Timeout | null = null;
  private target: IsolationTarget | null = null;
  private watching = false;
  private checking = false;
  private readonly listeners = new Set<(o: IsolationObservation) => void>();

  constructor(
    private readonly firewall: Firewall,
    private readonly opts: PortIsolationEnforcerOptions = {},
  ) {}

  async applySafely(
    target: IsolationTarget,
    probe: ReachabilityProbe,
    opts: { rollbackWithinMs: number; signal?: AbortSignal },
  ): Promise<IsolationApplyOutcome> {
    const readback = await this.firewall.apply(target);
    if (!readback.matches) {
      return {
        verified: false,
        reachedServer: false,
        rolledBack: false,
        readback,
        error: readback.error ?? 'the ruleset read back does not match',
      };
    }
    const deadline = Date.now() + opts.rollbackWithinMs;
    const every = this.opts.probeEveryMs ?? 1_000;
    while (Date.now() < deadline) {
      const remaining = deadline - Date.now();
      const attempt = AbortSignal.timeout(Math.max(1, remaining));
      if (await probe(attempt))
        return { verified: true, reachedServer: true, rolledBack: false, readback, error: null };
      await sleep(Math.min(every, Math.max(0, deadline - Date.now())));
    }
    const removed = await this.firewall.remove();
    return {
      verified: false,
      reachedServer: false,
      rolledBack: true,
      readback: removed,
      error: `the server was unreachable for ${Math.round(opts.rollbackWithinMs / 1000)} s with isolation in place; isolation was rolled back so the device is not locked out`,
    };
  }

  apply(target: IsolationTarget): Promise<FirewallReadback> {
    return this.firewall.apply(target);
  }

  remove(): Promise<FirewallReadback> {
    return this.firewall.remove();
  }

  read(target: IsolationTarget | null): Promise<FirewallReadback> {
    return this.firewall.read(target);
  }

  watch(target: IsolationTarget | null): void {
    this.target = target;
    this.watching = true;
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.opts.reassertEveryMs ?? 2_000);
    this.timer.unref();
  }

  onObservation(listener: (o: IsolationObservation) => void): void {
    this.listeners.add(listener);
  }

  stop(): void {
    this.watching = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async check(): Promise<void> {
    if (this.checking || !this.watching) return;
    this.checking = true;
    const target = this.target;
    try {
      const seen = await this.firewall.read(target);
      const drifted = target ? !seen.matches : seen.present;
      if (!drifted) return;
      const repaired = target ? await this.firewall.apply(target) : await this.firewall.remove();
      const ok = target ? repaired.matches : !repaired.present;
      this.emit({
        target,
        readback: repaired,
        error: ok ? null : (repaired.error ?? 're-asserting isolation failed'),
      });
    } catch (e) {
      this.emit({
        target,
        readback: { matches: false, present: false, rulesetHash: null },
        error: (e as Error).message,
      });
    } finally {
      this.checking = false;
    }
  }

  private emit(o: IsolationObservation): void {
    for (const l of this.listeners) l(o);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
