import { readFile } from 'node:fs/promises';
import { writeFileAtomicFrom } from '../state/atomic-file.js';
import { IndicatorFileError } from './indicators.errors.js';

/**
 * The blocked SHA-256 set as a file for the native exec-control helper (block-by-hash), which
 * maps it and binary-searches it on each execution instead of asking the agent.
 *
 * Format (little-endian), version 1:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | magic `QSHA` |
 * | 4 | 4 | format version, u32 = 1 |
 * | 8 | 4 | digest count n, u32 |
 * | 12 | 4 | reserved, 0 |
 * | 16 | 8 | indicator sync version, f64 (an integer) |
 * | 24 | 8 | reserved, 0 |
 * | 32 | 32·n | digests, raw bytes, ascending in `memcmp` order, no duplicates |
 *
 * The 32-byte header keeps every digest 32-byte aligned. The file is replaced atomically
 * (rename), so a helper that re-opens it on change never reads a torn one. Only digests whose
 * winning indicator blocks (`block`, `block_and_remediate`) are listed; allows already won.
 */
export const SHA256_EXPORT_MAGIC = 'QSHA';
export const SHA256_EXPORT_FORMAT = 1;
export const SHA256_EXPORT_HEADER_BYTES = 32;

/** Writes the export for `digests` (32 bytes each, any order) atomically to `path`. */
export async function writeSha256Export(path: string, digests: Uint8Array, version: number): Promise<number> {
  return writeSha256ExportOf(path, digests, identity(digests.length / 32), version);
}

/**
 * Writes the export for the digests at `keys[e * 32 …]` for each `e` of `entries` (any order,
 * duplicates allowed), so a digest table is exported without a copy of the set (32 MB at a
 * million). Sorting and writing run synchronously within the call (see `writeFileAtomicFrom`),
 * so `keys` may be a live table that changes after the call returns. Returns the digest count.
 */
export async function writeSha256ExportOf(
  path: string,
  keys: Uint8Array,
  entries: Int32Array,
  version: number,
): Promise<number> {
  let n = 0;
  await writeFileAtomicFrom(
    path,
    (write) => {
      const order = sortedOrder(keys, 32, entries);
      const count = countDistinct(keys, 32, order);
      const chunk = Buffer.alloc(Math.max(SHA256_EXPORT_HEADER_BYTES, Math.min(count, 1 << 15) * 32));
      chunk.write(SHA256_EXPORT_MAGIC, 0, 'latin1');
      chunk.writeUInt32LE(SHA256_EXPORT_FORMAT, 4);
      chunk.writeUInt32LE(count, 8);
      chunk.writeDoubleLE(version, 16);
      write(chunk.subarray(0, SHA256_EXPORT_HEADER_BYTES));
      let o = 0;
      eachDistinct(keys, 32, order, (src) => {
        // A byte loop: a `subarray` view per digest costs more than the copy.
        for (let b = 0; b < 32; b++) chunk[o + b] = keys[src + b]!;
        o += 32;
        if (o === chunk.length) {
          write(chunk);
          o = 0;
        }
      });
      if (o > 0) write(chunk.subarray(0, o));
      n = count;
    },
    { mode: 0o644 },
  );
  return n;
}

/** Reads an export back (tests, diagnostics); throws {@link IndicatorFileError} on a bad file. */
export async function readSha256Export(path: string): Promise<{ version: number; digests: Uint8Array }> {
  const buf = await readFile(path);
  if (buf.length < SHA256_EXPORT_HEADER_BYTES || buf.toString('latin1', 0, 4) !== SHA256_EXPORT_MAGIC)
    throw new IndicatorFileError(`${path} is not a blocked-SHA-256 export`);
  const n = buf.readUInt32LE(8);
  if (buf.readUInt32LE(4) !== SHA256_EXPORT_FORMAT || buf.length !== SHA256_EXPORT_HEADER_BYTES + n * 32)
    throw new IndicatorFileError(`${path} has an unknown format or a wrong length`);
  return { version: buf.readDoubleLE(16), digests: buf.subarray(SHA256_EXPORT_HEADER_BYTES) };
}

/** Binary search, as the native helper does it: whether `digest` is in sorted `digests`. */
export function exportContains(digests: Uint8Array, digest: Uint8Array): boolean {
  let lo = 0;
  let hi = digests.length / 32 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareAt(digests, mid * 32, digest, 0, 32);
    if (c === 0) return true;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Sorts fixed-width digests in `memcmp` order and drops duplicates (see {@link sortedOrder}). */
export function sortDigests(digests: Uint8Array, width: number): Uint8Array {
  const order = sortedOrder(digests, width, identity(digests.length / width));
  const out = new Uint8Array(countDistinct(digests, width, order) * width);
  let m = 0;
  eachDistinct(digests, width, order, (src) => {
    out.set(digests.subarray(src, src + width), m);
    m += width;
  });
  return out;
}

/**
 * The `entries` (digest `e` at `keys[e * width …]`) in `memcmp` order of their digests. A million
 * sort in about a tenth of a second: each becomes one float (its leading bits above its position),
 * sorted natively; only the rare runs that share those leading bits are then compared in full.
 */
export function sortedOrder(keys: Uint8Array, width: number, entries: Int32Array): Int32Array {
  const n = entries.length;
  const order = new Int32Array(n);
  if (n === 0) return order;
  const idxBits = Math.max(1, Math.ceil(Math.log2(n + 1)));
  const prefixBits = Math.min(32, 53 - idxBits);
  const idxScale = 2 ** idxBits;
  const drop = 2 ** (32 - prefixBits);
  const sortKeys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = entries[i]! * width;
    const w = ((keys[o]! << 24) | (keys[o + 1]! << 16) | (keys[o + 2]! << 8) | keys[o + 3]!) >>> 0;
    sortKeys[i] = Math.floor(w / drop) * idxScale + i;
  }
  sortKeys.sort();
  for (let i = 0; i < n; i++) order[i] = entries[sortKeys[i]! % idxScale]!;
  // Fix the order inside runs whose leading bits tie.
  for (let i = 0; i < n;) {
    const lead = Math.floor(sortKeys[i]! / idxScale);
    let j = i + 1;
    while (j < n && Math.floor(sortKeys[j]! / idxScale) === lead) j++;
    if (j - i > 1) {
      const run = Array.from(order.subarray(i, j)).sort((a, b) =>
        compareAt(keys, a * width, keys, b * width, width),
      );
      order.set(run, i);
    }
    i = j;
  }
  return order;
}

/** Calls `fn` with the byte offset of each distinct digest, in `order`. */
function eachDistinct(
  keys: Uint8Array,
  width: number,
  order: Int32Array,
  fn: (offset: number) => void,
): void {
  for (let i = 0; i < order.length; i++) {
    const src = order[i]! * width;
    if (i > 0 && compareAt(keys, order[i - 1]! * width, keys, src, width) === 0) continue;
    fn(src);
  }
}

function countDistinct(keys: Uint8Array, width: number, order: Int32Array): number {
  let n = 0;
  eachDistinct(keys, width, order, () => n++);
  return n;
}

function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

function compareAt(a: Uint8Array, ao: number, b: Uint8Array, bo: number, width: number): number {
  for (let i = 0; i < width; i++) {
    const d = a[ao + i]! - b[bo + i]!;
    if (d !== 0) return d;
  }
  return 0;
}
