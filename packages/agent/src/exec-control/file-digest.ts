import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { ExecDigests } from '../ports.js';
import type { FileIdentity } from './helper-protocol.js';

/**
 * The digests of one file version, computed in a single read (lower-case hex): MD5 for dpkg's
 * checksums and MD5 indicators, SHA-1 and SHA-256 for hash indicators. The read dominates the
 * cost; the two extra digests add about a third to hashing a file the first time it runs.
 */
export type FileDigests = ExecDigests;

/** The file at the path is not the inode the helper reported (its fd was closed and reused). */
export class FileChangedError extends Error {
  constructor(readonly path: string) {
    super(`${path} is not the file the exec helper reported (it was answered or replaced meanwhile)`);
    this.name = 'FileChangedError';
  }
}

const CHUNK = 1 << 20;

/**
 * Hashes the file at `path` (normally `/proc/<helper>/fd/<n>`, the exact inode being executed)
 * after checking it still is the version `expect` describes. The check matters because a
 * digest is cached under that identity: hashing a different file would poison the cache.
 */
export async function digestFile(path: string, expect: FileIdentity): Promise<FileDigests> {
  const fh = await open(path, 'r');
  try {
    const st = await fh.stat({ bigint: true });
    if (
      st.dev !== expect.dev ||
      st.ino !== expect.ino ||
      st.size !== expect.size ||
      st.mtimeNs !== expect.mtimeNs ||
      st.ctimeNs !== expect.ctimeNs
    ) {
      throw new FileChangedError(path);
    }
    const md5 = createHash('md5');
    const sha1 = createHash('sha1');
    const sha256 = createHash('sha256');
    const buf = Buffer.allocUnsafe(CHUNK);
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      md5.update(chunk);
      sha1.update(chunk);
      sha256.update(chunk);
      pos += bytesRead;
    }
    return { md5: md5.digest('hex'), sha1: sha1.digest('hex'), sha256: sha256.digest('hex') };
  } finally {
    await fh.close();
  }
}
