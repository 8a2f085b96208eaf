import { INDICATOR_ACTION_RANK, INDICATOR_ACTIONS } from '@quell/core';
import { RECORD_FLAGS, type IndicatorRecords } from './indicator-records.js';

/** Action rank by action index, so precedence reads two bytes and no strings. */
const RANK = Int8Array.from(INDICATOR_ACTIONS.map((a) => INDICATOR_ACTION_RANK[a]));

/**
 * Indicators with the same value (say a group's allow and an all-devices block of one hash) form a
 * chain through `records.next`, kept in precedence order, so the head is the winner and a lookup
 * is O(1). Precedence follows the core vocabulary: an indicator scoped to the device's group beats
 * an all-devices one whatever its action; then the higher `INDICATOR_ACTION_RANK` (allow highest);
 * then the greater id (the server's ids grow with time, so the newer one), only so that the
 * winner never depends on arrival order.
 *
 * An expired record stays in its chain until the next purge; {@link winner} steps over it.
 */
export class PrecedenceChains {
  constructor(private readonly records: IndicatorRecords) {}

  /** Whether record `a` beats record `b`. */
  outranks(a: number, b: number): boolean {
    const d = this.score(a) - this.score(b);
    if (d !== 0) return d > 0;
    return this.records.compareIds(a, b) > 0;
  }

  /** Inserts `r` into the chain starting at `head` (-1: empty); returns the new head. */
  link(head: number, r: number): number {
    const next = this.records.next;
    if (head < 0 || this.outranks(r, head)) {
      next[r] = head;
      return r;
    }
    let p = head;
    while (next[p]! >= 0 && !this.outranks(r, next[p]!)) p = next[p]!;
    next[r] = next[p]!;
    next[p] = r;
    return head;
  }

  /** Removes `r` from the chain starting at `head`; returns the new head (-1: now empty). */
  unlink(head: number, r: number): number {
    const next = this.records.next;
    if (head === r) return next[r]!;
    let p = head;
    while (p >= 0 && next[p] !== r) p = next[p]!;
    if (p >= 0) next[p] = next[r]!;
    return head;
  }

  /** The first record of the chain still in force at `now` (ms), or -1. */
  winner(head: number, now: number): number {
    const { next, expiresAt } = this.records;
    for (let r = head; r >= 0; r = next[r]!) {
      const exp = expiresAt[r]!;
      if (exp === 0 || exp > now) return r;
    }
    return -1;
  }

  /** `r` when it is still in force at `now`, else -1. */
  inForce(r: number, now: number): number {
    const exp = this.records.expiresAt[r]!;
    return exp === 0 || exp > now ? r : -1;
  }

  /** The better of two candidates from different chains (-1 = none). */
  better(a: number, b: number): number {
    if (a < 0) return b;
    if (b < 0) return a;
    return this.outranks(b, a) ? b : a;
  }

  private score(r: number): number {
    const scoped = (this.records.flags[r]! & RECORD_FLAGS.groupScoped) !== 0 ? 8 : 0;
    return scoped + RANK[this.records.action[r]!]!;
  }
}
