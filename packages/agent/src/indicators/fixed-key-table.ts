/**
 * A hash table from fixed-width binary keys (digests) to an int32 payload, kept in typed arrays:
 * a million SHA-256 keys cost 32 MB of key bytes plus about 12 MB of index, where a `Map` of hex
 * strings would cost several times that and load far slower.
 *
 * Keys sit densely in entry order; an open-addressing slot array (linear probing, at most half
 * full) points at entries. Digests are uniformly distributed, so their first four bytes are the
 * hash. Deletion shifts the probe run back instead of leaving tombstones, so lookups never slow
 * down after many deltas; freed entries are reused.
 */
export class FixedKeyTable {
  private keys: Uint8Array;
  private payload: Int32Array;
  private slots: Int32Array;
  private mask: number;
  private free: Int32Array;
  private freeTop = 0;
  /** Entries ever handed out (free ones included). */
  private top = 0;
  private count = 0;
  /** Set by {@link upsert}: whether the last call created the entry. */
  inserted = false;

  constructor(
    readonly width: number,
    expected = 1024,
  ) {
    const entries = Math.max(16, expected);
    this.keys = new Uint8Array(entries * width);
    this.payload = new Int32Array(entries);
    this.free = new Int32Array(16);
    const slotCount = pow2AtLeast(entries * 2);
    this.slots = new Int32Array(slotCount).fill(-1);
    this.mask = slotCount - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The key bytes; entry `e` is at `e * width`. Valid until the next insertion. */
  get keyBytes(): Uint8Array {
    return this.keys;
  }

  /** Entry holding `key[off, off + width)`, or -1. */
  find(key: Uint8Array, off: number): number {
    let s = this.home(key, off);
    for (;;) {
      const e = this.slots[s]!;
      if (e < 0) return -1;
      if (this.equals(e, key, off)) return e;
      s = (s + 1) & this.mask;
    }
  }

  /** Entry for `key`, created (payload -1) when missing; {@link inserted} tells which. */
  upsert(key: Uint8Array, off: number): number {
    if ((this.count + 1) * 2 > this.slots.length) this.growSlots();
    let s = this.home(key, off);
    for (;;) {
      const e = this.slots[s]!;
      if (e < 0) break;
      if (this.equals(e, key, off)) {
        this.inserted = false;
        return e;
      }
      s = (s + 1) & this.mask;
    }
    const e = this.allocEntry();
    // A byte loop: `subarray` allocates a view per call, and on a Buffer a slow one.
    const base = e * this.width;
    for (let i = 0; i < this.width; i++) this.keys[base + i] = key[off + i]!;
    this.payload[e] = -1;
    this.slots[s] = e;
    this.count++;
    this.inserted = true;
    return e;
  }

  getPayload(entry: number): number {
    return this.payload[entry]!;
  }

  setPayload(entry: number, value: number): void {
    this.payload[entry] = value;
  }

  /** Removes an entry returned by {@link find} or {@link upsert}. */
  delete(entry: number): void {
    let i = this.home(this.keys, entry * this.width);
    while (this.slots[i] !== entry) i = (i + 1) & this.mask;
    // Backward-shift deletion: pull later members of the probe run into the hole when their
    // home slot is not between the hole and where they sit.
    let j = i;
    for (;;) {
      j = (j + 1) & this.mask;
      const e = this.slots[j]!;
      if (e < 0) break;
      const k = this.home(this.keys, e * this.width);
      const stays = i <= j ? i < k && k <= j : i < k || k <= j;
      if (stays) continue;
      this.slots[i] = e;
      i = j;
    }
    this.slots[i] = -1;
    this.count--;
    if (this.freeTop === this.free.length) this.free = grow32(this.free, this.free.length * 2);
    this.free[this.freeTop++] = entry;
  }

  /** Calls `fn` for every live entry. */
  forEach(fn: (entry: number) => void): void {
    for (let s = 0; s < this.slots.length; s++) {
      const e = this.slots[s]!;
      if (e >= 0) fn(e);
    }
  }

  /** Bytes held by the typed arrays. */
  memoryBytes(): number {
    return this.keys.byteLength + this.payload.byteLength + this.slots.byteLength + this.free.byteLength;
  }

  private home(key: Uint8Array, off: number): number {
    const h = key[off]! | (key[off + 1]! << 8) | (key[off + 2]! << 16) | (key[off + 3]! << 24);
    return h & this.mask;
  }

  private equals(entry: number, key: Uint8Array, off: number): boolean {
    const base = entry * this.width;
    for (let i = 0; i < this.width; i++) if (this.keys[base + i] !== key[off + i]) return false;
    return true;
  }

  private allocEntry(): number {
    if (this.freeTop > 0) return this.free[--this.freeTop]!;
    if (this.top === this.payload.length) {
      const n = Math.ceil(this.payload.length * 1.5);
      const keys = new Uint8Array(n * this.width);
      keys.set(this.keys);
      this.keys = keys;
      this.payload = grow32(this.payload, n);
    }
    return this.top++;
  }

  private growSlots(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    this.mask = mask;
    for (let s = 0; s < this.slots.length; s++) {
      const e = this.slots[s]!;
      if (e < 0) continue;
      let t = this.home(this.keys, e * this.width);
      while (slots[t]! >= 0) t = (t + 1) & mask;
      slots[t] = e;
    }
    this.slots = slots;
  }
}

export function pow2AtLeast(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

export function grow32(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a.subarray(0, Math.min(a.length, n)));
  return b;
}
