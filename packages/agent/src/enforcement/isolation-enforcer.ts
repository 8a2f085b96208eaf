import type { FirewallReadback, IsolationTarget } from '../ports.js';

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
  /** The desired isolation had been altered or removed and was put back (worth an alert). */
  reasserted: boolean;
  /** Set when enforcing failed. */
  error: string | null;
}

/**
 * What the runtime needs to enforce isolation, kept narrow so the desired-state controller does
 * not depend on how the firewall module loops and probes. Implemented over the firewall module
 * by `FirewallIsolationEnforcer`.
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
