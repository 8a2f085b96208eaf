import type { IndicatorFeedPage } from './indicator-feed.types.js';

/** Longest a computed delta is served again (ms): expiry is judged when it is computed. */
export const DELTA_CACHE_TTL_MS = 10_000;
/** Most deltas kept at one revision; beyond it the cache starts over (memory stays bounded). */
export const DELTA_CACHE_MAX_ENTRIES = 256;
/**
 * Most indicators and removals held over all kept deltas (a few hundred MB at worst): agents far
 * behind at many different revisions must not make the cache hold a page for each of them.
 */
export const DELTA_CACHE_MAX_ITEMS = 200_000;

interface Entry {
  at: number;
  page: Promise<IndicatorFeedPage>;
}

const itemsOf = (p: IndicatorFeedPage): number =>
  p.kind === 'delta' ? p.delta.upserts.length + p.delta.removals.length : p.snapshot.indicators.length;

/**
 * Deltas of the indicator feed, computed once per device group, starting revision and page size
 * while the feed stays at one revision. After a change every connected agent asks for the same
 * delta (its group's changes since the revision they all held), so 10,000 agents cost one query
 * per group instead of 10,000. Concurrent asks share the one computation in flight.
 *
 * A delta is a pure function of (group, since, feed revision, limit) except for expiry, which is
 * judged at computation time: entries live {@link DELTA_CACHE_TTL_MS} at most, and the sweep that
 * announces an expiry takes a new revision anyway. Entries are dropped as soon as the feed moves
 * to another revision, and a failed computation is never kept.
 */
export class IndicatorDeltaCache {
  private rev = -1;
  private readonly entries = new Map<string, Entry>();
  /** Indicators and removals in the deltas kept (counted once computed). */
  private items = 0;
  /** Computations done and answers served from the cache (for tests and metrics). */
  readonly stats = { computed: 0, served: 0 };

  constructor(
    private readonly now: () => number,
    private readonly ttlMs = DELTA_CACHE_TTL_MS,
    private readonly maxEntries = DELTA_CACHE_MAX_ENTRIES,
    private readonly maxItems = DELTA_CACHE_MAX_ITEMS,
  ) {}

  get(
    rev: number,
    deviceGroupId: string,
    sinceRev: number,
    limit: number,
    compute: () => Promise<IndicatorFeedPage>,
  ): Promise<IndicatorFeedPage> {
    if (rev !== this.rev) {
      this.clear();
      this.rev = rev;
    }
    const key = `${sinceRev}\u0000${limit}\u0000${deviceGroupId}`;
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at <= this.ttlMs) {
      this.stats.served++;
      return hit.page;
    }
    if (this.entries.size >= this.maxEntries || this.items >= this.maxItems) this.clear();
    this.stats.computed++;
    const page = compute();
    const entry: Entry = { at: now, page };
    this.entries.set(key, entry);
    page.then(
      (p) => {
        if (this.entries.get(key) === entry) this.items += itemsOf(p);
      },
      () => {
        // The caller gets the error; the next ask computes again.
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return page;
  }

  private clear(): void {
    this.entries.clear();
    this.items = 0;
  }
}
