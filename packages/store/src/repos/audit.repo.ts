import { createHash } from 'node:crypto';
import type { AuditEntry, AuditListQuery, AuditVerifyResult } from '@quell/contracts';
import type { DatabaseHandle, Tx } from '../database.js';
import { fromJson, iso } from '../json.js';

export interface AuditInput {
  at: number;
  actor: string;
  event: string;
  subject: string;
  data?: Record<string, unknown>;
}

const GENESIS = '0'.repeat(64);

/** JSON with sorted keys, so the same entry always hashes the same (a few lines; no library needed). */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

function entryHash(
  prev: string,
  e: { seq: number; at: number; actor: string; event: string; subject: string; data: string },
  dataIsCanonical = false,
): string {
  // `data` as written by `append` is canonical already, and canonical text parsed and written
  // again is the same text: appends skip that round trip (a fan-out appends tens of thousands).
  // Stored rows being verified take it, so the check does not depend on how the text was stored.
  const data = dataIsCanonical ? e.data : canonical(JSON.parse(e.data) as unknown);
  const text =
    `{"actor":${JSON.stringify(e.actor)},"at":${canonical(e.at)},"data":${data},` +
    `"event":${JSON.stringify(e.event)},"seq":${canonical(e.seq)},"subject":${JSON.stringify(e.subject)}}`;
  return createHash('sha256').update(prev).update('\n').update(text).digest('hex');
}

/**
 * The hash-chained audit log: each entry's hash covers the previous hash and its own content, so
 * editing, deleting or reordering any row breaks every hash after it.
 */
export class AuditRepo {
  constructor(private readonly h: DatabaseHandle) {}

  /** Appends inside the caller's transaction, so the change and its audit entry commit together. */
  async append(trx: Tx, entries: readonly AuditInput[]): Promise<void> {
    if (entries.length === 0) return;
    await this.h.lockChain(trx, 'audit');
    const last = await trx
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    let seq = last?.seq ?? 0;
    let prev = last?.hash ?? GENESIS;
    const rows = entries.map((e) => {
      seq += 1;
      const row = {
        seq,
        at: e.at,
        actor: e.actor,
        event: e.event,
        subject: e.subject,
        data: canonical(e.data ?? {}),
      };
      const hash = entryHash(prev, row, true);
      const full = { ...row, prev_hash: prev, hash };
      prev = hash;
      return full;
    });
    await this.h.insertRows(trx, 'audit_log', rows);
  }

  async list(q: AuditListQuery): Promise<AuditEntry[]> {
    let query = this.h.db
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('seq', 'desc')
      .limit(q.limit ?? 100);
    if (q.beforeSeq !== undefined) query = query.where('seq', '<', q.beforeSeq);
    if (q.subject !== undefined) query = query.where('subject', '=', q.subject);
    const rows = await query.execute();
    return rows.map((r) => ({
      seq: r.seq,
      at: iso(r.at),
      actor: r.actor,
      event: r.event,
      subject: r.subject,
      data: fromJson<Record<string, unknown>>(r.data, {}),
      hash: r.hash,
    }));
  }

  /** Walks the chain from the start; reports the first entry that does not fit. */
  async verify(): Promise<AuditVerifyResult> {
    let prev = GENESIS;
    let expectSeq = 1;
    let checked = 0;
    for (;;) {
      const rows = await this.h.db
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '>=', expectSeq)
        .orderBy('seq', 'asc')
        .limit(2000)
        .execute();
      if (rows.length === 0) return { ok: true, checked, firstBadSeq: null, problem: null };
      for (const r of rows) {
        if (r.seq !== expectSeq) {
          return { ok: false, checked, firstBadSeq: expectSeq, problem: `entry ${expectSeq} is missing` };
        }
        if (r.prev_hash !== prev) {
          return {
            ok: false,
            checked,
            firstBadSeq: r.seq,
            problem: `entry ${r.seq} does not follow entry ${r.seq - 1}`,
          };
        }
        if (entryHash(prev, r) !== r.hash) {
          return {
            ok: false,
            checked,
            firstBadSeq: r.seq,
            problem: `entry ${r.seq} was altered after it was written`,
          };
        }
        prev = r.hash;
        expectSeq += 1;
        checked += 1;
      }
    }
  }
}
