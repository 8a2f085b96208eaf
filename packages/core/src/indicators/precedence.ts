import { INDICATOR_ACTION_RANK, type IndicatorAction } from '../vocab/indicator.js';

/** What precedence needs to know about an indicator that matched. */
export interface PrecedenceCandidate {
  action: IndicatorAction;
  /** Empty = all devices. */
  deviceGroupIds: readonly string[];
  /** Epoch ms. */
  createdAt: number;
  /** Breaks a tie on `createdAt`, so the winner never depends on the order of `matches`. */
  id: string;
}

/**
 * The indicator that decides what happens on a device, among those whose value matched.
 *
 * 1. Only indicators that apply to the device count: all-devices ones, and those that list the
 *    device's group (`deviceGroupId` null = an ungrouped device, which only all-devices ones reach).
 * 2. Narrower scope wins: an indicator for the device's group beats every all-devices one,
 *    whatever their actions, so a group owner can carve out an exception to a fleet-wide rule.
 * 3. Within the same scope, the higher `INDICATOR_ACTION_RANK` wins: allow > block_and_remediate
 *    > block > audit, so an analyst can always clear a false positive at once.
 * 4. Then the newest (`createdAt`), then the greatest `id`.
 *
 * Callers pass only active indicators (not expired, not removed). Returns null when none apply.
 */
export function resolveIndicatorPrecedence<T extends PrecedenceCandidate>(
  matches: readonly T[],
  deviceGroupId: string | null,
): T | null {
  let best: T | null = null;
  let bestScoped = false;
  for (const m of matches) {
    const scoped = m.deviceGroupIds.length > 0;
    if (scoped && (deviceGroupId === null || !m.deviceGroupIds.includes(deviceGroupId))) continue;
    if (!best || beats(m, scoped, best, bestScoped)) [best, bestScoped] = [m, scoped];
  }
  return best;
}

function beats(a: PrecedenceCandidate, aScoped: boolean, b: PrecedenceCandidate, bScoped: boolean): boolean {
  if (aScoped !== bScoped) return aScoped;
  const rank = INDICATOR_ACTION_RANK[a.action] - INDICATOR_ACTION_RANK[b.action];
  if (rank !== 0) return rank > 0;
  if (a.createdAt !== b.createdAt) return a.createdAt > b.createdAt;
  return a.id > b.id;
}
