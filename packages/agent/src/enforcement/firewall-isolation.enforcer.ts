import { applyIsolationSafely, IsolationReconciler, type IsolationStatus } from '../firewall/index.js';
import type { Firewall, FirewallReadback, IsolationTarget } from '../ports.js';
import type {
  IsolationApplyOutcome,
  IsolationEnforcer,
  IsolationObservation,
  ReachabilityProbe,
} from './isolation-enforcer.js';

export interface FirewallIsolationEnforcerOptions {
  /** Re-check interval of the desired-state loop. Default 2 s (re-asserted within 5 s). */
  reassertEveryMs?: number;
  /** Pause between failed probes during the rollback window. Default 1 s. */
  probeEveryMs?: number;
}

/**
 * {@link IsolationEnforcer} over the firewall module: `applyIsolationSafely` for the lock-out
 * guard and an `IsolationReconciler` loop for re-asserting the desired table.
 */
export class FirewallIsolationEnforcer implements IsolationEnforcer {
  private target: IsolationTarget | null = null;
  private readonly reconciler: IsolationReconciler;
  private readonly listeners = new Set<(o: IsolationObservation) => void>();

  constructor(
    private readonly firewall: Firewall,
    private readonly opts: FirewallIsolationEnforcerOptions = {},
  ) {
    this.reconciler = new IsolationReconciler({
      firewall,
      desired: () => this.target,
      intervalMs: opts.reassertEveryMs ?? 2_000,
      onChange: (s) => this.observe(s),
    });
  }

  async applySafely(
    target: IsolationTarget,
    probe: ReachabilityProbe,
    opts: { rollbackWithinMs: number; signal?: AbortSignal },
  ): Promise<IsolationApplyOutcome> {
    // The re-assert loop still enforces the previous target; left running it would remove the
    // new table mid-guard and let a probe through the gap. The caller's watch() restarts it.
    await this.reconciler.stop();
    const r = await applyIsolationSafely(this.firewall, target, probe, {
      rollbackWithinMs: opts.rollbackWithinMs,
      probeIntervalMs: this.opts.probeEveryMs ?? 1_000,
    });
    if (r.ok)
      return { verified: true, reachedServer: true, rolledBack: false, readback: r.readback, error: null };
    return {
      verified: false,
      reachedServer: r.reachedServer,
      rolledBack: r.rolledBack,
      readback: r.readback ?? { matches: false, present: false, rulesetHash: null, error: r.error },
      error: r.error,
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
    this.reconciler.start();
  }

  onObservation(listener: (o: IsolationObservation) => void): void {
    this.listeners.add(listener);
  }

  stop(): void {
    void this.reconciler.stop();
  }

  private observe(s: IsolationStatus): void {
    // `applying` is the reconciler's in-between step; only verified outcomes are reported.
    if (s.state === 'applying') return;
    const o: IsolationObservation = {
      target: this.target,
      readback: {
        matches: s.state !== 'failed',
        present: s.rulesetHash !== null,
        rulesetHash: s.rulesetHash,
      },
      reasserted: s.reasserted,
      error: s.error,
    };
    for (const l of this.listeners) l(o);
  }
}
