import { createHash } from 'node:crypto';
import { constants, type BigIntStats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

const CHUNK = 1 << 20;

/** Default hashing limit: larger files are never read whole (Linux executables are far smaller). */
export const DEFAULT_MAX_HASH_BYTES = 512 * 1024 * 1024;

export interface Digest {
  sha256: string;
  /** dpkg records md5, so the package check can tell a modified package file from an intact one. */
  md5: string;
}

/**
 * Reads `fh` from the start, passing every chunk to `each` (the vault's encoder) while hashing.
 */
export async function digestHandle(fh: FileHandle, each?: (chunk: Buffer) => Promise<void>): Promise<Digest> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  const buf = Buffer.allocUnsafe(CHUNK);
  let pos = 0;
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
    if (bytesRead === 0) break;
    const chunk = buf.subarray(0, bytesRead);
    sha.update(chunk);
    md5.update(chunk);
    if (each) await each(chunk);
    pos += bytesRead;
  }
  return { sha256: sha.digest('hex'), md5: md5.digest('hex') };
}

/** Same inode, same version: what a cached digest or a verified copy is keyed on. */
export function versionKey(st: BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

export type HashResult =
  | { kind: 'ok'; digest: Digest; stat: BigIntStats }
  | { kind: 'not_regular' | 'too_large' | 'missing' | 'other_size' };

/**
 * Opens a file to hash it without disturbing it: O_NOATIME keeps the atime Quell records and
 * restores (only the owner or root may ask for it, hence the retry), O_NONBLOCK keeps a FIFO
 * named in a command line from blocking the scan (it is rejected as not regular right after).
 */
export async function openForDigest(path: string, follow: boolean): Promise<FileHandle> {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (follow ? 0 : constants.O_NOFOLLOW);
  try {
    return await open(path, flags | constants.O_NOATIME);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    return open(path, flags);
  }
}

/**
 * Hashes regular files, remembering digests per file version, because a scan of /proc meets
 * the same few executables (shells, node, python) in many processes.
 */
export class DigestCache {
  private readonly byVersion = new Map<string, Digest>();

  constructor(private readonly maxBytes: number = DEFAULT_MAX_HASH_BYTES) {}

  /**
   * `follow` false refuses a symlink at `path` (copies are hashed as found); true is for
   * `/proc/<pid>/exe`, itself a link to the image.
   */
  async hash(path: string, opts: { follow: boolean; onlySize?: bigint }): Promise<HashResult> {
    let fh: FileHandle;
    try {
      fh = await openForDigest(path, opts.follow);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') return { kind: 'not_regular' };
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ESRCH' || code === 'EACCES')
        return { kind: 'missing' };
      throw e;
    }
    try {
      const stat = await fh.stat({ bigint: true });
      if (!stat.isFile()) return { kind: 'not_regular' };
      if (stat.size > BigInt(this.maxBytes)) return { kind: 'too_large' };
      // A file of another size cannot have the hash; skipping it saves hashing every binary running.
      if (opts.onlySize !== undefined && stat.size !== opts.onlySize) {
        return { kind: 'other_size' };
      }
      const key = versionKey(stat);
      let digest = this.byVersion.get(key);
      if (!digest) {
        digest = await digestHandle(fh);
        this.byVersion.set(key, digest);
      }
      return { kind: 'ok', digest, stat };
    } finally {
      await fh.close();
    }
  }
}
