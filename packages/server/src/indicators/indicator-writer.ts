import type { IndicatorInput } from '@quell/core';
import { scopeKey, toJson, type IndicatorRow, type Tx } from '@quell/store';
import type { ServiceContext } from '../services/context.js';

/** What one write did; `rev` is null when nothing changed (no revision was taken). */
export interface UpsertOutcome {
  imported: number;
  updated: number;
  unchanged: number;
  rev: number | null;
  /** Per input, in order: the row id and whether the row is new (or came back from a tombstone). */
  rows: Array<{ id: string; created: boolean }>;
}

/**
 * Takes at most one feed revision per transaction, on the first change: every row a transaction
 * changes carries the same revision, so an agent's delta never holds half of a change.
 */
export class RevisionTaker {
  private rev: number | null = null;
  constructor(
    private readonly ctx: ServiceContext,
    private readonly trx: Tx,
  ) {}

  async take(): Promise<number> {
    this.rev ??= await this.ctx.store.indicators.nextRev(this.trx);
    return this.rev;
  }

  get taken(): number | null {
    return this.rev;
  }
}

const key = (type: string, value: string, scope: string) => `${type}\u0000${value}\u0000${scope}`;

/** The columns an input sets on its row (identity and bookkeeping aside). */
function contentOf(
  i: IndicatorInput,
): Pick<
  IndicatorRow,
  'action' | 'title' | 'description' | 'severity' | 'generate_alert' | 'expires_at' | 'external_id' | 'source'
> {
  return {
    action: i.action,
    title: i.title,
    description: i.description ?? null,
    severity: i.severity,
    generate_alert: i.generateAlert ? 1 : 0,
    expires_at: i.expiresAt ? Date.parse(i.expiresAt) : null,
    external_id: i.externalId ?? null,
    source: i.source,
  };
}

function sameContent(r: IndicatorRow, c: ReturnType<typeof contentOf>): boolean {
  return (Object.keys(c) as Array<keyof typeof c>).every((k) => r[k] === c[k]);
}

/**
 * Writes indicators inside the caller's transaction, keyed by type, value and scope: a new key
 * is inserted, a tombstone with that key comes back to life (same id, so agents replace what they
 * hold), a live row is updated, and a row that would not change is left alone (a TAXII feed sends
 * the same indicators again and again; they must not wake every agent).
 */
export async function upsertIndicators(
  ctx: ServiceContext,
  trx: Tx,
  revs: RevisionTaker,
  inputs: readonly IndicatorInput[],
  actor: string,
): Promise<UpsertOutcome> {
  const now = ctx.clock.now();
  const existing = new Map<string, IndicatorRow>();
  for (const r of await ctx.store.indicators.byValues(
    trx,
    inputs.map((i) => i.value),
  ))
    existing.set(key(r.type, r.value, r.scope_key), r);
  const out: UpsertOutcome = { imported: 0, updated: 0, unchanged: 0, rev: null, rows: [] };
  const inserts: IndicatorRow[] = [];
  for (const i of inputs) {
    const scope = scopeKey(i.deviceGroupIds);
    const k = key(i.type, i.value, scope);
    const content = contentOf(i);
    const row = existing.get(k);
    if (row && row.deleted_at === null && sameContent(row, content)) {
      out.unchanged++;
      out.rows.push({ id: row.id, created: false });
      continue;
    }
    const rev = await revs.take();
    if (row) {
      const revived = row.deleted_at !== null;
      const values: Partial<IndicatorRow> = {
        ...content,
        updated_at: now,
        rev,
        deleted_at: null,
        expiry_announced: 0,
        // Live again: no longer replaced by the indicator a scope change made of it.
        replaced_by: null,
        // Back from a tombstone it is a new indicator as far as precedence (newest wins) and
        // people are concerned.
        ...(revived && { created_at: now, created_by: actor }),
      };
      await ctx.store.indicators.update(trx, row.id, values);
      existing.set(k, { ...row, ...values });
      if (revived) out.imported++;
      else out.updated++;
      out.rows.push({ id: row.id, created: revived });
      continue;
    }
    const fresh: IndicatorRow = {
      id: ctx.ids.next('ioc'),
      type: i.type,
      value: i.value,
      ...content,
      device_group_ids: toJson(i.deviceGroupIds),
      scope_key: scope,
      created_by: actor,
      created_at: now,
      updated_at: now,
      rev,
      deleted_at: null,
      expiry_announced: 0,
      replaced_by: null,
    };
    inserts.push(fresh);
    existing.set(k, fresh);
    out.imported++;
    out.rows.push({ id: fresh.id, created: true });
  }
  await ctx.store.indicators.insertMany(trx, inserts);
  out.rev = revs.taken;
  return out;
}

/** Turns live rows into tombstones with the transaction's revision; ids already gone are skipped. */
export async function removeIndicators(
  ctx: ServiceContext,
  trx: Tx,
  revs: RevisionTaker,
  rows: readonly IndicatorRow[],
): Promise<number> {
  const now = ctx.clock.now();
  let removed = 0;
  for (const r of rows) {
    if (r.deleted_at !== null) continue;
    const rev = await revs.take();
    await ctx.store.indicators.update(trx, r.id, { deleted_at: now, updated_at: now, rev });
    removed++;
  }
  return removed;
}
