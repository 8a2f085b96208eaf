import { hostname as osHostname } from 'node:os';
import path from 'node:path';
import type { CollectionReport, Collector, JobContext } from '../ports.js';
import { INVESTIGATION_CATALOG } from './catalog.js';
import type { CatalogItem } from './catalog.types.js';
import { CollectionAbortedError, describeError } from './errors.js';
import { primeSource } from './item-stream.js';
import { itemUnits } from './item-units.js';
import type { ItemUnit, UnitSettings } from './item-units.js';
import { PackageWriter } from './package-writer.js';
import { countByStatus, renderSummaryText } from './summary.js';
import type { CollectionLimits, PackageSummary, SummaryEntry } from './summary.js';

/** Options of {@link InvestigationCollector}; every one has a default. */
export interface InvestigationCollectorOptions {
  /** Root of every file read (default `/`); tests point it at a temp tree. */
  fsRoot?: string;
  /** Where procfs is mounted (default `/proc`). */
  procRoot?: string;
  /** Per command, then it is killed and marked failed with its output so far (default 30 000 ms). */
  commandTimeoutMs?: number;
  /** Per item; longer content is cut and marked truncated (default 32 MiB). */
  maxFileBytes?: number;
  /** Files in temp listings larger than this are listed without a hash (default 64 MiB). */
  hashMaxBytes?: number;
  /** Files one pattern item may collect (default 5000). */
  maxFilesPerItem?: number;
  /** Entries one listing may hold (default 100 000). */
  maxListingEntries?: number;
  /** Shown in the summary and the zip name (default `os.hostname()`). */
  hostname?: string;
  /** What to collect (default {@link INVESTIGATION_CATALOG}). */
  catalog?: readonly CatalogItem[];
  /** Clock (default `new Date()`). */
  now?: () => Date;
}

/** The report, with the summary's richer entries. */
export interface InvestigationReport extends CollectionReport {
  items: SummaryEntry[];
}

/**
 * Collects the investigation package: one zip under `workDir` with a folder per category, plus
 * `summary.json` and `summary.txt` listing every catalog item as collected, missing or failed.
 * Items run one at a time and stream into the zip, so memory stays bounded; a failing item never
 * stops the package. Abort deletes the partial zip and rejects with `CollectionAbortedError`.
 */
export class InvestigationCollector implements Collector {
  private readonly fsRoot: string;
  private readonly procRoot: string;
  private readonly hostname: string;
  private readonly catalog: readonly CatalogItem[];
  private readonly now: () => Date;
  readonly limits: CollectionLimits;

  constructor(opts: InvestigationCollectorOptions = {}) {
    this.fsRoot = path.resolve(opts.fsRoot ?? '/');
    this.procRoot = path.resolve(opts.procRoot ?? '/proc');
    this.hostname = opts.hostname ?? osHostname();
    this.catalog = opts.catalog ?? INVESTIGATION_CATALOG;
    this.now = opts.now ?? (() => new Date());
    this.limits = {
      maxFileBytes: opts.maxFileBytes ?? 32 * 1024 * 1024,
      commandTimeoutMs: opts.commandTimeoutMs ?? 30_000,
      hashMaxBytes: opts.hashMaxBytes ?? 64 * 1024 * 1024,
      maxFilesPerItem: opts.maxFilesPerItem ?? 5000,
      maxListingEntries: opts.maxListingEntries ?? 100_000,
    };
  }

  async collect(workDir: string, ctx: JobContext): Promise<InvestigationReport> {
    if (ctx.signal.aborted) throw new CollectionAbortedError({ cause: ctx.signal.reason });
    const started = this.now();
    const stamp = started.toISOString().replace(/[:.]/g, '-');
    const host = this.hostname.replace(/[^\w.-]/g, '_');
    const writer = await PackageWriter.create(path.join(workDir, `investigation-${host}-${stamp}.zip`));
    const settings: UnitSettings = {
      fsRoot: this.fsRoot,
      procRoot: this.procRoot,
      signal: ctx.signal,
      ...this.limits,
    };
    try {
      const entries: SummaryEntry[] = [];
      for (const [i, item] of this.catalog.entries()) {
        if (ctx.signal.aborted) throw new CollectionAbortedError({ cause: ctx.signal.reason });
        for await (const unit of itemUnits(item, settings)) {
          entries.push(await this.collectUnit(item, unit, writer, ctx.signal));
        }
        ctx.progress(i + 1, this.catalog.length, item.id);
      }
      const summary: PackageSummary = {
        format: 'quell-investigation/1',
        hostname: this.hostname,
        startedAt: started.toISOString(),
        finishedAt: this.now().toISOString(),
        fsRoot: this.fsRoot,
        procRoot: this.procRoot,
        limits: this.limits,
        counts: countByStatus(entries),
        items: entries,
      };
      await writer.add('summary.json', `${JSON.stringify(summary, null, 1)}\n`, this.now());
      await writer.add('summary.txt', renderSummaryText(summary), this.now());
      const digest = await writer.finish();
      return { zipPath: writer.zipPath, ...digest, items: entries };
    } catch (err) {
      await writer.discard();
      if (ctx.signal.aborted && !(err instanceof CollectionAbortedError)) {
        throw new CollectionAbortedError({ cause: err });
      }
      throw err;
    }
  }

  private async collectUnit(
    item: CatalogItem,
    unit: ItemUnit,
    writer: PackageWriter,
    signal: AbortSignal,
  ): Promise<SummaryEntry> {
    const base = { item: item.id, category: item.category, name: unit.name, source: unit.source };
    const absent = { bytes: 0, sha256: null, truncated: false, note: null };
    if ('missing' in unit) return { ...base, ...absent, status: 'missing', error: unit.missing };
    if ('failed' in unit) return { ...base, ...absent, status: 'failed', error: unit.failed };
    const primed = await primeSource(unit.open(), { maxBytes: this.limits.maxFileBytes, signal });
    if (signal.aborted) throw new CollectionAbortedError({ cause: signal.reason });
    if (primed.state !== 'ready') {
      return { ...base, ...absent, status: primed.state, error: describeError(primed.error) };
    }
    await writer.add(unit.name, primed.stream, this.now());
    const out = await primed.outcome;
    if (signal.aborted) throw new CollectionAbortedError({ cause: signal.reason });
    const truncated = out.truncated || unit.notes.truncated !== undefined;
    return {
      ...base,
      status: out.error === null ? 'collected' : 'failed',
      error: out.error === null ? null : describeError(out.error),
      bytes: out.bytes,
      sha256: out.sha256,
      truncated,
      note: unit.notes.truncated ?? (out.truncated ? `cut at ${this.limits.maxFileBytes} bytes` : null),
    };
  }
}
