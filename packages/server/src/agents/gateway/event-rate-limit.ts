/** How many events a device may send: a sustained rate and a burst. */
export interface EventRate {
  /** Events per second, sustained. Default 100. */
  perSecond: number;
  /** Events a device may send at once above the sustained rate. Default 5000. */
  burst: number;
}

export const DEFAULT_EVENT_RATE: EventRate = { perSecond: 100, burst: 5000 };

/**
 * A token bucket per device. A batch is taken whole or not at all, so the agent re-sends it
 * later instead of the server applying half of it. Buckets of devices idle long enough to be full
 * again are forgotten, so memory follows the devices sending now.
 */
export class EventRateLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly rate: EventRate = DEFAULT_EVENT_RATE) {}

  /** Takes `n` tokens; else answers in how many ms they will be there (at least 1). */
  take(deviceId: string, n: number, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    const b = this.buckets.get(deviceId) ?? { tokens: this.rate.burst, at: now };
    b.tokens = Math.min(this.rate.burst, b.tokens + ((now - b.at) / 1000) * this.rate.perSecond);
    b.at = now;
    this.buckets.set(deviceId, b);
    if (this.buckets.size > 10_000) this.sweep(now);
    // A batch larger than the burst could never pass; it passes once the bucket is full.
    const need = Math.min(n, this.rate.burst);
    if (b.tokens >= need) {
      b.tokens -= need;
      return { ok: true };
    }
    return {
      ok: false,
      retryAfterMs: Math.max(1, Math.ceil(((need - b.tokens) / this.rate.perSecond) * 1000)),
    };
  }

  private sweep(now: number): void {
    const fullAfterMs = (this.rate.burst / this.rate.perSecond) * 1000;
    for (const [id, b] of this.buckets) if (now - b.at > fullAfterMs) this.buckets.delete(id);
  }
}
