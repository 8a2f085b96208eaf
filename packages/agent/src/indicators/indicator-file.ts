import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { INDICATOR_TYPES } from '@quell/core';
import { writeFileAtomic } from '../state/atomic-file.js';
import { IndicatorFileError } from './indicators.errors.js';
import { RECORD_FLAGS, type RecordFields } from './indicator-records.js';
import { IndicatorTables, type TableSizes } from './indicator-tables.js';
import { HASH_BYTE_LENGTH, isHashType, type HashType } from './indicator-values.js';

/**
 * The agent's indicators on disk, so a restarted agent enforces at once and resumes delta sync
 * from the version it held. Binary because a million indicators must load in a second or two
 * (JSON would take several times longer and hold every line as objects while parsing).
 *
 * Format (little-endian), version 1:
 *
 *     header   magic "QIND" | u32 format = 1 | f64 sync version | u32 count | u32 title count
 *              | f64 written at (epoch ms) | 8 reserved bytes                      (40 bytes)
 *     titles   title count × (u16 byte length, UTF-8)
 *     records  count × (u8 type, u8 action, u8 severity, u8 flags, u32 title, f64 expiresAt,
 *              u8 id length, id bytes, value: raw digest bytes for hashes,
 *              u16 length + UTF-8 for the others)
 *     trailer  SHA-256 of everything before it (32 bytes)
 *
 * Type, action and severity are indexes into the core vocabularies, so a vocabulary that
 * reorders its values must bump the format. The file is written whole and renamed into place.
 */
export const INDICATOR_FILE_MAGIC = 'QIND';
export const INDICATOR_FILE_FORMAT = 1;
const HEADER = 40;
const TRAILER = 32;

/** Writes the store's tables at `version` to `path` atomically; returns the bytes written. */
export async function writeIndicatorFile(
  path: string,
  tables: IndicatorTables,
  version: number,
): Promise<number> {
  const buf = encodeIndicators(tables, version, Date.now());
  await writeFileAtomic(path, buf);
  return buf.length;
}

/**
 * Encodes synchronously, so the file is one consistent version even though deltas may arrive
 * while it is being written.
 */
export function encodeIndicators(tables: IndicatorTables, version: number, writtenAt: number): Buffer {
  const rec = tables.records;
  // Interned title index → index in the file, assigned in first-use order.
  const fileTitle = new Map<number, number>();
  const titles: Buffer[] = [];
  let size = HEADER + TRAILER;
  rec.forEach((r) => {
    const t = rec.titleIndexOf(r);
    if (!fileTitle.has(t)) {
      fileTitle.set(t, titles.length);
      const b = Buffer.from(rec.titleAt(t), 'utf8');
      titles.push(b);
      size += 2 + b.length;
    }
    const type = INDICATOR_TYPES[rec.type[r]!]!;
    size += 17 + rec.idLength(r);
    size += isHashType(type) ? HASH_BYTE_LENGTH[type] : 2 + Buffer.byteLength(tables.valueOf(r), 'utf8');
  });
  const out = Buffer.allocUnsafe(size);
  out.write(INDICATOR_FILE_MAGIC, 0, 'latin1');
  out.writeUInt32LE(INDICATOR_FILE_FORMAT, 4);
  out.writeDoubleLE(version, 8);
  out.writeUInt32LE(rec.size, 16);
  out.writeUInt32LE(titles.length, 20);
  out.writeDoubleLE(writtenAt, 24);
  out.fill(0, 32, HEADER);
  let o = HEADER;
  for (const t of titles) {
    o = out.writeUInt16LE(t.length, o);
    o += t.copy(out, o);
  }
  rec.forEach((r) => {
    const type = INDICATOR_TYPES[rec.type[r]!]!;
    out[o++] = rec.type[r]!;
    out[o++] = rec.action[r]!;
    out[o++] = rec.severity[r]!;
    out[o++] = rec.flags[r]! & (RECORD_FLAGS.groupScoped | RECORD_FLAGS.generateAlert);
    o = out.writeUInt32LE(fileTitle.get(rec.titleIndexOf(r))!, o);
    o = out.writeDoubleLE(rec.expiresAt[r]!, o);
    out[o++] = rec.idLength(r);
    o = rec.copyId(r, out, o);
    if (isHashType(type)) {
      const table = tables.hashes[type];
      const e = rec.valueRef[r]!;
      out.set(table.keyBytes.subarray(e * table.width, (e + 1) * table.width), o);
      o += table.width;
    } else {
      const v = tables.valueOf(r);
      const len = Buffer.byteLength(v, 'utf8');
      o = out.writeUInt16LE(len, o);
      o += out.write(v, o, 'utf8');
    }
  });
  createHash('sha256').update(out.subarray(0, o)).digest().copy(out, o);
  return out;
}

/**
 * Reads a file written by {@link writeIndicatorFile}, or returns null when there is none.
 * Indicators already expired at `now` are left out. A damaged file throws
 * {@link IndicatorFileError}: the caller drops it and requests a snapshot.
 */
export async function readIndicatorFile(
  path: string,
  now: number,
): Promise<{ version: number; tables: IndicatorTables; writtenAt: number } | null> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new IndicatorFileError(`cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  return decodeIndicators(buf, now, path);
}

export function decodeIndicators(
  buf: Buffer,
  now: number,
  path = 'indicator file',
): { version: number; tables: IndicatorTables; writtenAt: number } {
  const corrupt = (why: string) =>
    new IndicatorFileError(`${path} is corrupt (${why}); delete it and the agent will request a snapshot`);
  if (buf.length < HEADER + TRAILER || buf.toString('latin1', 0, 4) !== INDICATOR_FILE_MAGIC)
    throw corrupt('not an indicator file');
  if (buf.readUInt32LE(4) !== INDICATOR_FILE_FORMAT) throw corrupt(`unknown format ${buf.readUInt32LE(4)}`);
  const body = buf.subarray(0, buf.length - TRAILER);
  if (
    !createHash('sha256')
      .update(body)
      .digest()
      .equals(buf.subarray(buf.length - TRAILER))
  )
    throw corrupt('checksum mismatch');
  const version = buf.readDoubleLE(8);
  const count = buf.readUInt32LE(16);
  const titleCount = buf.readUInt32LE(20);
  const writtenAt = buf.readDoubleLE(24);
  try {
    let o = HEADER;
    const titles: string[] = [];
    for (let i = 0; i < titleCount; i++) {
      const len = buf.readUInt16LE(o);
      titles.push(buf.toString('utf8', o + 2, o + 2 + len));
      o += 2 + len;
    }
    const sizes = countTypes(buf, o, count);
    const tables = new IndicatorTables(sizes);
    // One mutable fields object and id reference: a million small objects (or id strings) would
    // only feed the garbage collector.
    const id = { buf: buf as Uint8Array, off: 0, len: 0 };
    const f: RecordFields = {
      id: '',
      type: 0,
      action: 0,
      severity: 0,
      groupScoped: false,
      generateAlert: false,
      title: '',
      expiresAt: 0,
    };
    for (let i = 0; i < count; i++) {
      f.type = buf[o]!;
      f.action = buf[o + 1]!;
      f.severity = buf[o + 2]!;
      f.groupScoped = (buf[o + 3]! & RECORD_FLAGS.groupScoped) !== 0;
      f.generateAlert = (buf[o + 3]! & RECORD_FLAGS.generateAlert) !== 0;
      f.title = titles[buf.readUInt32LE(o + 4)]!;
      f.expiresAt = buf.readDoubleLE(o + 8);
      id.len = buf[o + 16]!;
      id.off = o + 17;
      o += 17 + id.len;
      const type = INDICATOR_TYPES[f.type];
      if (type === undefined || f.title === undefined) throw new RangeError(`bad record ${i}`);
      const live = f.expiresAt === 0 || f.expiresAt > now;
      if (isHashType(type)) {
        if (live) tables.insertHash(f, buf, o, id);
        o += HASH_BYTE_LENGTH[type];
      } else {
        const len = buf.readUInt16LE(o);
        if (live) tables.insertNetwork(f, buf.toString('utf8', o + 2, o + 2 + len), id);
        o += 2 + len;
      }
    }
    if (o !== body.length) throw new RangeError('trailing bytes');
    return { version, tables, writtenAt };
  } catch (e) {
    if (e instanceof IndicatorFileError) throw e;
    throw corrupt((e as Error).message);
  }
}

/** A first pass over the records to size the digest tables exactly. */
function countTypes(buf: Buffer, start: number, count: number): TableSizes {
  const sizes: TableSizes = { total: count, sha256: 0, sha1: 0, md5: 0 };
  let o = start;
  for (let i = 0; i < count; i++) {
    const type = INDICATOR_TYPES[buf[o]!];
    o += 17 + buf[o + 16]!;
    if (type !== undefined && isHashType(type)) {
      sizes[type as HashType]!++;
      o += HASH_BYTE_LENGTH[type];
    } else o += 2 + buf.readUInt16LE(o);
  }
  return sizes;
}
