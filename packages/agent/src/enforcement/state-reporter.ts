import { stringify } from 'safe-stable-stringify';
import type { AgentState, VerifiedState } from '@quell/contracts/agent';

/** A verified state without its timestamp (the reporter stamps it). */
export type VerifiedStateInput = Omit<VerifiedState, 'checkedAt'>;

const UNKNOWN: VerifiedStateInput = { state: 'unknown', actionId: null, evidence: null, error: null };
const MAX_ISSUES = 20;

/**
 * Holds the device's verified state (isolation, restriction, issues) as last read back, and
 * tells listeners when it changes — the runtime sends a `state` message then, and every
 * heartbeat carries the latest. A re-check that finds the same thing is not a change (only
 * `checkedAt` moves), so a steady device sends no `state` traffic.
 */
export class StateReporter {
  private isolation: VerifiedState;
  private restriction: VerifiedState;
  private readonly issues = new Map<string, string>();
  private readonly listeners = new Set<(s: AgentState) => void>();

  constructor(private readonly now: () => number = Date.now) {
    this.isolation = { ...UNKNOWN, checkedAt: now() };
    this.restriction = { ...UNKNOWN, checkedAt: now() };
  }

  get(): AgentState {
    return {
      isolation: this.isolation,
      restriction: this.restriction,
      issues: [...this.issues.values()].slice(0, MAX_ISSUES),
    };
  }

  setIsolation(v: VerifiedStateInput): void {
    const changed = !sameState(this.isolation, v);
    this.isolation = { ...v, checkedAt: this.now() };
    if (changed) this.emit();
  }

  setRestriction(v: VerifiedStateInput): void {
    const changed = !sameState(this.restriction, v);
    this.restriction = { ...v, checkedAt: this.now() };
    if (changed) this.emit();
  }

  /** Raises (text) or clears (null) an issue under a stable key, e.g. `exec_helper`. */
  setIssue(key: string, text: string | null): void {
    const before = this.issues.get(key);
    if (text === null) this.issues.delete(key);
    else this.issues.set(key, text.slice(0, 500));
    if (before !== (text ?? undefined)) this.emit();
  }

  onChange(listener: (s: AgentState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    const s = this.get();
    for (const l of this.listeners) l(s);
  }
}

function sameState(a: VerifiedState, b: VerifiedStateInput): boolean {
  const { checkedAt: _t, ...rest } = a;
  return stringify(rest) === stringify(b);
}
