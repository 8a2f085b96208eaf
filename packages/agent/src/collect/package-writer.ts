import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ZipWriter } from '@zip.js/zip.js';

/** Digest and size of the finished package, computed while it was written (no second read). */
export interface PackageDigest {
  sha256: string;
  sizeBytes: number;
}

/**
 * The package zip on disk. Entries are streamed one after the other straight to the file, so
 * memory holds one chunk at a time whatever the package size. zip.js runs without web workers:
 * the agent is a plain Node process and must stay small.
 */
export class PackageWriter {
  private readonly hash = createHash('sha256');
  private size = 0;
  private readonly zip: ZipWriter<unknown>;

  private constructor(
    readonly zipPath: string,
    private readonly fh: FileHandle,
  ) {
    const sink = new WritableStream<Uint8Array>({
      write: async (chunk) => {
        this.hash.update(chunk);
        this.size += chunk.byteLength;
        await this.fh.write(chunk);
      },
    });
    this.zip = new ZipWriter(sink, { useWebWorkers: false, keepOrder: true, level: 6 });
  }

  /** Creates the zip file; fails if it already exists rather than overwriting someone's file. */
  static async create(zipPath: string): Promise<PackageWriter> {
    return new PackageWriter(zipPath, await open(zipPath, 'wx', 0o600));
  }

  /** Adds one entry, reading `content` to its end. */
  async add(name: string, content: ReadableStream<Uint8Array> | string, modified: Date): Promise<void> {
    const stream =
      typeof content === 'string'
        ? new ReadableStream<Uint8Array>({
            start(c) {
              c.enqueue(Buffer.from(content, 'utf8'));
              c.close();
            },
          })
        : content;
    await this.zip.add(name, stream, { lastModDate: modified });
  }

  /** Writes the central directory and closes the file. */
  async finish(): Promise<PackageDigest> {
    await this.zip.close();
    await this.fh.close();
    return { sha256: this.hash.digest('hex'), sizeBytes: this.size };
  }

  /** Closes and deletes the partial file (abort or failure). Never throws. */
  async discard(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await rm(this.zipPath, { force: true }).catch(() => undefined);
  }
}
