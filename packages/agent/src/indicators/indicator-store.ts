import type { IndicatorAction, IndicatorType } from '@quell/core';
import { INDICATOR_TYPES } from '@quell/core';
import type { Logger } from '../log.js';
import { IndicatorVersionError, InvalidIndicatorError } from './indicators.errors.js';
import type {
  IndicatorApplyResult,
  IndicatorDelta,
  IndicatorMatch,
  IndicatorSnapshot,
  SyncIndicator,
} from './indicator-sync.types.js';
import { IndicatorTables, type TableSizes } from './indicator-tables.js';
import { canonicalUrl, checkIndicator, hostKey, isHashType, type HashType } from './indicator-values.js';
import type { IpFamily } from './ip-ranges.js';
import type { IpTier } from './ip-index.js';

/** What changed, for enforcement and persistence. */
export type IndicatorChange =
  | { kind: 'snapshot' | 'delta' | 'restored'; version: number; result: IndicatorApplyResult }
  | { kind: 'expired'; version: number | null; removed: number };

export interface IndicatorStoreOptions {
  /** Clock (epoch ms) for expiry. Default `Date.now`. */
  now?: () => number;
  /** Where a failing change listener is reported. Default: nowhere. */
  log?: Logger;
}

/** Indicators held, per type and in total. */
export interface IndicatorCounts {
  total: number;
  byType: Record<IndicatorType, number>;
  /** Domain and URL indicators that block: the DNS filter runs while this is above zero. */
  blockingNames: number;
  /** SHA-256, SHA-1 and MD5 indicators that block: the exec-control helper runs while this is above zero. */
  blockingHashes: number;
  /** Hash indicators that block and remediate: the remediation watcher runs while this is above zero. */
  remediatingHashes: number;
}

/**
 * The agent's indicators (issue 4): applies the server's snapshots and deltas atomically and
 * answers lookups in constant time for hashes, O(labels) for names.
 *
 * Atomic means: a snapshot is built into fresh tables and swapped in by one assignment; a delta
 * is checked in full (version, every indicator) before the first change, and nothing after the
 * check can fail. A delta that does not start at {@link version} throws
 * {@link IndicatorVersionError}: the caller requests a snapshot.
 *
 * Expired indicators stop matching at `expiresAt` (lookups step over them) and are dropped by
 * {@link purgeExpired}, which enforcement calls at {@link nextExpiry}.
 */
export class IndicatorStore {
  private tables = new IndicatorTables();
  private held: number | null = null;
  private readonly listeners = new Set<(c: IndicatorChange) => void>();
  private readonly now: () => number;

  constructor(private readonly opts: IndicatorStoreOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  /** Version held, or null before the first snapshot. */
  get version(): number | null {
    return this.held;
  }

  get size(): number {
    return this.tables.size;
  }

  /** Replaces everything with `snapshot`. Throws {@link InvalidIndicatorError} and changes nothing on a bad entry. */
  applySnapshot(snapshot: IndicatorSnapshot): IndicatorApplyResult {
    const sizes: TableSizes = { total: snapshot.indicators.length };
    for (const i of snapshot.indicators) if (isHashType(i?.type)) sizes[i.type] = (sizes[i.type] ?? 0) + 1;
    const builder = this.beginSnapshot(snapshot.version, sizes);
    builder.add(snapshot.indicators);
    return builder.commit();
  }

  /**
   * Starts a snapshot delivered in chunks; nothing changes until {@link IndicatorSnapshotBuilder.commit}.
   * `sizes` (expected counts) avoids regrowing tables on a million indicators.
   */
  beginSnapshot(version: number, sizes: TableSizes = {}): IndicatorSnapshotBuilder {
    checkVersion(version, 'version');
    return new IndicatorSnapshotBuilder(new IndicatorTables(sizes), version, this.now(), (tables, result) => {
      this.tables = tables;
      this.held = version;
      this.emit({ kind: 'snapshot', version, result });
    });
  }

  /** Applies `delta` when it starts at {@link version}; see the class comment. */
  applyDelta(delta: IndicatorDelta): IndicatorApplyResult {
    if (this.held === null || delta.fromVersion !== this.held)
      throw new IndicatorVersionError(this.held, delta.fromVersion);
    checkVersion(delta.toVersion, 'toVersion');
    if (delta.toVersion <= delta.fromVersion)
      throw new InvalidIndicatorError(
        `indicator delta refused: toVersion ${delta.toVersion} is not after fromVersion ${delta.fromVersion}`,
        { fromVersion: delta.fromVersion, toVersion: delta.toVersion },
      );
    if (!Array.isArray(delta.removals) || delta.removals.some((id) => typeof id !== 'string'))
      throw new InvalidIndicatorError('indicator delta refused: removals must be a list of ids', {});
    const checked = delta.upserts.map(checkIndicator);
    const t = this.tables;
    const now = this.now();
    const result: IndicatorApplyResult = {
      version: delta.toVersion,
      total: 0,
      added: 0,
      replaced: 0,
      removed: 0,
      skippedExpired: 0,
    };
    for (const id of delta.removals) {
      const r = t.records.findId(id);
      if (r < 0) continue;
      t.remove(r);
      result.removed++;
    }
    for (const c of checked) {
      const old = t.records.findId(c.src.id);
      if (old >= 0) t.remove(old);
      if (c.expiresAt !== 0 && c.expiresAt <= now) {
        result.skippedExpired++;
        if (old >= 0) result.removed++;
        continue;
      }
      t.insert(c);
      if (old >= 0) result.replaced++;
      else result.added++;
    }
    result.total = t.size;
    this.held = delta.toVersion;
    this.emit({ kind: 'delta', version: delta.toVersion, result });
    return result;
  }

  /**
   * Installs tables read from disk (see `indicator-file.ts`) as version `version`. For the
   * persistence module only: the tables were filled from a file this agent wrote and checked.
   */
  restore(version: number, tables: IndicatorTables): IndicatorApplyResult {
    this.tables = tables;
    this.held = version;
    const result = {
      version,
      total: tables.size,
      added: tables.size,
      replaced: 0,
      removed: 0,
      skippedExpired: 0,
    };
    this.emit({ kind: 'restored', version, result });
    return result;
  }

  /** The winning indicator for a digest (hex in any case, or raw bytes), or null. O(1). */
  lookupHash(type: HashType, digest: string | Uint8Array): IndicatorMatch | null {
    const now = this.now();
    const r =
      typeof digest === 'string'
        ? this.tables.hashWinnerHex(type, digest, now)
        : digest.length === this.tables.hashes[type].width
          ? this.tables.hashWinner(type, digest, 0, now)
          : -1;
    return r < 0 ? null : this.tables.match(r);
  }

  /** Just the winning action for raw digest bytes at `off`: no allocation, for hot paths. */
  hashAction(type: HashType, digest: Uint8Array, off = 0): IndicatorAction | null {
    if (digest.length - off < this.tables.hashes[type].width) return null;
    const r = this.tables.hashWinner(type, digest, off, this.now());
    return r < 0 ? null : this.tables.actionOf(r);
  }

  /** The winning domain indicator covering host `name` (the name or a parent), or null. */
  lookupDomain(name: string): IndicatorMatch | null {
    return this.matchOf(this.tables.names.lookupDomain(hostKey(name), this.now()));
  }

  /** The winning indicator for a URL: the URL, the URL without its query, domains covering its host. */
  lookupUrl(url: string): IndicatorMatch | null {
    const c = canonicalUrl(url);
    return c ? this.matchOf(this.tables.names.lookupUrl(c.url, c.host, this.now())) : null;
  }

  /** What decides a DNS query for `name`: domains covering it and URL indicators on that exact host. */
  lookupDnsName(name: string): IndicatorMatch | null {
    return this.matchOf(this.tables.names.lookupDnsName(hostKey(name), this.now()));
  }

  /** The winning IP indicator (address or CIDR) containing `address`, or null. */
  lookupIp(address: string): IndicatorMatch | null {
    return this.matchOf(this.tables.ips.lookup(address, this.now()));
  }

  /** The indicator with id `id`, or null. */
  get(id: string): IndicatorMatch | null {
    return this.matchOf(this.tables.records.findId(id));
  }

  /** Drops indicators past their expiry; returns how many. */
  purgeExpired(): number {
    const expired = this.tables.expiredAt(this.now());
    for (const r of expired) this.tables.remove(r);
    if (expired.length) this.emit({ kind: 'expired', version: this.held, removed: expired.length });
    return expired.length;
  }

  /** Earliest expiry among held indicators (epoch ms), or null. */
  nextExpiry(): number | null {
    return this.tables.nextExpiry();
  }

  counts(): IndicatorCounts {
    const byType = Object.fromEntries(INDICATOR_TYPES.map((t) => [t, this.tables.count(t)])) as Record<
      IndicatorType,
      number
    >;
    const blocking = (t: IndicatorType) =>
      this.tables.count(t, 'block') + this.tables.count(t, 'block_and_remediate');
    return {
      total: this.tables.size,
      byType,
      blockingNames: blocking('domain') + blocking('url'),
      blockingHashes: blocking('sha256') + blocking('sha1') + blocking('md5'),
      remediatingHashes: (['sha256', 'sha1', 'md5'] as const).reduce(
        (n, t) => n + this.tables.count(t, 'block_and_remediate'),
        0,
      ),
    };
  }

  /** Changes whenever a tier's addresses change (see {@link ipTierMembers}). */
  get ipRevision(): number {
    return this.tables.ips.revision;
  }

  /** Canonical CIDRs in an enforcement tier (nested ones included). */
  ipTierMembers(tier: IpTier, family: IpFamily): string[] {
    return [...this.tables.ips.members(tier, family)];
  }

  /** Blocked SHA-256 digests, 32 bytes each, unsorted (see `sha256-export.ts`). */
  blockedSha256(): Uint8Array {
    return this.tables.blockedSha256(this.now());
  }

  /** The same set as entries of the live SHA-256 table, valid until the next change (see `writeSha256ExportOf`). */
  blockedSha256Entries(): { keys: Uint8Array; entries: Int32Array } {
    return this.tables.blockedSha256Entries(this.now());
  }

  /** The current tables, for the persistence module (read-only use). */
  currentTables(): IndicatorTables {
    return this.tables;
  }

  /** Bytes held by the store's tables. */
  memoryBytes(): number {
    return this.tables.memoryBytes();
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: (c: IndicatorChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private matchOf(r: number): IndicatorMatch | null {
    return r < 0 ? null : this.tables.match(r);
  }

  private emit(change: IndicatorChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        // The change is already in force; a listener's failure must not look like the apply failed.
        this.opts.log?.warn('indicator change listener failed', { error: (err as Error).message });
      }
    }
  }
}

/**
 * A snapshot arriving in chunks, filling fresh tables while the store keeps serving the old ones.
 * An invalid chunk throws and leaves the builder unusable; the store never saw any of it.
 */
export class IndicatorSnapshotBuilder {
  private done = false;
  private skippedExpired = 0;
  private seen = 0;

  constructor(
    private readonly tables: IndicatorTables,
    private readonly version: number,
    private readonly now: number,
    private readonly install: (tables: IndicatorTables, result: IndicatorApplyResult) => void,
  ) {}

  add(indicators: readonly SyncIndicator[]): void {
    if (this.done)
      throw new InvalidIndicatorError('this indicator snapshot was already committed or failed', {});
    try {
      for (const x of indicators) {
        const c = checkIndicator(x, this.seen++);
        const old = this.tables.records.findId(c.src.id);
        if (old >= 0) this.tables.remove(old);
        if (c.expiresAt !== 0 && c.expiresAt <= this.now) this.skippedExpired++;
        else this.tables.insert(c);
      }
    } catch (err) {
      this.done = true;
      throw err;
    }
  }

  commit(): IndicatorApplyResult {
    if (this.done)
      throw new InvalidIndicatorError('this indicator snapshot was already committed or failed', {});
    this.done = true;
    const total = this.tables.size;
    const result = {
      version: this.version,
      total,
      added: total,
      replaced: 0,
      removed: 0,
      skippedExpired: this.skippedExpired,
    };
    this.install(this.tables, result);
    return result;
  }

  /** Drops what was built; the store is unchanged. */
  abort(): void {
    this.done = true;
  }
}

function checkVersion(v: number, what: string): void {
  if (!Number.isSafeInteger(v) || v < 0)
    throw new InvalidIndicatorError(`indicator ${what} must be a non-negative integer, not ${String(v)}`, {
      [what]: v,
    });
}
