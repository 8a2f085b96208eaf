import type {
  ImportRejection,
  IndicatorExportQuery,
  IndicatorImport,
  IndicatorImportResult,
} from '@quell/contracts';
import { InputError, type IndicatorInput, type Principal } from '@quell/core';
import type { IndicatorRow, Tx } from '@quell/store';
import { actorName, audit, type ServiceContext } from '../services/context.js';
import { exportIndicatorCsv } from './formats/csv-export.js';
import { importIndicatorCsv } from './formats/csv-import.js';
import type { IndicatorImportOptions } from './formats/indicator-import.js';
import { exportStixBundle } from './formats/stix-export.js';
import type { StixBundle } from './formats/stix-objects.js';
import { importStixBundle, importStixObjects } from './formats/stix-import.js';
import { toExportIndicator } from './indicator-view.js';
import { RevisionTaker, removeIndicators, upsertIndicators } from './indicator-writer.js';

/** Most indicators one export writes (CSV or STIX); narrow the filters for more. */
export const EXPORT_MAX_INDICATORS = 100_000;

/** What the parsers made of a file, before anything is written. */
export interface ParsedImport {
  accepted: IndicatorInput[];
  rejected: ImportRejection[];
  /** External (STIX) ids the source revoked. */
  revokedIds: string[];
  ignored: number;
}

/** What an import landed (or, in a dry run, would land). */
export type LandedImport = IndicatorImportResult & { unchanged: number };

/** Group references in files are ids or names; both resolve to ids with one query up front. */
export async function groupResolver(ctx: ServiceContext): Promise<(ref: string) => string | null> {
  const groups = await ctx.store.devices.groups();
  const byId = new Map(groups.map((g) => [g.id, g.id]));
  const byName = new Map(groups.map((g) => [g.name.toLowerCase(), g.id]));
  return (ref) => byId.get(ref) ?? byName.get(ref.toLowerCase()) ?? null;
}

export async function parseImport(ctx: ServiceContext, body: IndicatorImport): Promise<ParsedImport> {
  const options: IndicatorImportOptions = {
    now: ctx.clock.now(),
    defaultAction: body.defaultAction,
    defaultSeverity: body.defaultSeverity,
    resolveDeviceGroup: await groupResolver(ctx),
  };
  if (body.format === 'csv') {
    if (body.csv === undefined || body.bundle !== undefined)
      throw new InputError('A CSV import sends the file as text in `csv` (and no `bundle`).', {
        field: 'csv',
      });
    const r = importIndicatorCsv(body.csv, options);
    return { accepted: r.accepted, rejected: r.rejected, revokedIds: [], ignored: 0 };
  }
  if (body.bundle === undefined || body.csv !== undefined)
    throw new InputError('A STIX import sends the bundle as the object `bundle` (and no `csv`).', {
      field: 'bundle',
    });
  const r = importStixBundle(body.bundle, options);
  return { accepted: r.accepted, rejected: r.rejected, revokedIds: r.revokedIds, ignored: r.ignored };
}

export { importStixObjects };

/**
 * Lands parsed indicators in ONE transaction (all valid rows, or none when something fails),
 * withdraws those the source revoked, and writes one audit entry with the counts. A dry run
 * counts the same way inside a transaction that is then rolled back, so its numbers are exact.
 */
export async function landImport(
  ctx: ServiceContext,
  principal: Principal | string,
  parsed: ParsedImport,
  meta: { event: string; subject: string; dryRun: boolean; extra?: Record<string, unknown> },
): Promise<LandedImport> {
  const actor = typeof principal === 'string' ? principal : actorName(principal);
  let result: LandedImport | null = null;
  const DRY = Symbol('dry run');
  try {
    await ctx.store.transaction(async (trx: Tx) => {
      const revs = new RevisionTaker(ctx, trx);
      const written = await upsertIndicators(ctx, trx, revs, parsed.accepted, actor);
      const revoked: IndicatorRow[] = parsed.revokedIds.length
        ? await ctx.store.indicators.byExternalIds(trx, parsed.revokedIds)
        : [];
      const removed = await removeIndicators(ctx, trx, revs, revoked);
      const rev = revs.taken ?? (await ctx.store.indicators.revision(trx)).rev;
      result = {
        dryRun: meta.dryRun,
        imported: written.imported,
        updated: written.updated,
        unchanged: written.unchanged,
        removed,
        rejected: parsed.rejected,
        ignored: parsed.ignored,
        rev,
      };
      if (meta.dryRun) throw DRY;
      await audit(ctx, trx, actor, meta.event, meta.subject, {
        imported: written.imported,
        updated: written.updated,
        unchanged: written.unchanged,
        removed,
        rejected: parsed.rejected.length,
        rev: revs.taken,
        ...meta.extra,
      });
    });
  } catch (e) {
    if (e !== DRY) throw e;
  }
  return result as unknown as LandedImport;
}

/** Every live indicator the filters select, for export; at most {@link EXPORT_MAX_INDICATORS}. */
export async function exportRows(ctx: ServiceContext, q: IndicatorExportQuery): Promise<IndicatorRow[]> {
  const out: IndicatorRow[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.store.indicators.list(
      q,
      { sort: 'createdAt', order: 'asc', limit: 1000, cursor },
      ctx.clock.now(),
    );
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && out.length < EXPORT_MAX_INDICATORS);
  return out.slice(0, EXPORT_MAX_INDICATORS);
}

export function rowsToCsv(rows: readonly IndicatorRow[]): string {
  return exportIndicatorCsv(rows.map(toExportIndicator));
}

export function rowsToStix(rows: readonly IndicatorRow[]): StixBundle {
  return exportStixBundle(rows.map(toExportIndicator));
}
