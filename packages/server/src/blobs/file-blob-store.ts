import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { InputError, NotFoundError } from '@quell/core';
import type { Store } from '@quell/store';
import type { Clock } from '../ports.js';
import type { BlobRef, BlobStore, BlobWriter, PutOptions } from './blob-store.js';

const SHA256 = /^[a-f0-9]{64}$/;

/**
 * Blobs as files under `<dir>/ab/abcdef…` (the first two hex digits fan the directory out),
 * indexed by the `blobs` table. Content is written to `<dir>/tmp`, hashed as it is written and
 * renamed into place, so a blob file is always complete and named by what it holds.
 */
export class FileBlobStore implements BlobStore {
  private dirPath: string | null;

  /** `dir` null: a fresh temp directory, made on first use (tests, and services built without a data dir). */
  constructor(
    dir: string | null,
    private readonly store: Store,
    private readonly clock: Clock,
  ) {
    this.dirPath = dir;
  }

  private get dir(): string {
    this.dirPath ??= mkdtempSync(join(tmpdir(), 'quell-blobs-'));
    return this.dirPath;
  }

  pathOf(sha256: string): string {
    if (!SHA256.test(sha256))
      throw new InputError('A blob is named by a lower-case SHA-256 hex digest.', { sha256 });
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  async put(source: Readable | Uint8Array | { file: string }, opts: PutOptions = {}): Promise<BlobRef> {
    const w = await this.writer();
    try {
      const input =
        source instanceof Uint8Array
          ? Readable.from([source])
          : source instanceof Readable
            ? source
            : createReadStream(source.file);
      for await (const chunk of input) await w.write(chunk as Uint8Array);
      return await w.finish(opts);
    } catch (e) {
      await w.abort();
      throw e;
    }
  }

  async writer(): Promise<BlobWriter> {
    const tmpDir = join(this.dir, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `${Date.now()}-${randomBytes(8).toString('hex')}`);
    const out: WriteStream = createWriteStream(tmp, { flags: 'wx' });
    const hash = createHash('sha256');
    let size = 0;
    let done = false;
    const closed = new Promise<void>((resolve, reject) => {
      out.once('close', resolve);
      out.once('error', reject);
    });
    // Awaited by finish/abort; the no-op catch keeps an early write error from going unhandled.
    closed.catch(() => undefined);
    const close = async () => {
      if (!out.closed) out.end();
      await closed;
    };
    return {
      write: async (chunk) => {
        hash.update(chunk);
        size += chunk.byteLength;
        if (!out.write(chunk))
          await Promise.race([new Promise<void>((r) => out.once('drain', () => r())), closed]);
      },
      finish: async (opts = {}) => {
        done = true;
        await close();
        const sha256 = hash.digest('hex');
        if (opts.expectedSha256 !== undefined && opts.expectedSha256 !== sha256) {
          await rm(tmp, { force: true });
          throw new InputError('The content does not match its SHA-256; nothing was stored.', {
            expected: opts.expectedSha256,
            actual: sha256,
          });
        }
        const final = this.pathOf(sha256);
        await mkdir(join(this.dir, sha256.slice(0, 2)), { recursive: true });
        // Same name, same bytes: replacing an existing copy is harmless and keeps this atomic.
        await rename(tmp, final);
        await this.store.blobs.insert(this.store.db, {
          sha256,
          size,
          content_type: opts.contentType ?? 'application/octet-stream',
          created_at: this.clock.now(),
        });
        return { sha256, size };
      },
      abort: async () => {
        if (done) return;
        done = true;
        out.destroy();
        await closed.catch(() => undefined);
        await rm(tmp, { force: true });
      },
    };
  }

  async open(sha256: string): Promise<Readable> {
    const path = this.pathOf(sha256);
    if (!(await this.has(sha256))) throw new NotFoundError(`No blob ${sha256} is stored.`, { sha256 });
    return createReadStream(path);
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.size(sha256)) !== null;
  }

  /** The row says the blob exists; the file must too (a data directory restored without blobs). */
  async size(sha256: string): Promise<number | null> {
    if (!SHA256.test(sha256)) return null;
    const row = await this.store.blobs.get(sha256);
    if (!row) return null;
    try {
      return (await stat(this.pathOf(sha256))).size;
    } catch {
      // A missing file means the blob is gone, whatever the index says.
      return null;
    }
  }
}
