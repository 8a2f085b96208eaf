import type { IocFirewall, IocReadback, IocReadDepth } from './ioc.firewall.js';
import { IOC_SET_NAMES, sameSkeleton, type IocSetName, type IocTarget } from './ioc-ruleset.js';

/** States of IP indicator enforcement, as the agent reports them. */
export const IOC_ENFORCEMENT_STATES = ['off', 'applying', 'on', 'failed'] as const;
export type IocEnforcementState = (typeof IOC_ENFORCEMENT_STATES)[number];

export interface IocStatus {
  state: IocEnforcementState;
  /**
   * Elements per set: read back when `verified` is `full`; after an element delta (`structure`),
   * what was written, until the full read-back that follows on the next pass.
   */
  counts: Record<IocSetName, number> | null;
  /** SHA-256 of the table as last read back in full; null when absent. */
  rulesetHash: string | null;
  /** How the `on` state was last verified. */
  verified: IocReadDepth | null;
  error: string | null;
  /** ms since epoch of the read-back this status comes from. */
  checkedAt: number;
  /** This pass found the verified table missing or altered and put it back: worth an alert. */
  reasserted: boolean;
}

export interface IocReconcilerOptions {
  firewall: IocFirewall;
  /** The desired table (null: none). Read on every pass; should return the same object while nothing changed. */
  desired: () => IocTarget | null;
  /** Pause between passes while a table is desired. Default 2000 ms: a deleted table is back within ~2 s. */
  intervalMs?: number;
  /** Pause between passes while none is desired. Default 15 000 ms. */
  idleIntervalMs?: number;
  /**
   * Least time between full read-backs (rules and elements) while nothing changes. Default 60 000
   * ms: a full read costs seconds with 100,000+ elements, while the structure check of every
   * pass costs milliseconds but cannot see a flushed set or an edited rule.
   */
  fullCheckIntervalMs?: number;
  onChange?: (status: IocStatus) => void;
  now?: () => number;
}

/**
 * Keeps the indicator table at the desired state, like the isolation reconciler: passes never
 * overlap and never throw; failures become `failed` and are retried on the next pass. A changed
 * target with the same skeleton is applied as an element delta (add/delete element), so a few
 * new addresses do not reload a hundred thousand; anything else, or a failed delta, rebuilds the
 * table in one transaction.
 *
 * Call {@link reconcileOnce} after changing indicators (time to effect is then one nft run), and
 * {@link start} for the loop.
 */
export class IocReconciler {
  private readonly intervalMs: number;
  private readonly idleIntervalMs: number;
  private readonly fullCheckIntervalMs: number;
  private readonly now: () => number;
  private last: IocStatus | null = null;
  /** The target last verified in force, and when it was last read back in full. */
  private verified: IocTarget | null = null;
  private lastFullAt = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(private readonly opts: IocReconcilerOptions) {
    this.intervalMs = opts.intervalMs ?? 2000;
    this.idleIntervalMs = opts.idleIntervalMs ?? 15_000;
    this.fullCheckIntervalMs = opts.fullCheckIntervalMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  get status(): IocStatus | null {
    return this.last;
  }

  /**
   * Runs one pass now (after any in flight). When the loop runs, the next periodic pass is
   * re-timed from here, so a target that just appeared is watched at the short interval at once.
   */
  reconcileOnce(): Promise<IocStatus> {
    const pass = this.queue.then(() => this.pass());
    this.queue = pass;
    return pass.finally(() => this.schedule());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.queue;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.running) return;
    let idle = false;
    try {
      idle = this.opts.desired() === null;
    } catch {
      // An invalid target is reported by the pass itself; keep the fast interval for it.
    }
    this.timer = setTimeout(
      () => void this.reconcileOnce(),
      idle ? Math.max(this.idleIntervalMs, this.intervalMs) : this.intervalMs,
    );
    this.timer.unref();
  }

  private async pass(): Promise<IocStatus> {
    try {
      const target = this.opts.desired();
      return target === null ? await this.passOff() : await this.passOn(target);
    } catch (err) {
      this.verified = null;
      return this.report('failed', null, (err as Error).message);
    }
  }

  private async passOn(target: IocTarget): Promise<IocStatus> {
    const fw = this.opts.firewall;
    const prev = this.verified;
    if (prev === null || !sameSkeleton(prev, target)) return this.rebuild(target, false);
    const structure = await fw.read(target, 'structure');
    if (!structure.matches) return this.rebuild(target, this.last?.state === 'on');
    if (prev !== target) {
      this.report('applying', null);
      const back = await fw.update(prev, target);
      if (!back.matches) return this.rebuild(target, false);
      this.verified = target;
      // Checked only to the structure: read it back in full on the next pass.
      this.lastFullAt = -Infinity;
      return this.report('on', { ...back, counts: countsOf(target) });
    }
    if (this.now() - this.lastFullAt < this.fullCheckIntervalMs) return this.report('on', null);
    const full = await fw.read(target, 'full');
    if (full.matches) return this.verifiedAs(target, full, false);
    return this.rebuild(target, true);
  }

  private async rebuild(target: IocTarget, drifted: boolean): Promise<IocStatus> {
    this.verified = null;
    this.report('applying', null, null, drifted);
    const back = await this.opts.firewall.apply(target);
    if (!back.matches) return this.report('failed', back, failure(back), drifted);
    return this.verifiedAs(target, back, drifted);
  }

  private async passOff(): Promise<IocStatus> {
    const fw = this.opts.firewall;
    this.verified = null;
    const back = await fw.read(null, 'structure');
    if (back.matches) return this.report('off', null);
    if (!back.present) return this.report('failed', back, failure(back));
    const removed = await fw.remove();
    if (!removed.matches) return this.report('failed', removed, failure(removed));
    return this.report('off', null);
  }

  private verifiedAs(target: IocTarget, back: IocReadback, reasserted: boolean): IocStatus {
    this.verified = target;
    this.lastFullAt = this.now();
    return this.report('on', back, null, reasserted);
  }

  /** `back` null keeps the counts and hash of the last full read (a structure check adds none). */
  private report(
    state: IocEnforcementState,
    back: IocReadback | null,
    error: string | null = null,
    reasserted = false,
  ): IocStatus {
    const prev = this.last;
    const keep = back === null && state === prev?.state;
    const status: IocStatus = {
      state,
      counts: keep ? prev.counts : (back?.counts ?? null),
      rulesetHash: keep
        ? prev.rulesetHash
        : (back?.rulesetHash ?? (state === 'on' ? (prev?.rulesetHash ?? null) : null)),
      verified: state !== 'on' ? null : keep ? prev.verified : (back?.depth ?? null),
      error,
      checkedAt: this.now(),
      reasserted,
    };
    this.last = status;
    const changed =
      prev === null ||
      prev.state !== state ||
      prev.rulesetHash !== status.rulesetHash ||
      prev.verified !== status.verified ||
      prev.error !== error ||
      reasserted;
    if (changed) this.opts.onChange?.(status);
    return status;
  }
}

function countsOf(target: IocTarget): Record<IocSetName, number> {
  return Object.fromEntries(IOC_SET_NAMES.map((n) => [n, target.sets[n].length])) as Record<
    IocSetName,
    number
  >;
}

function failure(back: IocReadback): string {
  if (back.error) return back.error;
  return back.present
    ? 'the indicator table read back different from what was written'
    : 'the indicator table is missing';
}
