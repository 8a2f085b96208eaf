import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { SourceMissingError, isAbsent } from './errors.js';

const CHUNK = 1 << 16;

/** Set by a source while it runs, for the summary. */
export interface SourceNotes {
  /** Why the item holds less than the whole source (e.g. only the tail of a log). */
  truncated?: string;
}

/**
 * Reads one regular file in chunks. Absent: `SourceMissingError`. With `tail`, a file larger
 * than `maxBytes` is read from `size - maxBytes` so the newest log lines are kept.
 */
export async function* fileSource(
  file: string,
  opts: { tail: boolean; maxBytes: number; notes: SourceNotes },
): AsyncGenerator<Uint8Array> {
  let fh;
  try {
    // O_NONBLOCK: opening a FIFO planted where a file is expected must not hang the job.
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (isAbsent(err)) throw new SourceMissingError(`${file} does not exist`, { cause: err });
    throw err;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error(`${file} is not a regular file`);
    let position = 0;
    if (opts.tail && st.size > opts.maxBytes) {
      position = st.size - opts.maxBytes;
      opts.notes.truncated = `kept the last ${opts.maxBytes} of ${st.size} bytes`;
    }
    for (;;) {
      // A fresh buffer per chunk: the zip writer may still hold the previous one.
      const buf = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await fh.read(buf, 0, CHUNK, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}
