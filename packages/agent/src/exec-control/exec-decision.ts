import type { ExecBlocklist, ExecControlMode } from '../ports.js';
import type { ExecSubject, TrustDecision, TrustPolicy } from './trust-policy.js';

export interface ExecDecisionInput {
  mode: Exclude<ExecControlMode, 'off'>;
  /** Hash indicators; null when none are set. */
  blocklist: ExecBlocklist | null;
  trust: TrustPolicy;
  subject: ExecSubject;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * One execution's verdict. Precedence (docs/indicators-agent.md, "Blocking executions"):
 *
 * 1. A **block indicator** that wins for the file's SHA-256, SHA-1 or MD5 denies it in both
 *    modes, even for a package-owned file or one on the restriction's allow list: the indicator
 *    names this exact content, package trust is generic.
 * 2. An **allow indicator** that wins for one of the hashes cancels a block indicator on another
 *    (allow beats block, as in indicator precedence). It does not widen a restriction: what runs
 *    while restricted is the restriction's decision (package-owned or its allow list).
 * 3. Blocklist mode allows everything else, including files it cannot hash in time (too large,
 *    unreadable): it fails open, like the helper. Restricted mode denies those.
 */
export async function decideExec(i: ExecDecisionInput): Promise<TrustDecision> {
  const failOpen = i.mode === 'blocklist';
  let digests;
  try {
    digests = await i.trust.digest(i.subject);
  } catch (e) {
    return { allow: failOpen, reason: 'unreadable', sha256: null, error: errorText(e) };
  }
  if (!digests) return { allow: failOpen, reason: 'too_large', sha256: null };
  const v = i.blocklist?.decide(digests) ?? null;
  if (v?.verdict === 'block')
    return { allow: false, reason: 'blocked_indicator', sha256: digests.sha256, indicatorId: v.indicatorId };
  if (i.mode === 'blocklist') return { allow: true, reason: 'not_blocked', sha256: digests.sha256 };
  return i.trust.decide(i.subject);
}
