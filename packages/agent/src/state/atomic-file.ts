import { closeSync, fsync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { dirname, join, basename } from 'node:path';
import { StateError } from '../errors.js';

/**
 * Writes `data` to `path` so that a crash (or kill -9, or power loss) leaves either the old or
 * the new content, never a torn file: temp file in the same directory, fsync, rename, fsync of
 * the directory (so the rename itself is durable).
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: { mode?: number } = {},
): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'w', opts.mode ?? 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await publish(tmp, path);
}

/**
 * As {@link writeFileAtomic}, but `fill` produces the content in pieces through `write`, so a large
 * file (the indicator set, tens of MB) is never held as one buffer: a buffer that size is garbage
 * the moment it is written, and an idle agent may not collect it for a long time.
 *
 * Everything up to the last `write` runs synchronously within this call (directory, temp file,
 * `fill`, `writeSync`), so what `fill` reads from live state is one consistent state even when
 * changes arrive while the file is flushed. Returns the bytes written.
 */
export async function writeFileAtomicFrom(
  path: string,
  fill: (write: (chunk: Uint8Array) => void) => void,
  opts: { mode?: number } = {},
): Promise<number> {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'w', opts.mode ?? 0o600);
  let bytes = 0;
  try {
    fill((chunk) => {
      for (let o = 0; o < chunk.length;) o += writeSync(fd, chunk, o, chunk.length - o);
      bytes += chunk.length;
    });
    await promisify(fsync)(fd);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // Already gone; the error that matters is the one thrown below.
    }
    throw e;
  }
  closeSync(fd);
  await publish(tmp, path);
  return bytes;
}

/** A temp file next to `path` (same directory, so the rename is atomic). */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Renames the synced temp file over `path` (removing it if that fails) and syncs the directory. */
async function publish(tmp: string, path: string): Promise<void> {
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await syncDir(dirname(path));
}

async function syncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } catch {
    // Some filesystems (tmpfs variants, overlay) refuse fsync on a directory; the rename is
    // still atomic there, only its durability across power loss is weaker.
  } finally {
    await dh.close();
  }
}

/** Reads a JSON file; null when it does not exist. A corrupt file is a {@link StateError}. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StateError(`cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new StateError(`${path} is corrupt (not JSON); move it away to reset it`, { cause: e });
  }
}
