import { InputError } from '@quell/core';
import { sql } from 'kysely';
import type { DatabaseHandle, Tx } from '../database.js';
import type { ActionsTable } from '../schema/database.js';
import type {
  FileAlertsTable,
  FileBlobsTable,
  FileSightingsTable,
  FilesTable,
} from '../schema/file.tables.js';
import { chunk, decodeCursor, encodeCursor, fromJson } from '../json.js';

export type FileRow = FilesTable;
export type FileSightingRow = FileSightingsTable;
export type FileAlertRow = FileAlertsTable;
export type FileBlobRow = FileBlobsTable;

/** Names kept per file, most recent first: enough to recognise it, bounded whatever agents send. */
export const MAX_FILE_NAMES = 20;

/** A sighting with the device's hostname, as the file page lists them. */
export interface SightingView extends FileSightingRow {
  hostname: string;
}

/** A device that saw a file, for the quarantine fan-out. */
export interface SeenOnDevice {
  device_id: string;
  hostname: string;
  last_seen_at: number;
}

/** A related alert with its incident's headline. */
export interface FileAlertView {
  alert_id: string;
  incident_id: string;
  at: number;
  title: string;
  severity: string;
  incident_title: string;
  incident_status: string;
  incident_severity: string;
}

/** A file observation merged into what is known; `names` most recent first. */
export interface FileUpsert {
  sha256: string;
  sha1: string | null;
  md5: string | null;
  size: number | null;
  names: string[];
  first_seen_at: number;
  last_seen_at: number;
}

/** `last_seen_at` newer wins; both dialects understand CASE where they disagree on max()/greatest(). */
const later = (col: string, table: string) =>
  sql.raw<number>(
    `case when excluded.${col} > ${table}.${col} then excluded.${col} else ${table}.${col} end`,
  );
const earlier = (col: string, table: string) =>
  sql.raw<number>(
    `case when excluded.${col} < ${table}.${col} then excluded.${col} else ${table}.${col} end`,
  );

/** What Quell knows of files: hashes, names, sightings per device, related alerts, stored copies. */
export class FileRepo {
  constructor(protected readonly h: DatabaseHandle) {}

  /** Known rows for these SHA-256s; on PostgreSQL locked, so concurrent reports merge names without losing any. */
  async getMany(trx: Tx, sha256s: readonly string[]): Promise<FileRow[]> {
    const out: FileRow[] = [];
    for (const part of chunk(sha256s, 1)) {
      if (!part.length) continue;
      let q = trx.selectFrom('files').selectAll().where('sha256', 'in', part);
      if (this.h.dialect === 'postgres') q = q.forUpdate();
      out.push(...(await q.execute()));
    }
    return out;
  }

  async get(trx: Tx, sha256: string): Promise<FileRow | undefined> {
    return trx.selectFrom('files').selectAll().where('sha256', '=', sha256).executeTakeFirst();
  }

  /** The file a SHA-1 or MD5 names, when one is known. */
  async byHash(trx: Tx, kind: 'sha1' | 'md5', value: string): Promise<FileRow | undefined> {
    return trx.selectFrom('files').selectAll().where(kind, '=', value).executeTakeFirst();
  }

  /**
   * Writes merged file rows (the caller merged names with `getMany`'s rows). Hashes and size keep
   * the first value known; times widen.
   */
  async upsertFiles(trx: Tx, rows: readonly FileUpsert[]): Promise<void> {
    for (const part of chunk(rows, 7)) {
      if (!part.length) continue;
      await trx
        .insertInto('files')
        .values(part.map((r) => ({ ...r, names: JSON.stringify(r.names.slice(0, MAX_FILE_NAMES)) })))
        .onConflict((oc) =>
          oc.column('sha256').doUpdateSet({
            sha1: sql`coalesce(files.sha1, excluded.sha1)`,
            md5: sql`coalesce(files.md5, excluded.md5)`,
            size: sql`coalesce(files.size, excluded.size)`,
            names: sql`excluded.names`,
            first_seen_at: earlier('first_seen_at', 'files'),
            last_seen_at: later('last_seen_at', 'files'),
          }),
        )
        .execute();
    }
  }

  /**
   * Upserts sightings, one row per (file, device, path); rows must be unique on that key. The
   * count grows only for an observation newer than the last one recorded, so an agent repeating
   * a report (at-least-once delivery) changes nothing.
   */
  async upsertSightings(trx: Tx, rows: readonly FileSightingRow[]): Promise<void> {
    for (const part of chunk(rows, 7)) {
      if (!part.length) continue;
      await trx
        .insertInto('file_sightings')
        .values([...part])
        .onConflict((oc) =>
          oc.columns(['sha256', 'device_id', 'path']).doUpdateSet({
            count: sql`case when excluded.last_seen_at > file_sightings.last_seen_at then file_sightings.count + excluded.count else file_sightings.count end`,
            source: sql`case when excluded.last_seen_at >= file_sightings.last_seen_at then excluded.source else file_sightings.source end`,
            first_seen_at: earlier('first_seen_at', 'file_sightings'),
            last_seen_at: later('last_seen_at', 'file_sightings'),
          }),
        )
        .execute();
    }
  }

  async insertAlertLinks(trx: Tx, rows: readonly FileAlertRow[]): Promise<void> {
    for (const part of chunk(rows, 4)) {
      if (!part.length) continue;
      await trx
        .insertInto('file_alerts')
        .values([...part])
        .onConflict((oc) => oc.columns(['sha256', 'alert_id']).doNothing())
        .execute();
    }
  }

  /** How many devices saw the file, ever. */
  async deviceCount(trx: Tx, sha256: string): Promise<number> {
    const r = await trx
      .selectFrom('file_sightings')
      .select(sql<number>`count(distinct device_id)`.as('n'))
      .where('sha256', '=', sha256)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  /**
   * Most recent sightings first, with hostnames, at most `limit` rows; `groupIds` (non-empty)
   * keeps only devices of those device groups.
   */
  async sightings(
    trx: Tx,
    sha256: string,
    limit: number,
    groupIds: readonly string[] = [],
  ): Promise<SightingView[]> {
    let q = trx
      .selectFrom('file_sightings as s')
      .innerJoin('devices as d', 'd.id', 's.device_id')
      .selectAll('s')
      .select('d.hostname')
      .where('s.sha256', '=', sha256);
    if (groupIds.length) q = q.where('d.device_group_id', 'in', [...groupIds]);
    return q.orderBy('s.last_seen_at', 'desc').orderBy('s.device_id').limit(limit).execute();
  }

  /**
   * Devices that saw the file at or after `since`, each once with its latest sighting; at most
   * `limit`. `groupIds` (non-empty) keeps only devices of those device groups (a scoped caller).
   */
  async devicesSeenSince(
    trx: Tx,
    sha256: string,
    since: number,
    limit: number,
    groupIds: readonly string[] = [],
  ): Promise<SeenOnDevice[]> {
    let q = trx
      .selectFrom('file_sightings as s')
      .innerJoin('devices as d', 'd.id', 's.device_id')
      .select(['s.device_id', 'd.hostname', sql<number>`max(s.last_seen_at)`.as('last_seen_at')])
      .where('s.sha256', '=', sha256)
      .where('s.last_seen_at', '>=', since);
    if (groupIds.length) q = q.where('d.device_group_id', 'in', [...groupIds]);
    const rows = await q.groupBy(['s.device_id', 'd.hostname']).orderBy('d.hostname').limit(limit).execute();
    return rows.map((r) => ({ ...r, last_seen_at: Number(r.last_seen_at) }));
  }

  /** Where each device saw the file last (devices with a known path only). */
  async latestPaths(trx: Tx, sha256: string): Promise<Map<string, string>> {
    const rows = await trx
      .selectFrom('file_sightings')
      .select(['device_id', 'path'])
      .where('sha256', '=', sha256)
      .where('path', '!=', '')
      .orderBy('last_seen_at', 'desc')
      .execute();
    const out = new Map<string, string>();
    for (const r of rows) if (!out.has(r.device_id)) out.set(r.device_id, r.path);
    return out;
  }

  /** Related alerts, newest first, with their incidents. */
  async alerts(trx: Tx, sha256: string, limit: number): Promise<FileAlertView[]> {
    return trx
      .selectFrom('file_alerts as f')
      .innerJoin('alerts as a', 'a.id', 'f.alert_id')
      .innerJoin('incidents as i', 'i.id', 'a.incident_id')
      .select([
        'f.alert_id',
        'a.incident_id',
        'f.at',
        'a.title',
        'a.severity',
        'i.title as incident_title',
        'i.status as incident_status',
        'i.severity as incident_severity',
      ])
      .where('f.sha256', '=', sha256)
      .orderBy('f.at', 'desc')
      .limit(limit)
      .execute();
  }

  /**
   * Incidents whose entities include the file (`file:sha256:<hash>`, core's entity key), latest
   * activity first: this also finds incidents of alerts ingested before files were recorded.
   */
  async incidents(
    trx: Tx,
    sha256: string,
    limit: number,
  ): Promise<Array<{ id: string; title: string; status: string; severity: string }>> {
    return trx
      .selectFrom('incident_entities as e')
      .innerJoin('incidents as i', 'i.id', 'e.incident_id')
      .select(['i.id', 'i.title', 'i.status', 'i.severity'])
      .where('e.entity_key', '=', `file:sha256:${sha256}`)
      .orderBy('e.last_seen_at', 'desc')
      .limit(limit)
      .execute();
  }

  /** File actions on this SHA-256 (any type), newest first. */
  async actions(trx: Tx, sha256: string, limit: number): Promise<ActionsTable[]> {
    return trx
      .selectFrom('actions')
      .selectAll()
      .where('target_id', '=', sha256)
      .where('target_kind', '=', 'file')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  /** File actions of the given types on this SHA-256, oldest first (quarantine state is a replay of them). */
  async actionsOfTypes(
    trx: Tx,
    sha256: string,
    types: readonly string[],
    limit: number,
  ): Promise<ActionsTable[]> {
    return trx
      .selectFrom('actions')
      .selectAll()
      .where('target_id', '=', sha256)
      .where('target_kind', '=', 'file')
      .where('type', 'in', [...types])
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
  }

  /** How many devices saw the file at or after `since`. */
  async countDevicesSeenSince(
    trx: Tx,
    sha256: string,
    since: number,
    groupIds: readonly string[] = [],
  ): Promise<number> {
    let q = trx
      .selectFrom('file_sightings as s')
      .innerJoin('devices as d', 'd.id', 's.device_id')
      .select(sql<number>`count(distinct s.device_id)`.as('n'))
      .where('s.sha256', '=', sha256)
      .where('s.last_seen_at', '>=', since);
    if (groupIds.length) q = q.where('d.device_group_id', 'in', [...groupIds]);
    const r = await q.executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async blob(trx: Tx, sha256: string): Promise<FileBlobRow | undefined> {
    return trx.selectFrom('file_blobs').selectAll().where('sha256', '=', sha256).executeTakeFirst();
  }

  /** Records a stored copy; a later copy of the same file replaces the record (the bytes are the same). */
  async upsertBlob(trx: Tx, row: FileBlobRow): Promise<void> {
    await trx
      .insertInto('file_blobs')
      .values(row)
      .onConflict((oc) =>
        oc.column('sha256').doUpdateSet({
          blob_sha256: sql`excluded.blob_sha256`,
          size: sql`excluded.size`,
          collected_at: sql`excluded.collected_at`,
          device_id: sql`excluded.device_id`,
          action_id: sql`excluded.action_id`,
        }),
      )
      .execute();
  }

  /**
   * Files seen most recently first, keyset-paged; `q` is a hash prefix (hex, 4+ characters) or a
   * piece of a name.
   */
  async list(
    q: { query?: string; limit: number; cursor?: string },
    trx: Tx = this.h.db,
  ): Promise<{ items: Array<FileRow & { device_count: number }>; nextCursor: string | null }> {
    let query = trx.selectFrom('files').selectAll();
    const text = q.query?.trim().toLowerCase();
    if (text) {
      if (/^[0-9a-f]{4,64}$/.test(text)) {
        const prefix = `${text}%`;
        query = query.where((eb) =>
          eb.or([
            eb('sha256', 'like', prefix),
            eb('sha1', 'like', prefix),
            eb('md5', 'like', prefix),
            eb(sql`lower(names)`, 'like', `%${text}%`),
          ]),
        );
      } else {
        // Names are a JSON array of strings: a LIKE over its text finds a piece of any of them.
        const piece = JSON.stringify(text)
          .slice(1, -1)
          .replace(/[%_\\]/g, '');
        query = query.where(sql`lower(names)`, 'like', `%${piece}%`);
      }
    }
    if (q.cursor) {
      const c = decodeCursor(q.cursor, 2);
      if (!c || typeof c[0] !== 'number' || typeof c[1] !== 'string') {
        throw new InputError('The cursor is not one this server gave out; start again without it.', {
          cursor: q.cursor,
        });
      }
      query = query.where(sql<boolean>`(last_seen_at, sha256) < (${c[0]}, ${c[1]})`);
    }
    const rows = await query
      .orderBy('last_seen_at', 'desc')
      .orderBy('sha256', 'desc')
      .limit(q.limit + 1)
      .execute();
    const page = rows.slice(0, q.limit);
    const counts = new Map<string, number>();
    if (page.length) {
      const c = await trx
        .selectFrom('file_sightings')
        .select(['sha256', sql<number>`count(distinct device_id)`.as('n')])
        .where(
          'sha256',
          'in',
          page.map((r) => r.sha256),
        )
        .groupBy('sha256')
        .execute();
      for (const r of c) counts.set(r.sha256, Number(r.n));
    }
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({ ...r, device_count: counts.get(r.sha256) ?? 0 })),
      nextCursor: rows.length > q.limit && last ? encodeCursor(last.last_seen_at, last.sha256) : null,
    };
  }
}

/** The names of a row, most recent first. */
export function fileNames(r: Pick<FileRow, 'names'>): string[] {
  return fromJson<string[]>(r.names, []);
}
