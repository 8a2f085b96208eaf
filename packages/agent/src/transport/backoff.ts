/** Reconnect delays: a fast first retry, then exponential with jitter, capped. */
export interface BackoffPolicy {
  /** Delay before the first retry (a blip, a server restart). Default 250 ms. */
  firstMs: number;
  /** Base of the exponential part. Default 1 s. */
  baseMs: number;
  /** Cap. Default 30 s. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { firstMs: 250, baseMs: 1_000, maxMs: 30_000 };

/**
 * Delay before retry number `attempt` (0-based). "Equal jitter": half fixed, half random, so a
 * fleet that lost the server at once does not come back in lockstep, yet no agent waits
 * needlessly long. `random` returns [0, 1) (injected so tests are deterministic).
 */
export function backoffDelay(
  attempt: number,
  random: () => number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  const ceiling = attempt === 0 ? policy.firstMs : Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
