import stringify from 'safe-stable-stringify';
import type { Firewall, FirewallReadback, IsolationTarget } from '../ports.js';
import { buildIsolationRuleset } from './isolation-ruleset.js';

/**
 * An in-memory {@link Firewall} for unit tests of code that drives isolation (the reconciler,
 * the agent runtime): `table` holds the key of the target last applied (tests may overwrite it to
 * simulate tampering), targets are validated like the real one, and `failApply` / `failRemove`
 * make the next calls fail the way nft failures are reported.
 */
export class InMemoryFirewall implements Firewall {
  table: string | null = null;
  calls = { apply: 0, remove: 0, read: 0 };
  failApply: string | null = null;
  failRemove: string | null = null;

  async apply(target: IsolationTarget): Promise<FirewallReadback> {
    buildIsolationRuleset(target);
    this.calls.apply++;
    if (this.failApply) return { ...this.back(target), matches: false, error: this.failApply };
    this.table = key(target);
    return this.back(target);
  }

  async remove(): Promise<FirewallReadback> {
    this.calls.remove++;
    if (this.failRemove) return { ...this.back(null), matches: false, error: this.failRemove };
    this.table = null;
    return this.back(null);
  }

  async read(target: IsolationTarget | null): Promise<FirewallReadback> {
    this.calls.read++;
    return this.back(target);
  }

  private back(target: IsolationTarget | null): FirewallReadback {
    const present = this.table !== null;
    const matches = target === null ? !present : this.table === key(target);
    return { matches, present, rulesetHash: present ? `hash:${this.table}` : null };
  }
}

const key = (t: IsolationTarget): string => stringify(t) ?? '';
