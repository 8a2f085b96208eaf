import stringify from 'safe-stable-stringify';
import type { Firewall, FirewallReadback, IsolationTarget } from '../ports.js';

/** States the reconciler reports; a subset of the contract's `ENFORCEMENT_STATES`. */
export const ISOLATION_STATES = ['off', 'applying', 'on', 'failed'] as const;
export type IsolationState = (typeof ISOLATION_STATES)[number];

/** One verified isolation state, as the agent reports it. */
export interface IsolationStatus {
  state: IsolationState;
  /** SHA-256 of the ruleset read back; null when no table is present. */
  rulesetHash: string | null;
  error: string | null;
  /** ms since epoch of the read-back this status comes from. */
  checkedAt: number;
  /**
   * True when this pass found the isolation it had verified before missing or altered (someone
   * deleted or flushed the table, or edited a chain) and put it back: worth an alert.
   */
  reasserted: boolean;
}

export interface IsolationReconcilerOptions {
  firewall: Firewall;
  /** The isolation that should be in force now, or null for none. Read on every pass. */
  desired: () => IsolationTarget | null;
  /** Pause between passes. Default 2000 ms, so tampering is undone within about 2 s. */
  intervalMs?: number;
  /**
   * Pause between passes while no isolation is desired. Default 15000 ms: then there is nothing
   * to protect, and each pass costs an `nft` process, which dominates an idle agent's CPU.
   */
  idleIntervalMs?: number;
  /** Called on every change of state, hash or error (not on idle passes that change nothing). */
  onChange?: (status: IsolationStatus) => void;
  /** Clock (ms since epoch). Default `Date.now`. */
  now?: () => number;
}

/**
 * Keeps the firewall at the desired isolation state (ARCHITECTURE §4, desired state): each pass
 * reads Quell's table back once and only writes when it differs, so an idle agent costs one
 * `nft list` per interval. Passes never overlap and never throw; failures become a `failed`
 * status and are retried on the next pass.
 *
 * The agent calls {@link reconcileOnce} at start (and after changing the desired state), then
 * {@link start} for the loop.
 */
export class IsolationReconciler {
  private readonly intervalMs: number;
  private readonly idleIntervalMs: number;
  private readonly now: () => number;
  private last: IsolationStatus | null = null;
  /** Key of the target last verified as `on`, to tell tampering from a new desired target. */
  private verifiedKey: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(private readonly opts: IsolationReconcilerOptions) {
    this.intervalMs = opts.intervalMs ?? 2000;
    this.idleIntervalMs = opts.idleIntervalMs ?? 15_000;
    this.now = opts.now ?? Date.now;
  }

  /** The last reported status (null before the first pass). */
  get status(): IsolationStatus | null {
    return this.last;
  }

  /** Runs one pass now (after any pass in flight) and resolves with the status it verified. */
  reconcileOnce(): Promise<IsolationStatus> {
    const pass = this.queue.then(() => this.pass());
    this.queue = pass;
    return pass;
  }

  /** Starts the periodic loop (idempotent). The timer does not keep the process alive. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  /** Stops the loop and waits for a pass in flight. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.queue;
  }

  private schedule(): void {
    if (!this.running) return;
    let idle = false;
    try {
      idle = this.opts.desired() === null;
    } catch {
      // An invalid target is reported by the pass itself; keep the fast interval for it.
    }
    this.timer = setTimeout(
      () => {
        void this.reconcileOnce().finally(() => this.schedule());
      },
      idle ? Math.max(this.idleIntervalMs, this.intervalMs) : this.intervalMs,
    );
    this.timer.unref();
  }

  private async pass(): Promise<IsolationStatus> {
    try {
      const target = this.opts.desired();
      return target === null ? await this.passOff() : await this.passOn(target);
    } catch (err) {
      // Only an invalid target gets here (the firewall reports its own failures as read-backs);
      // it stays failed until the desired state changes.
      return this.report('failed', null, (err as Error).message);
    }
  }

  private async passOn(target: IsolationTarget): Promise<IsolationStatus> {
    const fw = this.opts.firewall;
    const key = stringify(target) ?? '';
    const back = await fw.read(target);
    if (back.matches) {
      this.verifiedKey = key;
      return this.report('on', back.rulesetHash, null);
    }
    const drifted = this.last?.state === 'on' && this.verifiedKey === key;
    this.report('applying', back.rulesetHash, null, drifted);
    const applied = await fw.apply(target);
    if (!applied.matches) return this.report('failed', applied.rulesetHash, failure(applied), drifted);
    this.verifiedKey = key;
    return this.report('on', applied.rulesetHash, null, drifted);
  }

  private async passOff(): Promise<IsolationStatus> {
    const fw = this.opts.firewall;
    this.verifiedKey = null;
    const back = await fw.read(null);
    if (back.matches) return this.report('off', null, null);
    if (!back.present) return this.report('failed', null, failure(back));
    const removed = await fw.remove();
    if (!removed.matches) return this.report('failed', removed.rulesetHash, failure(removed));
    return this.report('off', null, null);
  }

  private report(
    state: IsolationState,
    rulesetHash: string | null,
    error: string | null,
    reasserted = false,
  ) {
    const status: IsolationStatus = { state, rulesetHash, error, checkedAt: this.now(), reasserted };
    const prev = this.last;
    this.last = status;
    // A re-assertion always passes through `applying`, so `reasserted` need not count as a change.
    const changed =
      prev === null || prev.state !== state || prev.rulesetHash !== rulesetHash || prev.error !== error;
    if (changed) this.opts.onChange?.(status);
    return status;
  }
}

function failure(back: FirewallReadback): string {
  if (back.error) return back.error;
  return back.present
    ? "Quell's table read back different from the rules written"
    : "Quell's table is missing";
}
