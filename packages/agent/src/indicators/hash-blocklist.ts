import { INDICATOR_ACTION_RANK } from '@quell/core';
import type { BlocklistVerdict, ExecBlocklist, ExecDigests } from '../ports.js';
import type { IndicatorMatch } from './indicator-sync.types.js';
import type { IndicatorStore } from './indicator-store.js';
import { HASH_TYPES } from './indicator-values.js';

/** Precedence across the winners of different hash types (same rule as within one value). */
function outranks(a: IndicatorMatch, b: IndicatorMatch): boolean {
  const score = (m: IndicatorMatch) => (m.groupScoped ? 8 : 0) + INDICATOR_ACTION_RANK[m.action];
  const d = score(a) - score(b);
  return d !== 0 ? d > 0 : a.id > b.id;
}

/**
 * The agent's hash indicators as the exec control and the remediation watcher consult them:
 * three constant-time lookups in the live store per file (SHA-256, SHA-1, MD5), nothing copied,
 * so a change in the store applies to the next execution without a reload. When indicators on
 * different digests of one file disagree, the usual precedence picks the winner (group scope,
 * then allow > block_and_remediate > block > audit).
 */
export class StoreHashBlocklist implements ExecBlocklist {
  constructor(private readonly store: IndicatorStore) {}

  /** The winning hash indicator for a file, whatever its action; null when none covers it. */
  winner(d: Partial<ExecDigests> & { sha256: string }): IndicatorMatch | null {
    let best: IndicatorMatch | null = null;
    for (const type of HASH_TYPES) {
      const digest = d[type];
      if (!digest) continue;
      const m = this.store.lookupHash(type, digest);
      if (m && (!best || outranks(m, best))) best = m;
    }
    return best;
  }

  decide(d: ExecDigests): BlocklistVerdict | null {
    const w = this.winner(d);
    if (!w || w.action === 'audit') return null;
    return { verdict: w.action === 'allow' ? 'allow' : 'block', indicatorId: w.id };
  }
}
