import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { INDICATOR_TYPES } from '@quell/core';
import { writeFileAtomicFrom } from '../state/atomic-file.js';
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
 * reorders its values must bump the format. The file is replaced atomically (temp file, rename).
 *
 * Neither direction holds the file as one buffer (about 75 MB at a million indicators): it is
 * written and read in {@link CHUNK}-sized pieces. A whole-file buffer is garbage once used, and an
 * idle agent runs no garbage collection to free it, so it stayed in the agent's resident memory.
 */
export const INDICATOR_FILE_MAGIC = 'QIND';
export const INDICATOR_FILE_FORMAT = 1;
const HEADER = 40;
const TRAILER = 32;

/** Bytes encoded or read at a time; larger than any one record (values are at most 65,535 bytes). */
const CHUNK = 1 << 20;

/** Writes the store's tables at `version` to `path` atomically; returns the bytes written. */
export async function writeIndicatorFile(
  path: string,
  tables: IndicatorTables,
  version: number,
): Promise<number> {
  const writtenAt = Date.now();
  return writeFileAtomicFrom(path, (write) => encodeIndicatorsTo(tables, version, writtenAt, write));
}

/** The whole file as one buffer (tests, tools); the agent writes with {@link writeIndicatorFile}. */
export function encodeIndicators(tables: IndicatorTables, version: number, writtenAt: number): Buffer {
  const parts: Buffer[] = [];
  encodeIndicatorsTo(tables, version, writtenAt, (chunk) => parts.push(Buffer.from(chunk)));
  return Buffer.concat(parts);
}

/**
 * Encodes synchronously, so the file is one consistent version even though deltas may arrive
 * while it is being written. `write` gets consecutive pieces of the file; each is valid only
 * during the call (the buffer is reused). Returns the bytes encoded.
 */
export function encodeIndicatorsTo(
  tables: IndicatorTables,
  version: number,
  writtenAt: number,
  write: (chunk: Uint8Array) => void,
): number {
  const rec = tables.records;
  // Interned title index → index in the file, assigned in first-use order.
  const fileTitle = new Map<number, number>();
  const titles: Buffer[] = [];
  rec.forEach((r) => {
    const t = rec.titleIndexOf(r);
    if (fileTitle.has(t)) return;
    fileTitle.set(t, titles.length);
    titles.push(Buffer.from(rec.titleAt(t), 'utf8'));
  });
  const out = Buffer.allocUnsafe(CHUNK);
  const hash = createHash('sha256');
  let total = 0;
  let o = 0;
  const flush = () => {
    const piece = out.subarray(0, o);
    hash.update(piece);
    write(piece);
    total += o;
    o = 0;
  };
  const room = (n: number) => {
    if (CHUNK - o < n) flush();
  };
  out.write(INDICATOR_FILE_MAGIC, 0, 'latin1');
  out.writeUInt32LE(INDICATOR_FILE_FORMAT, 4);
  out.writeDoubleLE(version, 8);
  out.writeUInt32LE(rec.size, 16);
  out.writeUInt32LE(titles.length, 20);
  out.writeDoubleLE(writtenAt, 24);
  out.fill(0, 32, HEADER);
  o = HEADER;
  for (const t of titles) {
    room(2 + t.length);
    o = out.writeUInt16LE(t.length, o);
    o += t.copy(out, o);
  }
  rec.forEach((r) => {
    const type = INDICATOR_TYPES[rec.type[r]!]!;
    const idLen = rec.idLength(r);
    let value: string | null = null;
    let valueLen: number;
    if (isHashType(type)) valueLen = HASH_BYTE_LENGTH[type];
    else {
      value = tables.valueOf(r);
      valueLen = 2 + Buffer.byteLength(value, 'utf8');
    }
    room(17 + idLen + valueLen);
    out[o++] = rec.type[r]!;
    out[o++] = rec.action[r]!;
    out[o++] = rec.severity[r]!;
    out[o++] = rec.flags[r]! & (RECORD_FLAGS.groupScoped | RECORD_FLAGS.generateAlert);
    o = out.writeUInt32LE(fileTitle.get(rec.titleIndexOf(r))!, o);
    o = out.writeDoubleLE(rec.expiresAt[r]!, o);
    out[o++] = idLen;
    o = rec.copyId(r, out, o);
    if (value === null) {
      const table = tables.hashes[type as HashType];
      const e = rec.valueRef[r]!;
      out.set(table.keyBytes.subarray(e * table.width, (e + 1) * table.width), o);
      o += table.width;
    } else {
      o = out.writeUInt16LE(valueLen - 2, o);
      o += out.write(value, o, 'utf8');
    }
  });
  flush();
  const trailer = hash.digest();
  write(trailer);
  return total + trailer.length;
}

type Decoded = { version: number; tables: IndicatorTables; writtenAt: number };

/**
 * Reads a file written by {@link writeIndicatorFile}, or returns null when there is none.
 * Indicators already expired at `now` are left out. A damaged file throws
 * {@link IndicatorFileError}: the caller drops it and requests a snapshot.
 *
 * Three passes over the open file, a chunk at a time: the checksum, then the counts per type (to
 * size the tables exactly), then the records. The file is re-read from the page cache, which
 * costs far less than holding it whole.
 */
export async function readIndicatorFile(path: string, now: number): Promise<Decoded | null> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new IndicatorFileError(`cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const { size } = await fh.stat();
    return await decodeFrom(() => new ChunkReader(fh, size), size, now, path);
  } catch (e) {
    if (e instanceof IndicatorFileError) throw e;
    throw new IndicatorFileError(`cannot read ${path}: ${(e as Error).message}`, { cause: e });
  } finally {
    await fh.close();
  }
}

/** Decodes a whole file held in memory (tests, tools); see {@link readIndicatorFile}. */
export async function decodeIndicators(buf: Buffer, now: number, path = 'indicator file'): Promise<Decoded> {
  return decodeFrom(() => new ChunkReader(buf, buf.length), buf.length, now, path);
}

async function decodeFrom(
  reader: () => ChunkReader,
  size: number,
  now: number,
  path: string,
): Promise<Decoded> {
  const corrupt = (why: string) =>
    new IndicatorFileError(`${path} is corrupt (${why}); delete it and the agent will request a snapshot`);
  if (size < HEADER + TRAILER) throw corrupt('not an indicator file');
  const bodyLength = size - TRAILER;
  let r = reader();
  await r.need(HEADER);
  if (r.buf.toString('latin1', r.pos, r.pos + 4) !== INDICATOR_FILE_MAGIC)
    throw corrupt('not an indicator file');
  const format = r.buf.readUInt32LE(r.pos + 4);
  if (format !== INDICATOR_FILE_FORMAT) throw corrupt(`unknown format ${format}`);
  const hash = createHash('sha256');
  let left = bodyLength;
  while (left > 0) {
    await r.need(Math.min(left, CHUNK));
    const n = Math.min(left, r.end - r.pos);
    hash.update(r.buf.subarray(r.pos, r.pos + n));
    r.pos += n;
    left -= n;
  }
  await r.need(TRAILER);
  if (!hash.digest().equals(r.buf.subarray(r.pos, r.pos + TRAILER))) throw corrupt('checksum mismatch');
  try {
    r = reader();
    await r.need(HEADER);
    const version = r.buf.readDoubleLE(r.pos + 8);
    const count = r.buf.readUInt32LE(r.pos + 16);
    const titleCount = r.buf.readUInt32LE(r.pos + 20);
    const writtenAt = r.buf.readDoubleLE(r.pos + 24);
    r.pos += HEADER;
    const titles: string[] = [];
    for (let i = 0; i < titleCount; i++) {
      await r.need(2);
      const len = r.buf.readUInt16LE(r.pos);
      await r.need(2 + len);
      titles.push(r.buf.toString('utf8', r.pos + 2, r.pos + 2 + len));
      r.pos += 2 + len;
    }
    const recordsAt = r.consumed;
    const sizes = await countTypes(r, count);
    r = reader();
    await r.skip(recordsAt);
    const tables = new IndicatorTables(sizes);
    // One mutable fields object and id reference: a million small objects (or id strings) would
    // only feed the garbage collector.
    const id = { buf: r.buf as Uint8Array, off: 0, len: 0 };
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
      const size = await recordSize(r);
      const buf = r.buf;
      const o = r.pos;
      f.type = buf[o]!;
      f.action = buf[o + 1]!;
      f.severity = buf[o + 2]!;
      f.groupScoped = (buf[o + 3]! & RECORD_FLAGS.groupScoped) !== 0;
      f.generateAlert = (buf[o + 3]! & RECORD_FLAGS.generateAlert) !== 0;
      f.title = titles[buf.readUInt32LE(o + 4)]!;
      f.expiresAt = buf.readDoubleLE(o + 8);
      id.buf = buf;
      id.len = buf[o + 16]!;
      id.off = o + 17;
      const v = o + 17 + id.len;
      const type = INDICATOR_TYPES[f.type];
      if (type === undefined || f.title === undefined) throw new RangeError(`bad record ${i}`);
      if (f.expiresAt === 0 || f.expiresAt > now) {
        if (isHashType(type)) tables.insertHash(f, buf, v, id);
        else tables.insertNetwork(f, buf.toString('utf8', v + 2, o + size), id);
      }
      r.pos += size;
    }
    if (r.consumed !== bodyLength) throw new RangeError('trailing bytes');
    return { version, tables, writtenAt };
  } catch (e) {
    if (e instanceof IndicatorFileError) throw e;
    throw corrupt((e as Error).message);
  }
}

/**
 * Makes the record at the reader's position wholly available and returns its length in bytes.
 * Hash values are their digest; other values carry a u16 length.
 */
async function recordSize(r: ChunkReader): Promise<number> {
  if (r.end - r.pos < 17) await r.need(17);
  const type = INDICATOR_TYPES[r.buf[r.pos]!];
  const head = 17 + r.buf[r.pos + 16]!;
  if (type !== undefined && isHashType(type)) {
    const size = head + HASH_BYTE_LENGTH[type];
    if (r.end - r.pos < size) await r.need(size);
    return size;
  }
  if (r.end - r.pos < head + 2) await r.need(head + 2);
  const size = head + 2 + r.buf.readUInt16LE(r.pos + head);
  if (r.end - r.pos < size) await r.need(size);
  return size;
}

/** A pass over the records to size the digest tables exactly. */
async function countTypes(r: ChunkReader, count: number): Promise<TableSizes> {
  const sizes: TableSizes = { total: count, sha256: 0, sha1: 0, md5: 0 };
  for (let i = 0; i < count; i++) {
    const size = await recordSize(r);
    const type = INDICATOR_TYPES[r.buf[r.pos]!];
    if (type !== undefined && isHashType(type)) sizes[type as HashType]!++;
    r.pos += size;
  }
  return sizes;
}

/**
 * A file (or a buffer) read forward: `buf[pos, end)` holds the next bytes; {@link need} refills
 * (moving what is left to the front) when fewer than `n` are there. Callers check `end - pos`
 * first and await only on a refill, so a million records cost few promises.
 */
class ChunkReader {
  buf: Buffer;
  pos = 0;
  end = 0;
  /** File offset of `buf[end]`. */
  private filePos = 0;
  private readonly fh: FileHandle | null;

  constructor(
    source: FileHandle | Buffer,
    private readonly size: number,
  ) {
    if (Buffer.isBuffer(source)) {
      this.fh = null;
      this.buf = source;
      this.end = this.filePos = size;
    } else {
      this.fh = source;
      this.buf = Buffer.allocUnsafe(Math.min(CHUNK, size));
    }
  }

  /** Bytes consumed so far (offset of `buf[pos]` in the file). */
  get consumed(): number {
    return this.filePos - (this.end - this.pos);
  }

  async need(n: number): Promise<void> {
    if (this.end - this.pos >= n) return;
    if (this.fh === null || n > CHUNK) throw new RangeError('truncated');
    this.buf.copy(this.buf, 0, this.pos, this.end);
    this.end -= this.pos;
    this.pos = 0;
    while (this.end < n) {
      const want = Math.min(this.buf.length - this.end, this.size - this.filePos);
      if (want <= 0) throw new RangeError('truncated');
      const { bytesRead } = await this.fh.read(this.buf, this.end, want, this.filePos);
      if (bytesRead === 0) throw new RangeError('truncated');
      this.filePos += bytesRead;
      this.end += bytesRead;
    }
  }

  async skip(n: number): Promise<void> {
    while (n > 0) {
      await this.need(Math.min(n, CHUNK, this.size - this.consumed));
      const k = Math.min(n, this.end - this.pos);
      this.pos += k;
      n -= k;
    }
  }
}
