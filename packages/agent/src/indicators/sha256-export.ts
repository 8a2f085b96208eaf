import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../state/atomic-file.js';
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
  const sorted = sortDigests(digests, 32);
  const n = sorted.length / 32;
  const out = Buffer.alloc(SHA256_EXPORT_HEADER_BYTES + sorted.length);
  out.write(SHA256_EXPORT_MAGIC, 0, 'latin1');
  out.writeUInt32LE(SHA256_EXPORT_FORMAT, 4);
  out.writeUInt32LE(n, 8);
  out.writeDoubleLE(version, 16);
  out.set(sorted, SHA256_EXPORT_HEADER_BYTES);
  await writeFileAtomic(path, out, { mode: 0o644 });
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

/**
 * Sorts fixed-width digests in `memcmp` order and drops duplicates. A million digests sort in
 * about a tenth of a second: each becomes one float (its leading bits above its index), sorted
 * natively; only the rare runs that share those leading bits are then compared in full.
 */
export function sortDigests(digests: Uint8Array, width: number): Uint8Array {
  const n = digests.length / width;
  if (n === 0) return new Uint8Array(0);
  const idxBits = Math.max(1, Math.ceil(Math.log2(n + 1)));
  const prefixBits = Math.min(32, 53 - idxBits);
  const idxScale = 2 ** idxBits;
  const drop = 2 ** (32 - prefixBits);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * width;
    const w =
      ((digests[o]! << 24) | (digests[o + 1]! << 16) | (digests[o + 2]! << 8) | digests[o + 3]!) >>> 0;
    keys[i] = Math.floor(w / drop) * idxScale + i;
  }
  keys.sort();
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = keys[i]! % idxScale;
  // Fix the order inside runs whose leading bits tie.
  for (let i = 0; i < n;) {
    const lead = Math.floor(keys[i]! / idxScale);
    let j = i + 1;
    while (j < n && Math.floor(keys[j]! / idxScale) === lead) j++;
    if (j - i > 1) {
      const run = Array.from(order.subarray(i, j)).sort((a, b) =>
        compareAt(digests, a * width, digests, b * width, width),
      );
      order.set(run, i);
    }
    i = j;
  }
  const out = new Uint8Array(n * width);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const src = order[i]! * width;
    if (m > 0 && compareAt(out, (m - 1) * width, digests, src, width) === 0) continue;
    // A byte loop: a `subarray` view per digest costs more than the copy.
    const dst = m * width;
    for (let b = 0; b < width; b++) out[dst + b] = digests[src + b]!;
    m++;
  }
  return out.subarray(0, m * width);
}

function compareAt(a: Uint8Array, ao: number, b: Uint8Array, bo: number, width: number): number {
  for (let i = 0; i < width; i++) {
    const d = a[ao + i]! - b[bo + i]!;
    if (d !== 0) return d;
  }
  return 0;
}
