import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** Receives a file's bytes as they are read (the clamd stream), in order. */
export type ChunkSink = (chunk: Buffer) => Promise<void> | void;

export type ReadOutcome =
  | { kind: 'read'; sha256: string; size: number; head: Buffer }
  | { kind: 'too_big'; size: number }
  | { kind: 'unreadable'; error: string };

/** Bytes of the file start kept for content checks (EICAR needs ≤ 128). */
export const HEAD_BYTES = 128;
const CHUNK_BYTES = 1 << 20;

/**
 * Reads one file once, hashing it and handing each chunk to `sinks`; `between` runs between
 * chunks (CPU pacing, abort checks) so one huge file cannot overrun the CPU cap.
 * Opened with O_NOFOLLOW (a file swapped for a symlink after the walk is not followed) and
 * O_NONBLOCK (one swapped for a FIFO cannot hang the scan), then checked to be a regular file.
 */
export async function readAndHash(
  path: string,
  opts: {
    maxBytes: number;
    buffer: Buffer;
    sinks: readonly ChunkSink[];
    between: () => Promise<void>;
    /** /proc/<pid>/exe links must be followed: that is how deleted images are read. */
    followLink?: boolean;
  },
): Promise<ReadOutcome> {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (opts.followLink ? 0 : constants.O_NOFOLLOW);
  let fh;
  try {
    fh = await open(path, flags);
  } catch (err) {
    return { kind: 'unreadable', error: (err as Error).message };
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { kind: 'unreadable', error: 'not a regular file' };
    if (st.size > opts.maxBytes) return { kind: 'too_big', size: st.size };
    const hash = createHash('sha256');
    const buf = opts.buffer.length >= CHUNK_BYTES ? opts.buffer : Buffer.allocUnsafe(CHUNK_BYTES);
    let size = 0;
    let head = Buffer.alloc(0);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      // A copy: `buf` is reused, sinks may hold chunks past this iteration.
      const chunk = opts.sinks.length ? Buffer.from(buf.subarray(0, bytesRead)) : buf.subarray(0, bytesRead);
      if (size < HEAD_BYTES) {
        head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - size)]);
      }
      size += bytesRead;
      hash.update(chunk);
      for (const sink of opts.sinks) await sink(chunk);
      // Files can grow while read; the cap holds for what is read, not just the stat.
      if (size > opts.maxBytes) return { kind: 'too_big', size };
      // A short read that reached the stat size is the end: saves one read per small file,
      // a fifth of the syscalls on a typical tree (bytes appended meanwhile are not scanned).
      if (bytesRead < buf.length && size >= st.size) break;
      if (bytesRead === buf.length) await opts.between();
    }
    return { kind: 'read', sha256: hash.digest('hex'), size, head };
  } catch (err) {
    return { kind: 'unreadable', error: (err as Error).message };
  } finally {
    await fh.close().catch(() => undefined);
  }
}
