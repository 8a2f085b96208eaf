import { createHash } from 'node:crypto';
import { InputError } from '@quell/core';
import { sql, type Selectable } from 'kysely';
import type { DatabaseHandle, Tx } from '../database.js';
import type { IndicatorsTable, TaxiiFeedsTable } from '../schema/indicator.tables.js';
import { chunk, decodeCursor, encodeCursor } from '../json.js';

export type IndicatorRow = Selectable<IndicatorsTable>;
export type TaxiiFeedRow = Selectable<TaxiiFeedsTable>;

/** The scope key of an all-devices indicator. */
export const ALL_DEVICES_SCOPE = '*';

/** Longest scope key kept as the joined ids; longer ones are hashed (see {@link scopeKey}). */
const SCOPE_KEY_MAX = 512;

/**
 * The scope part of an indicator's identity: sorted group ids joined, or `*` for all devices.
 * A very long list (up to 100 groups) is replaced by `sha256:<hex>` of the joined ids: PostgreSQL
 * refuses unique-index entries over about 2.7 kB, and the value alone may take 2 kB.
 */
export function scopeKey(deviceGroupIds: readonly string[]): string {
  if (!deviceGroupIds.length) return ALL_DEVICES_SCOPE;
  const joined = [...new Set(deviceGroupIds)].sort().join(',');
  return joined.length <= SCOPE_KEY_MAX
    ? joined
    : `sha256:${createHash('sha256').update(joined).digest('hex')}`;
}

export const INDICATOR_SORT_COLUMNS = {
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  value: 'value',
} as const;

export interface IndicatorListFilter {
  type?: string | undefined;
  action?: string | undefined;
  source?: string | undefined;
  /** Substring of the value or title, case-insensitive. */
  q?: string | undefined;
  /** Only indicators that list this device group. */
  deviceGroupId?: string | undefined;
  /** Include indicators whose expiry has passed (removed ones are never listed). */
  includeExpired?: boolean | undefined;
  /** External id (e.g. a STIX indicator id). */
  externalId?: string | undefined;
}

export interface IndicatorListOptions {
  sort?: keyof typeof INDICATOR_SORT_COLUMNS | undefined;
  order?: 'asc' | 'desc' | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** LIKE pattern text with its wildcards escaped (the escape character is a backslash). */
function likeEscaped(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Indicators and their versioned feed (issue 4). Every change of a row takes a new revision from
 * the one-row `indicator_revision` table ({@link nextRev}); tombstones keep removals for deltas.
 */
export class IndicatorRepo {
  readonly feeds: TaxiiFeedQueries;

  constructor(protected readonly h: DatabaseHandle) {
    this.feeds = new TaxiiFeedQueries(h);
  }

  /**
   * The next feed revision, taken inside the caller's transaction. On PostgreSQL the row lock it
   * takes is held to the commit, so revisions become visible in order: a reader that saw rev N
   * never later finds a row committed with a smaller one.
   */
  async nextRev(trx: Tx): Promise<number> {
    const r = await trx
      .updateTable('indicator_revision')
      .set((eb) => ({ rev: eb('rev', '+', 1) }))
      .where('id', '=', 1)
      .returning('rev')
      .executeTakeFirstOrThrow();
    return Number(r.rev);
  }

  async revision(trx: Tx = this.h.db): Promise<{ rev: number; prunedRev: number }> {
    const r = await trx
      .selectFrom('indicator_revision')
      .select(['rev', 'pruned_rev'])
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    return { rev: Number(r.rev), prunedRev: Number(r.pruned_rev) };
  }

  async get(trx: Tx, id: string): Promise<IndicatorRow | undefined> {
    return trx.selectFrom('indicators').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Rows (tombstones included) with any of these values; the caller matches type and scope. */
  async byValues(trx: Tx, values: readonly string[]): Promise<IndicatorRow[]> {
    const out: IndicatorRow[] = [];
    for (const part of chunk([...new Set(values)], 30)) {
      if (!part.length) continue;
      out.push(...(await trx.selectFrom('indicators').selectAll().where('value', 'in', part).execute()));
    }
    return out;
  }

  /** Live rows imported under these external ids. */
  async byExternalIds(trx: Tx, ids: readonly string[]): Promise<IndicatorRow[]> {
    const out: IndicatorRow[] = [];
    for (const part of chunk([...new Set(ids)], 30)) {
      if (!part.length) continue;
      out.push(
        ...(await trx
          .selectFrom('indicators')
          .selectAll()
          .where('external_id', 'in', part)
          .where('deleted_at', 'is', null)
          .execute()),
      );
    }
    return out;
  }

  async insertMany(trx: Tx, rows: readonly IndicatorRow[]): Promise<void> {
    for (const part of chunk(rows, 19))
      if (part.length) await trx.insertInto('indicators').values(part).execute();
  }

  async update(trx: Tx, id: string, values: Partial<IndicatorRow>): Promise<void> {
    await trx.updateTable('indicators').set(values).where('id', '=', id).execute();
  }

  /** Live indicators of `type` with one of `values` (expired ones too; the caller decides). */
  async live(trx: Tx, type: string, values: readonly string[]): Promise<IndicatorRow[]> {
    const out: IndicatorRow[] = [];
    for (const part of chunk([...new Set(values)], 30)) {
      if (!part.length) continue;
      out.push(
        ...(await trx
          .selectFrom('indicators')
          .selectAll()
          .where('type', '=', type)
          .where('value', 'in', part)
          .where('deleted_at', 'is', null)
          .execute()),
      );
    }
    return out;
  }

  /** Live indicators of some types (for matching domains, ranges and URLs, which are not equality). */
  async liveOfTypes(trx: Tx, types: readonly string[], now: number): Promise<IndicatorRow[]> {
    return trx
      .selectFrom('indicators')
      .selectAll()
      .where('type', 'in', [...types])
      .where('deleted_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .execute();
  }

  /** Live indicators, filtered and keyset-paged. */
  async list(
    f: IndicatorListFilter,
    o: IndicatorListOptions,
    now: number,
  ): Promise<{ items: IndicatorRow[]; nextCursor: string | null }> {
    const col = INDICATOR_SORT_COLUMNS[o.sort ?? 'createdAt'];
    const desc = (o.order ?? 'desc') === 'desc';
    let q = this.h.db.selectFrom('indicators').selectAll().where('deleted_at', 'is', null);
    if (f.type) q = q.where('type', '=', f.type);
    if (f.action) q = q.where('action', '=', f.action);
    if (f.source) q = q.where('source', '=', f.source);
    if (f.externalId) q = q.where('external_id', '=', f.externalId);
    if (f.q) {
      const like = `%${likeEscaped(f.q.toLowerCase())}%`;
      q = q.where(
        sql<boolean>`(lower(value) like ${like} escape ${'\\'} or lower(title) like ${like} escape ${'\\'})`,
      );
    }
    if (f.deviceGroupId) {
      q = q.where(
        sql<boolean>`device_group_ids like ${`%"${likeEscaped(f.deviceGroupId)}"%`} escape ${'\\'}`,
      );
    }
    if (!f.includeExpired) {
      q = q.where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
    }
    if (o.cursor) {
      const c = decodeCursor(o.cursor, 2);
      const numeric = col !== 'value';
      if (!c || typeof c[1] !== 'string' || typeof c[0] !== (numeric ? 'number' : 'string')) {
        throw new InputError(
          'The cursor is not one this server gave out for this sort; start again without it.',
          { cursor: o.cursor },
        );
      }
      q = desc
        ? q.where(sql<boolean>`(${sql.ref(col)}, id) < (${c[0]}, ${c[1]})`)
        : q.where(sql<boolean>`(${sql.ref(col)}, id) > (${c[0]}, ${c[1]})`);
    }
    const rows = await q
      .orderBy(col, desc ? 'desc' : 'asc')
      .orderBy('id', desc ? 'desc' : 'asc')
      .limit(o.limit + 1)
      .execute();
    const page = rows.slice(0, o.limit);
    const last = page[page.length - 1];
    return {
      items: page,
      nextCursor: rows.length > o.limit && last ? encodeCursor(last[col], last.id) : null,
    };
  }

  /** Rows that apply to a device group: all-devices ones and those listing the group. */
  private forGroup(trx: Tx, deviceGroupId: string) {
    return trx
      .selectFrom('indicators')
      .selectAll()
      .where(
        sql<boolean>`(scope_key = ${ALL_DEVICES_SCOPE} or device_group_ids like ${`%"${likeEscaped(deviceGroupId)}"%`} escape ${'\\'})`,
      );
  }

  /** Rows of a group changed after `sinceRev` (tombstones included), by revision. */
  async changedSince(
    trx: Tx,
    deviceGroupId: string,
    sinceRev: number,
    limit: number,
  ): Promise<IndicatorRow[]> {
    return this.forGroup(trx, deviceGroupId)
      .where('rev', '>', sinceRev)
      .orderBy('rev')
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** Every row of one revision that applies to a group (a revision is never split across pages). */
  async atRev(trx: Tx, deviceGroupId: string, rev: number): Promise<IndicatorRow[]> {
    return this.forGroup(trx, deviceGroupId).where('rev', '=', rev).orderBy('id').execute();
  }

  /** One page of a group's live, unexpired indicators, by id after `afterId`. */
  async snapshotPage(
    trx: Tx,
    deviceGroupId: string,
    afterId: string | null,
    limit: number,
    now: number,
  ): Promise<IndicatorRow[]> {
    let q = this.forGroup(trx, deviceGroupId)
      .where('deleted_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
    if (afterId !== null) q = q.where('id', '>', afterId);
    return q.orderBy('id').limit(limit).execute();
  }

  /** Ids of live rows whose expiry passed and was not yet given a revision of its own. */
  async expiredUnannounced(trx: Tx, now: number, limit: number): Promise<string[]> {
    const rows = await trx
      .selectFrom('indicators')
      .select('id')
      .where('deleted_at', 'is', null)
      .where('expiry_announced', '=', 0)
      .where('expires_at', '<=', now)
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  async markExpiryAnnounced(trx: Tx, ids: readonly string[], rev: number): Promise<void> {
    for (const part of chunk(ids, 1)) {
      if (!part.length) continue;
      await trx.updateTable('indicators').set({ expiry_announced: 1, rev }).where('id', 'in', part).execute();
    }
  }

  /**
   * Deletes tombstones removed before `before` and records the newest revision deleted, so a
   * delta from before it is answered with a snapshot instead of silently missing removals.
   */
  async pruneTombstones(trx: Tx, before: number): Promise<number> {
    const newest = await trx
      .selectFrom('indicators')
      .select(sql<number | null>`max(rev)`.as('rev'))
      .where('deleted_at', '<', before)
      .executeTakeFirst();
    if (newest?.rev === null || newest?.rev === undefined) return 0;
    const res = await trx.deleteFrom('indicators').where('deleted_at', '<', before).executeTakeFirst();
    await trx
      .updateTable('indicator_revision')
      .set((eb) => ({
        pruned_rev: sql<number>`case when ${eb.ref('pruned_rev')} > ${Number(newest.rev)} then ${eb.ref('pruned_rev')} else ${Number(newest.rev)} end`,
      }))
      .where('id', '=', 1)
      .execute();
    return Number(res.numDeletedRows);
  }
}

/** TAXII 2.1 feeds the server pulls indicators from. */
export class TaxiiFeedQueries {
  constructor(private readonly h: DatabaseHandle) {}

  async list(trx: Tx = this.h.db): Promise<TaxiiFeedRow[]> {
    return trx.selectFrom('taxii_feeds').selectAll().orderBy('name').execute();
  }

  async get(trx: Tx, id: string): Promise<TaxiiFeedRow | undefined> {
    return trx.selectFrom('taxii_feeds').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async byName(trx: Tx, name: string): Promise<TaxiiFeedRow | undefined> {
    return trx.selectFrom('taxii_feeds').selectAll().where('name', '=', name).executeTakeFirst();
  }

  async insert(trx: Tx, row: TaxiiFeedRow): Promise<void> {
    await trx.insertInto('taxii_feeds').values(row).execute();
  }

  async update(trx: Tx, id: string, values: Partial<TaxiiFeedRow>): Promise<void> {
    await trx.updateTable('taxii_feeds').set(values).where('id', '=', id).execute();
  }

  /**
   * Claims a due pull: moves `last_pulled_at` from the value the caller read to `now`. Only one
   * of several server instances sharing the database wins; the others skip the feed this round.
   */
  async claimPull(trx: Tx, id: string, lastPulledAt: number | null, now: number): Promise<boolean> {
    const res = await trx
      .updateTable('taxii_feeds')
      .set({ last_pulled_at: now })
      .where('id', '=', id)
      .where('last_pulled_at', lastPulledAt === null ? 'is' : '=', lastPulledAt)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async delete(trx: Tx, id: string): Promise<boolean> {
    const res = await trx.deleteFrom('taxii_feeds').where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  }
}
