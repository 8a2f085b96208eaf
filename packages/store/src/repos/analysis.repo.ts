import type { Analysis, AnalysisStatus, AnalysisVerdict } from '@quell/contracts';
import { InputError } from '@quell/core';
import { sql, type Updateable } from 'kysely';
import type { DatabaseHandle, Tx } from '../database.js';
import type { AnalysesTable } from '../schema/analysis.tables.js';
import { decodeCursor, encodeCursor, iso, isoOrNull } from '../json.js';

export type AnalysisRow = AnalysesTable;

export function toAnalysis(r: AnalysisRow): Analysis {
  return {
    id: r.id,
    sha256: r.sha256,
    fileName: r.file_name,
    status: r.status as AnalysisStatus,
    verdict: r.verdict as AnalysisVerdict | null,
    score: r.score,
    timeoutSeconds: Math.round(r.timeout_ms / 1000),
    reportSha256: r.report_sha256,
    traceSha256: r.trace_sha256,
    error: r.error,
    requestedBy: r.requested_by,
    comment: r.comment,
    actionId: r.action_id,
    resubmissionOf: r.resubmission_of,
    createdAt: iso(r.created_at),
    startedAt: isoOrNull(r.started_at),
    finishedAt: isoOrNull(r.finished_at),
  };
}

export interface AnalysisFilter {
  status?: AnalysisStatus | undefined;
  sha256?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Deep analyses and the hashes of their reports (the reports themselves are blobs). */
export class AnalysisRepo {
  constructor(protected readonly h: DatabaseHandle) {}

  async insert(trx: Tx, row: AnalysisRow): Promise<void> {
    await trx.insertInto('analyses').values(row).execute();
  }

  async get(trx: Tx, id: string): Promise<AnalysisRow | undefined> {
    return trx.selectFrom('analyses').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async byAction(trx: Tx, actionId: string): Promise<AnalysisRow | undefined> {
    return trx.selectFrom('analyses').selectAll().where('action_id', '=', actionId).executeTakeFirst();
  }

  /**
   * Applies `values` only while the row is in one of `from`: a detonation finishing after a cancel
   * must not overwrite it. Returns whether the row changed.
   */
  async update(
    trx: Tx,
    id: string,
    from: readonly AnalysisStatus[],
    values: Updateable<AnalysesTable>,
  ): Promise<boolean> {
    const res = await trx
      .updateTable('analyses')
      .set(values)
      .where('id', '=', id)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Unfinished analyses, oldest first (reconciled against their actions). */
  async unfinished(trx: Tx, limit: number): Promise<AnalysisRow[]> {
    return trx
      .selectFrom('analyses')
      .selectAll()
      .where('status', 'in', ['queued', 'running'])
      .orderBy('created_at', 'asc')
      .limit(limit)
      .execute();
  }

  /** Newest first, keyset-paged, by status and/or file. */
  async list(f: AnalysisFilter): Promise<{ items: AnalysisRow[]; nextCursor: string | null }> {
    let q = this.h.db.selectFrom('analyses').selectAll();
    if (f.status) q = q.where('status', '=', f.status);
    if (f.sha256) q = q.where('sha256', '=', f.sha256.toLowerCase());
    if (f.cursor) {
      const c = decodeCursor(f.cursor, 2);
      if (!c || typeof c[0] !== 'number' || typeof c[1] !== 'string') {
        throw new InputError('The cursor is not one this server gave out; start again without it.', {
          cursor: f.cursor,
        });
      }
      q = q.where(sql<boolean>`(created_at, id) < (${c[0]}, ${c[1]})`);
    }
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(f.limit + 1)
      .execute();
    const page = rows.slice(0, f.limit);
    const last = page[page.length - 1];
    return {
      items: page,
      nextCursor: rows.length > f.limit && last ? encodeCursor(last.created_at, last.id) : null,
    };
  }
}
