import {
  INDICATOR_ACTIONS,
  INDICATOR_TYPES,
  SEVERITIES,
  type IndicatorAction,
  type IndicatorType,
} from '@quell/core';
import { FixedKeyTable } from './fixed-key-table.js';
import { RECORD_FLAGS, IndicatorRecords, type RecordFields } from './indicator-records.js';
import type { IndicatorMatch } from './indicator-sync.types.js';
import {
  bytesToHex,
  canonicalUrl,
  HASH_BYTE_LENGTH,
  HASH_TYPES,
  hexInto,
  isHashType,
  type CheckedIndicator,
  type HashType,
} from './indicator-values.js';
import { IpIndex, ipTierOf } from './ip-index.js';
import { NameIndex } from './name-index.js';
import { PrecedenceChains } from './precedence-chains.js';

const TYPE_INDEX = Object.fromEntries(INDICATOR_TYPES.map((t, i) => [t, i])) as Record<IndicatorType, number>;
const ACTION_INDEX = Object.fromEntries(INDICATOR_ACTIONS.map((a, i) => [a, i])) as Record<
  IndicatorAction,
  number
>;
const SEVERITY_INDEX = Object.fromEntries(SEVERITIES.map((s, i) => [s, i])) as Record<string, number>;
const BLOCKING = new Set<number>([ACTION_INDEX.block, ACTION_INDEX.block_and_remediate]);

/** An id given as bytes of a buffer (see `IndicatorRecords.add`). */
export type IdBytes = { buf: Uint8Array; off: number; len: number };

/** Capacity hints for a table set about to be filled (a snapshot says how big it is). */
export type TableSizes = Partial<Record<HashType, number>> & { total?: number };

/**
 * One complete set of indicators with every index: records, one digest table per hash type,
 * domains/URLs, addresses. The store keeps one and builds a fresh one for a snapshot, so a
 * snapshot replaces the old set in one assignment.
 *
 * Inserts take checked indicators ({@link CheckedIndicator}) and cannot fail for a value that
 * passed the check, which is what makes a validated delta atomic.
 */
export class IndicatorTables {
  readonly records: IndicatorRecords;
  readonly chains: PrecedenceChains;
  readonly hashes: Record<HashType, FixedKeyTable>;
  readonly names: NameIndex;
  readonly ips: IpIndex;
  /** Values of network indicators by record (hash values live in their digest table). */
  private readonly netValues = new Map<number, string>();
  /** Live records per type and action: `counts[type * 4 + action]`. */
  readonly counts = new Int32Array(INDICATOR_TYPES.length * INDICATOR_ACTIONS.length);
  /** Live records with an expiry. */
  expiring = 0;
  /** Bumped whenever a SHA-256 indicator comes or goes, so its export is rewritten only then. */
  sha256Revision = 0;
  private readonly scratch = new Uint8Array(32);

  constructor(sizes: TableSizes = {}) {
    this.records = new IndicatorRecords(sizes.total);
    this.chains = new PrecedenceChains(this.records);
    this.hashes = {
      sha256: new FixedKeyTable(32, sizes.sha256),
      sha1: new FixedKeyTable(20, sizes.sha1),
      md5: new FixedKeyTable(16, sizes.md5),
    };
    this.names = new NameIndex(this.chains);
    this.ips = new IpIndex(this.chains);
  }

  get size(): number {
    return this.records.size;
  }

  insert(c: CheckedIndicator): number {
    const src = c.src;
    const fields: RecordFields = {
      id: src.id,
      type: TYPE_INDEX[src.type],
      action: ACTION_INDEX[src.action],
      severity: SEVERITY_INDEX[src.severity]!,
      groupScoped: src.groupScoped,
      generateAlert: src.generateAlert,
      title: c.title,
      expiresAt: c.expiresAt,
    };
    const type = src.type;
    if (!isHashType(type)) return this.insertNetwork(fields, c.value);
    hexInto(c.value, this.scratch, 0, HASH_BYTE_LENGTH[type]);
    return this.insertHash(fields, this.scratch, 0);
  }

  /**
   * Inserts a hash indicator whose digest is at `key[off…]` (`fields.type` says which hash).
   * Trusted input only: the persisted file, or {@link insert} after checking.
   */
  insertHash(fields: RecordFields, key: Uint8Array, off: number, idBytes?: IdBytes): number {
    const table = this.hashes[INDICATOR_TYPES[fields.type] as HashType];
    const r = this.records.add(fields, idBytes);
    const e = table.upsert(key, off);
    table.setPayload(e, this.chains.link(table.getPayload(e), r));
    this.records.valueRef[r] = e;
    if (table === this.hashes.sha256) this.sha256Revision++;
    this.counted(fields, 1);
    return r;
  }

  /** Inserts a network indicator with a canonical value. Trusted input only, as {@link insertHash}. */
  insertNetwork(fields: RecordFields, value: string, idBytes?: IdBytes): number {
    const r = this.records.add(fields, idBytes);
    this.netValues.set(r, value);
    this.indexNetwork(INDICATOR_TYPES[fields.type]!, value, r, true);
    this.counted(fields, 1);
    return r;
  }

  private counted(f: { type: number; action: number; expiresAt: number }, by: 1 | -1): void {
    this.counts[f.type * 4 + f.action]! += by;
    if (f.expiresAt > 0) this.expiring += by;
  }

  remove(r: number): void {
    const type = INDICATOR_TYPES[this.records.type[r]!]!;
    if (isHashType(type)) {
      const table = this.hashes[type];
      const e = this.records.valueRef[r]!;
      const head = this.chains.unlink(table.getPayload(e), r);
      if (head < 0) table.delete(e);
      else table.setPayload(e, head);
      if (type === 'sha256') this.sha256Revision++;
    } else {
      this.indexNetwork(type, this.netValues.get(r)!, r, false);
      this.netValues.delete(r);
    }
    const rec = this.records;
    this.counted({ type: rec.type[r]!, action: rec.action[r]!, expiresAt: rec.expiresAt[r]! }, -1);
    rec.remove(r);
  }

  /** Winning record for a digest at `key[off…]`, or -1. O(1). */
  hashWinner(type: HashType, key: Uint8Array, off: number, now: number): number {
    const table = this.hashes[type];
    const e = table.find(key, off);
    return e < 0 ? -1 : this.chains.winner(table.getPayload(e), now);
  }

  /** Same from hex (any case); -1 for a malformed digest. */
  hashWinnerHex(type: HashType, hex: string, now: number): number {
    if (!hexInto(hex, this.scratch, 0, HASH_BYTE_LENGTH[type])) return -1;
    return this.hashWinner(type, this.scratch, 0, now);
  }

  actionOf(r: number): IndicatorAction {
    return INDICATOR_ACTIONS[this.records.action[r]!]!;
  }

  valueOf(r: number): string {
    const type = INDICATOR_TYPES[this.records.type[r]!]!;
    if (!isHashType(type)) return this.netValues.get(r)!;
    const table = this.hashes[type];
    return bytesToHex(table.keyBytes, this.records.valueRef[r]! * table.width, table.width);
  }

  match(r: number): IndicatorMatch {
    const rec = this.records;
    const exp = rec.expiresAt[r]!;
    return {
      id: rec.idOf(r),
      type: INDICATOR_TYPES[rec.type[r]!]!,
      value: this.valueOf(r),
      action: this.actionOf(r),
      groupScoped: (rec.flags[r]! & RECORD_FLAGS.groupScoped) !== 0,
      generateAlert: (rec.flags[r]! & RECORD_FLAGS.generateAlert) !== 0,
      severity: SEVERITIES[rec.severity[r]!]!,
      title: rec.titleOf(r),
      expiresAt: exp === 0 ? null : exp,
    };
  }

  count(type: IndicatorType, action?: IndicatorAction): number {
    const t = TYPE_INDEX[type] * 4;
    if (action !== undefined) return this.counts[t + ACTION_INDEX[action]]!;
    return this.counts[t]! + this.counts[t + 1]! + this.counts[t + 2]! + this.counts[t + 3]!;
  }

  /** Records whose `expiresAt` is at or before `now`. */
  expiredAt(now: number): number[] {
    const out: number[] = [];
    if (this.expiring === 0) return out;
    const exp = this.records.expiresAt;
    this.records.forEach((r) => {
      if (exp[r]! > 0 && exp[r]! <= now) out.push(r);
    });
    return out;
  }

  /** Earliest expiry among live records (epoch ms), or null. */
  nextExpiry(): number | null {
    if (this.expiring === 0) return null;
    let min = Infinity;
    const exp = this.records.expiresAt;
    this.records.forEach((r) => {
      if (exp[r]! > 0 && exp[r]! < min) min = exp[r]!;
    });
    return min === Infinity ? null : min;
  }

  /**
   * The SHA-256 digests whose winning indicator blocks (block, block_and_remediate), 32 bytes
   * each, unsorted.
   */
  blockedSha256(now: number): Uint8Array {
    const { keys, entries } = this.blockedSha256Entries(now);
    const out = new Uint8Array(entries.length * 32);
    for (let i = 0; i < entries.length; i++)
      out.set(keys.subarray(entries[i]! * 32, entries[i]! * 32 + 32), i * 32);
    return out;
  }

  /**
   * The same set without copying it: entries of the SHA-256 table, digest `e` at
   * `keys[e * 32 …]`. Valid until the next change to the tables.
   */
  blockedSha256Entries(now: number): { keys: Uint8Array; entries: Int32Array } {
    const table = this.hashes.sha256;
    const entries = new Int32Array(table.size);
    let n = 0;
    table.forEach((e) => {
      const r = this.chains.winner(table.getPayload(e), now);
      if (r >= 0 && BLOCKING.has(this.records.action[r]!)) entries[n++] = e;
    });
    return { keys: table.keyBytes, entries: entries.subarray(0, n) };
  }

  /** Bytes held by typed arrays (strings of network values and titles estimated). */
  memoryBytes(): number {
    let n = this.records.memoryBytes();
    for (const t of HASH_TYPES) n += this.hashes[t].memoryBytes();
    for (const v of this.netValues.values()) n += v.length + 48;
    return n;
  }

  private indexNetwork(type: IndicatorType, value: string, r: number, add: boolean): void {
    if (type === 'domain') {
      if (add) this.names.addDomain(value, r);
      else this.names.removeDomain(value, r);
    } else if (type === 'url') {
      const host = canonicalUrl(value)!.host;
      if (add) this.names.addUrl(value, host, r);
      else this.names.removeUrl(value, host, r);
    } else {
      const tier = ipTierOf(
        (this.records.flags[r]! & RECORD_FLAGS.groupScoped) !== 0,
        INDICATOR_ACTIONS[this.records.action[r]!]!,
      );
      if (add) this.ips.add(value, r, tier);
      else this.ips.remove(value, r, tier);
    }
  }
}
