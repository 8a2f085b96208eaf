import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';
import { IndicatorFileError } from './indicators.errors.js';
import { readIndicatorFile, writeIndicatorFile } from './indicator-file.js';
import type { IndicatorStore } from './indicator-store.js';
import type { IndicatorApplyResult } from './indicator-sync.types.js';
import type { IndicatorTables } from './indicator-tables.js';
import { writeSha256ExportOf } from './sha256-export.js';

/** File names under the indicator directory. */
export const INDICATOR_FILES = {
  indicators: 'indicators.bin',
  sha256Export: 'blocked-sha256.bin',
} as const;

export interface IndicatorPersistenceOptions {
  store: IndicatorStore;
  /** Directory for the files, e.g. `<stateDir>/indicators`. */
  dir: string;
  /**
   * Least time between two full writes of the indicator file. Default 30 000 ms: with a million
   * indicators one write encodes ~80 MB, and an older file is still correct (the agent resumes
   * sync from its version and the server sends what changed since).
   */
  minSaveIntervalMs?: number;
  /** Delay before rewriting the blocked-SHA-256 export after a change. Default 200 ms. */
  exportDelayMs?: number;
  log?: Logger;
  /** Clock (epoch ms). Default `Date.now`. */
  now?: () => number;
}

/**
 * Keeps the store on disk: loads it at start, writes the indicator file after changes (at most
 * every `minSaveIntervalMs`) and the blocked-SHA-256 export for the exec-control helper soon
 * after every change to SHA-256 indicators, since that file is how hash blocks take effect.
 * Writes never overlap and never throw; failures are logged and retried on the next change.
 */
export class IndicatorPersistence {
  private readonly minSaveIntervalMs: number;
  private readonly exportDelayMs: number;
  private readonly now: () => number;
  private saveTimer: NodeJS.Timeout | null = null;
  private exportTimer: NodeJS.Timeout | null = null;
  private lastSaveAt = 0;
  private dirty = false;
  /** Tables and revision last exported, to skip exports nothing changed. */
  private exported: { tables: IndicatorTables; revision: number } | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly opts: IndicatorPersistenceOptions) {
    this.minSaveIntervalMs = opts.minSaveIntervalMs ?? 30_000;
    this.exportDelayMs = opts.exportDelayMs ?? 200;
    this.now = opts.now ?? Date.now;
  }

  get indicatorPath(): string {
    return join(this.opts.dir, INDICATOR_FILES.indicators);
  }

  get exportPath(): string {
    return join(this.opts.dir, INDICATOR_FILES.sha256Export);
  }

  /**
   * Loads the file into the store. A corrupt file is moved aside (`.corrupt`) and logged, and
   * null is returned, as when there is no file: the agent then starts empty and asks for a
   * snapshot.
   */
  async load(): Promise<IndicatorApplyResult | null> {
    let read;
    try {
      read = await readIndicatorFile(this.indicatorPath, this.now());
    } catch (err) {
      if (!(err instanceof IndicatorFileError)) throw err;
      this.opts.log?.error('indicator file unusable; moved aside, a snapshot will replace it', {
        error: errorMessage(err),
      });
      await rename(this.indicatorPath, `${this.indicatorPath}.corrupt`).catch(() => undefined);
      return null;
    }
    if (read === null) return null;
    const result = this.opts.store.restore(read.version, read.tables);
    this.exported = null;
    this.scheduleExport();
    return result;
  }

  /** Starts following store changes (idempotent). */
  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.opts.store.onChange((c) => {
      // A restore came from this very file; everything else makes it stale.
      if (c.kind !== 'restored') this.markDirty();
      this.scheduleExport();
    });
  }

  /** Writes whatever is pending now, and waits for writes in flight. */
  async flush(): Promise<void> {
    this.clearTimers();
    if (this.dirty) await this.enqueue(() => this.save());
    await this.enqueue(() => this.export());
  }

  /** Stops following changes and flushes. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.flush();
  }

  private markDirty(): void {
    this.dirty = true;
    if (this.saveTimer) return;
    const wait = Math.max(0, this.lastSaveAt + this.minSaveIntervalMs - this.now());
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void this.enqueue(() => this.save());
    }, wait);
    this.saveTimer.unref();
  }

  private scheduleExport(delayMs = this.exportDelayMs): void {
    if (this.exportTimer) return;
    this.exportTimer = setTimeout(() => {
      this.exportTimer = null;
      void this.enqueue(() => this.export());
    }, delayMs);
    this.exportTimer.unref();
  }

  private async save(): Promise<void> {
    const store = this.opts.store;
    if (!this.dirty || store.version === null) return;
    this.dirty = false;
    this.lastSaveAt = this.now();
    try {
      await writeIndicatorFile(this.indicatorPath, store.currentTables(), store.version);
    } catch (err) {
      this.dirty = true;
      this.opts.log?.error('cannot write the indicator file; will retry', { error: errorMessage(err) });
    }
  }

  private async export(): Promise<void> {
    const store = this.opts.store;
    const tables = store.currentTables();
    if (store.version === null) return;
    if (this.exported?.tables === tables && this.exported.revision === tables.sha256Revision) return;
    const revision = tables.sha256Revision;
    try {
      const { keys, entries } = store.blockedSha256Entries();
      await writeSha256ExportOf(this.exportPath, keys, entries, store.version);
      this.exported = { tables, revision };
    } catch (err) {
      this.opts.log?.error('cannot write the blocked SHA-256 export; retrying in 5 s', {
        error: errorMessage(err),
      });
      // Hash blocks take effect through this file, so it is retried on its own, not only on the next change.
      this.scheduleExport(5000);
    }
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const next = this.queue.then(fn);
    this.queue = next;
    return next;
  }

  private clearTimers(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    if (this.exportTimer) clearTimeout(this.exportTimer);
    this.saveTimer = this.exportTimer = null;
  }
}
