import { InputError } from '@quell/core';
import { decodeCursor, encodeCursor, type IndicatorRow } from '@quell/store';
import type { ServiceContext } from '../services/context.js';
import type { IndicatorFeedPage, SyncIndicator } from './indicator-feed.types.js';
import { IndicatorDeltaCache } from './indicator-delta-cache.js';
import { isExpired, toSyncIndicator } from './indicator-view.js';
import { RevisionTaker } from './indicator-writer.js';

/** Most rows in one feed answer; larger asks are cut to it. */
export const MAX_FEED_PAGE = 10_000;
/** Expired indicators announced per sweep transaction. */
const SWEEP_BATCH = 5_000;

/**
 * The versioned indicator feed agents sync: deltas by revision for an agent that is in step, a
 * reset snapshot (in pages) for one that is not. Rows a device group sees are the all-devices
 * ones and those listing the group.
 */
export class IndicatorFeed {
  /** Deltas shared by the agents of a group that ask for the same one (after every change). */
  readonly deltas: IndicatorDeltaCache;

  constructor(private readonly ctx: ServiceContext) {
    this.deltas = new IndicatorDeltaCache(() => ctx.clock.now());
  }

  async page(
    deviceGroupId: string,
    sinceRev: number | null,
    limit: number,
    cursor?: string,
  ): Promise<IndicatorFeedPage> {
    const size = Math.max(1, Math.min(limit, MAX_FEED_PAGE));
    if (cursor !== undefined) return this.snapshotPage(deviceGroupId, cursor, size);
    const { rev, prunedRev } = await this.ctx.store.indicators.revision();
    // Unknown (ahead of us: another database, or a restore) or older than the tombstones kept:
    // a delta could miss removals, so the agent starts over.
    if (sinceRev === null || sinceRev > rev || sinceRev < prunedRev) {
      return this.snapshotPage(deviceGroupId, encodeCursor(rev, ''), size);
    }
    return this.deltas.get(rev, deviceGroupId, sinceRev, size, () =>
      this.delta(deviceGroupId, sinceRev, rev, size),
    );
  }

  private async delta(
    deviceGroupId: string,
    sinceRev: number,
    rev: number,
    size: number,
  ): Promise<IndicatorFeedPage> {
    const now = this.ctx.clock.now();
    const rows = await this.ctx.store.indicators.changedSince(
      this.ctx.store.db,
      deviceGroupId,
      sinceRev,
      size + 1,
    );
    let take = rows.slice(0, size);
    let more = rows.length > size;
    if (more) {
      // A revision is never split: drop the last, partial one, or when the page holds only one
      // revision, deliver all of it whatever the limit (a 100,000-row import is one revision).
      const lastRev = take[take.length - 1]!.rev;
      const whole = take.filter((r) => r.rev !== lastRev);
      take = whole.length
        ? whole
        : await this.ctx.store.indicators.atRev(this.ctx.store.db, deviceGroupId, lastRev);
      const toRev = take[take.length - 1]!.rev;
      more = toRev < rev;
    }
    const upserts: SyncIndicator[] = [];
    const removals: string[] = [];
    for (const r of take) {
      if (r.deleted_at !== null || isExpired(r, now)) removals.push(r.id);
      else upserts.push(toSyncIndicator(r));
    }
    const toVersion = more ? take[take.length - 1]!.rev : Math.max(rev, sinceRev);
    return { kind: 'delta', delta: { fromVersion: sinceRev, toVersion, upserts, removals }, more };
  }

  /**
   * One page of a snapshot. The cursor carries the revision the snapshot started at: rows that
   * change while the pages are read show their newer state, and the delta the agent asks for from
   * that revision brings them again, so the agent converges either way.
   */
  private async snapshotPage(
    deviceGroupId: string,
    cursor: string,
    size: number,
  ): Promise<IndicatorFeedPage> {
    const c = decodeCursor(cursor, 2);
    if (!c || typeof c[0] !== 'number' || typeof c[1] !== 'string') {
      throw new InputError('The snapshot cursor is not one this server gave out; start the snapshot again.', {
        cursor,
      });
    }
    const [version, afterId] = c as [number, string];
    const rows: IndicatorRow[] = await this.ctx.store.indicators.snapshotPage(
      this.ctx.store.db,
      deviceGroupId,
      afterId === '' ? null : afterId,
      size + 1,
      this.ctx.clock.now(),
    );
    const page = rows.slice(0, size);
    const last = page[page.length - 1];
    return {
      kind: 'snapshot',
      snapshot: { version, indicators: page.map(toSyncIndicator) },
      nextCursor: rows.length > size && last ? encodeCursor(version, last.id) : null,
    };
  }

  /**
   * Gives indicators whose expiry passed a revision of their own, so agents in step get them as
   * removals in their next delta (they also drop them by `expiresAt` themselves). The newest
   * revision taken, or null when nothing expired.
   */
  async sweepExpired(): Promise<number | null> {
    let last: number | null = null;
    for (;;) {
      const rev = await this.ctx.store.transaction(async (trx) => {
        const ids = await this.ctx.store.indicators.expiredUnannounced(
          trx,
          this.ctx.clock.now(),
          SWEEP_BATCH,
        );
        if (!ids.length) return null;
        const r = await new RevisionTaker(this.ctx, trx).take();
        await this.ctx.store.indicators.markExpiryAnnounced(trx, ids, r);
        return { rev: r, full: ids.length === SWEEP_BATCH };
      });
      if (!rev) return last;
      last = rev.rev;
      if (!rev.full) return last;
    }
  }

  /** Deletes tombstones older than `retentionMs`; agents further behind than that get a snapshot. */
  async pruneTombstones(retentionMs: number): Promise<number> {
    const before = this.ctx.clock.now() - retentionMs;
    return this.ctx.store.transaction((trx) => this.ctx.store.indicators.pruneTombstones(trx, before));
  }
}
