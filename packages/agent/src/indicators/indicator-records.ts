import { grow32, pow2AtLeast } from './fixed-key-table.js';

/** Bits of {@link IndicatorRecords.flags}. */
export const RECORD_FLAGS = { live: 1, groupScoped: 2, generateAlert: 4 } as const;

/** The per-indicator fields a record holds besides its value (kept by the value indexes). */
export interface RecordFields {
  id: string;
  /** Indexes into INDICATOR_TYPES, INDICATOR_ACTIONS, SEVERITIES. */
  type: number;
  action: number;
  severity: number;
  groupScoped: boolean;
  generateAlert: boolean;
  title: string;
  /** Epoch ms, 0 = never. */
  expiresAt: number;
}

/**
 * Every indicator's metadata in columns of typed arrays, addressed by record number, with an
 * id → record index. A million indicators as JS objects would cost hundreds of MB; as columns
 * they cost about 30 bytes each plus their id bytes. Titles repeat a lot (one feed, one title),
 * so they are interned with reference counts.
 *
 * Ids live in a byte arena (they are printable ASCII, one byte per character) and are hashed
 * with FNV-1a straight from the string, so finding an id allocates nothing.
 */
export class IndicatorRecords {
  type: Uint8Array;
  action: Uint8Array;
  severity: Uint8Array;
  flags: Uint8Array;
  expiresAt: Float64Array;
  title: Int32Array;
  /** Next record with the same value, in precedence order (-1 ends the chain). */
  next: Int32Array;
  /** Where the value lives: an entry of a hash table, or unused for network types. */
  valueRef: Int32Array;
  private idOff: Uint32Array;
  private idLen: Uint8Array;
  private idHash: Uint32Array;
  private arena: Uint8Array;
  private arenaTop = 0;
  private arenaGarbage = 0;
  private idSlots: Int32Array;
  private idMask: number;
  private free: Int32Array = new Int32Array(16);
  private freeTop = 0;
  private top = 0;
  private count = 0;
  private titles: string[] = [];
  private titleRefs: Int32Array = new Int32Array(16);
  private titleIndex = new Map<string, number>();
  private freeTitles: number[] = [];

  constructor(expected = 1024) {
    const n = Math.max(16, expected);
    this.type = new Uint8Array(n);
    this.action = new Uint8Array(n);
    this.severity = new Uint8Array(n);
    this.flags = new Uint8Array(n);
    this.expiresAt = new Float64Array(n);
    this.title = new Int32Array(n);
    this.next = new Int32Array(n);
    this.valueRef = new Int32Array(n);
    this.idOff = new Uint32Array(n);
    this.idLen = new Uint8Array(n);
    this.idHash = new Uint32Array(n);
    this.arena = new Uint8Array(n * 28);
    const slots = pow2AtLeast(n * 2);
    this.idSlots = new Int32Array(slots).fill(-1);
    this.idMask = slots - 1;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Adds a record (the id must not be present; see {@link findId}). With `idBytes`, the id is
   * copied from there (`f.id` is ignored): loading a file then makes no string per id.
   */
  add(f: RecordFields, idBytes?: { buf: Uint8Array; off: number; len: number }): number {
    if ((this.count + 1) * 2 > this.idSlots.length) this.growIdSlots();
    const r = this.allocRecord();
    this.type[r] = f.type;
    this.action[r] = f.action;
    this.severity[r] = f.severity;
    this.flags[r] =
      RECORD_FLAGS.live |
      (f.groupScoped ? RECORD_FLAGS.groupScoped : 0) |
      (f.generateAlert ? RECORD_FLAGS.generateAlert : 0);
    this.expiresAt[r] = f.expiresAt;
    this.title[r] = this.internTitle(f.title);
    this.next[r] = -1;
    this.valueRef[r] = -1;
    if (idBytes) this.storeIdBytes(r, idBytes.buf, idBytes.off, idBytes.len);
    else this.storeId(r, f.id);
    this.count++;
    return r;
  }

  remove(r: number): void {
    let s = this.idHash[r]! & this.idMask;
    while (this.idSlots[s] !== r) s = (s + 1) & this.idMask;
    let j = s;
    for (;;) {
      j = (j + 1) & this.idMask;
      const e = this.idSlots[j]!;
      if (e < 0) break;
      const k = this.idHash[e]! & this.idMask;
      if (s <= j ? s < k && k <= j : s < k || k <= j) continue;
      this.idSlots[s] = e;
      s = j;
    }
    this.idSlots[s] = -1;
    this.releaseTitle(this.title[r]!);
    this.arenaGarbage += this.idLen[r]!;
    this.flags[r] = 0;
    this.count--;
    if (this.freeTop === this.free.length) this.free = grow32(this.free, this.free.length * 2);
    this.free[this.freeTop++] = r;
    if (this.arenaGarbage > 1 << 20 && this.arenaGarbage * 2 > this.arenaTop) this.compactArena();
  }

  isLive(r: number): boolean {
    return (this.flags[r]! & RECORD_FLAGS.live) !== 0;
  }

  findId(id: string): number {
    const h = fnv(id);
    let s = h & this.idMask;
    for (;;) {
      const r = this.idSlots[s]!;
      if (r < 0) return -1;
      if (this.idHash[r] === h && this.idEquals(r, id)) return r;
      s = (s + 1) & this.idMask;
    }
  }

  idOf(r: number): string {
    const off = this.idOff[r]!;
    let s = '';
    for (let i = 0; i < this.idLen[r]!; i++) s += String.fromCharCode(this.arena[off + i]!);
    return s;
  }

  /** Length in bytes (= characters) of a record's id. */
  idLength(r: number): number {
    return this.idLen[r]!;
  }

  /** Copies a record's id bytes into `out` at `off`; returns the offset after them. */
  copyId(r: number, out: Uint8Array, off: number): number {
    const from = this.idOff[r]!;
    out.set(this.arena.subarray(from, from + this.idLen[r]!), off);
    return off + this.idLen[r]!;
  }

  /** A record's title index: equal titles share one (see {@link titleAt}). */
  titleIndexOf(r: number): number {
    return this.title[r]!;
  }

  titleAt(index: number): string {
    return this.titles[index]!;
  }

  titleOf(r: number): string {
    return this.titles[this.title[r]!]!;
  }

  /** Ids compare as strings; used only to break precedence ties deterministically. */
  compareIds(a: number, b: number): number {
    const la = this.idLen[a]!;
    const lb = this.idLen[b]!;
    const oa = this.idOff[a]!;
    const ob = this.idOff[b]!;
    for (let i = 0; i < Math.min(la, lb); i++) {
      const d = this.arena[oa + i]! - this.arena[ob + i]!;
      if (d !== 0) return d;
    }
    return la - lb;
  }

  /** Calls `fn` for every live record, in record order. */
  forEach(fn: (r: number) => void): void {
    for (let r = 0; r < this.top; r++) if (this.flags[r]! & RECORD_FLAGS.live) fn(r);
  }

  memoryBytes(): number {
    const cols = [
      this.type,
      this.action,
      this.severity,
      this.flags,
      this.expiresAt,
      this.title,
      this.next,
      this.valueRef,
      this.idOff,
      this.idLen,
      this.idHash,
      this.arena,
      this.idSlots,
      this.free,
      this.titleRefs,
    ];
    const titleBytes = this.titles.reduce((n, t) => n + (t?.length ?? 0) + 32, 0);
    return cols.reduce((n, c) => n + c.byteLength, 0) + titleBytes;
  }

  private storeId(r: number, id: string): void {
    this.reserveArena(id.length);
    for (let i = 0; i < id.length; i++) this.arena[this.arenaTop + i] = id.charCodeAt(i);
    this.placeId(r, id.length, fnv(id));
  }

  private storeIdBytes(r: number, buf: Uint8Array, off: number, len: number): void {
    this.reserveArena(len);
    let h = 0x811c9dc5;
    for (let i = 0; i < len; i++) {
      const c = buf[off + i]!;
      this.arena[this.arenaTop + i] = c;
      h = Math.imul(h ^ c, 0x01000193);
    }
    this.placeId(r, len, h >>> 0);
  }

  private reserveArena(len: number): void {
    if (this.arenaTop + len <= this.arena.length) return;
    const a = new Uint8Array(Math.max(this.arena.length * 1.5, this.arenaTop + len + 1024) | 0);
    a.set(this.arena.subarray(0, this.arenaTop));
    this.arena = a;
  }

  private placeId(r: number, len: number, h: number): void {
    this.idOff[r] = this.arenaTop;
    this.idLen[r] = len;
    this.arenaTop += len;
    this.idHash[r] = h;
    let s = h & this.idMask;
    while (this.idSlots[s]! >= 0) s = (s + 1) & this.idMask;
    this.idSlots[s] = r;
  }

  private idEquals(r: number, id: string): boolean {
    if (this.idLen[r] !== id.length) return false;
    const off = this.idOff[r]!;
    for (let i = 0; i < id.length; i++) if (this.arena[off + i] !== id.charCodeAt(i)) return false;
    return true;
  }

  private compactArena(): void {
    const a = new Uint8Array(Math.max(1024, (this.arenaTop - this.arenaGarbage) * 1.25) | 0);
    let top = 0;
    this.forEach((r) => {
      const off = this.idOff[r]!;
      const len = this.idLen[r]!;
      a.set(this.arena.subarray(off, off + len), top);
      this.idOff[r] = top;
      top += len;
    });
    this.arena = a;
    this.arenaTop = top;
    this.arenaGarbage = 0;
  }

  private growIdSlots(): void {
    const slots = new Int32Array(this.idSlots.length * 2).fill(-1);
    const mask = slots.length - 1;
    this.forEach((r) => {
      let s = this.idHash[r]! & mask;
      while (slots[s]! >= 0) s = (s + 1) & mask;
      slots[s] = r;
    });
    this.idSlots = slots;
    this.idMask = mask;
  }

  private allocRecord(): number {
    if (this.freeTop > 0) return this.free[--this.freeTop]!;
    if (this.top === this.type.length) this.growColumns(Math.ceil(this.type.length * 1.5));
    return this.top++;
  }

  private growColumns(n: number): void {
    const g8 = (a: Uint8Array) => copyInto(new Uint8Array(n), a);
    this.type = g8(this.type);
    this.action = g8(this.action);
    this.severity = g8(this.severity);
    this.flags = g8(this.flags);
    this.idLen = g8(this.idLen);
    this.expiresAt = copyInto(new Float64Array(n), this.expiresAt);
    this.title = grow32(this.title, n);
    this.next = grow32(this.next, n);
    this.valueRef = grow32(this.valueRef, n);
    this.idOff = copyInto(new Uint32Array(n), this.idOff);
    this.idHash = copyInto(new Uint32Array(n), this.idHash);
  }

  private internTitle(title: string): number {
    let t = this.titleIndex.get(title);
    if (t === undefined) {
      t = this.freeTitles.pop() ?? this.titles.length;
      this.titles[t] = title;
      this.titleIndex.set(title, t);
      if (t >= this.titleRefs.length) this.titleRefs = grow32(this.titleRefs, this.titleRefs.length * 2);
      this.titleRefs[t] = 0;
    }
    this.titleRefs[t]!++;
    return t;
  }

  private releaseTitle(t: number): void {
    if (--this.titleRefs[t]! > 0) return;
    this.titleIndex.delete(this.titles[t]!);
    this.titles[t] = '';
    this.freeTitles.push(t);
  }
}

function copyInto<T extends Uint8Array | Uint32Array | Float64Array>(to: T, from: T): T {
  to.set(from as never);
  return to;
}

/** FNV-1a over the character codes (ids are ASCII, so this equals hashing their bytes). */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
