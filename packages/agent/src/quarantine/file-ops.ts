import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { link, lstat, mkdir, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FileAttributes, Xattr } from './quarantine.ports.js';

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Mode (permission bits only), owner and times of a file, JSON-ready. */
export interface FileMeta {
  mode: number;
  uid: number;
  gid: number;
  atimeNs: string;
  mtimeNs: string;
}

export function fileMeta(st: BigIntStats): FileMeta {
  return {
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    atimeNs: st.atimeNs.toString(),
    mtimeNs: st.mtimeNs.toString(),
  };
}

export const timesOf = (m: { atimeNs: string; mtimeNs: string }) => ({
  atimeNs: BigInt(m.atimeNs),
  mtimeNs: BigInt(m.mtimeNs),
});

/** The file's content changed between reading it and replacing it. */
export class ChangedUnderfootError extends Error {
  constructor(readonly path: string) {
    super(`${path} changed while Quell was editing it; left as it is`);
    this.name = 'ChangedUnderfootError';
  }
}

const tempName = (path: string, random: (n: number) => Buffer): string =>
  join(dirname(path), `.${basename(path)}.quell-${random(6).toString('hex')}`);

/**
 * Replaces a file's content atomically (temp file + rename, so cron or a shell never reads a
 * torn file) keeping its mode, owner and xattrs (SELinux labels…). `expectSha256` guards
 * against a concurrent edit between the caller's read and this write.
 */
export async function replaceContent(
  path: string,
  data: Buffer,
  deps: { attrs: FileAttributes; random: (n: number) => Buffer; expectSha256: string },
): Promise<void> {
  const current = await readFile(path);
  if (sha256Hex(current) !== deps.expectSha256) throw new ChangedUnderfootError(path);
  const st = await lstat(path, { bigint: true });
  const xattrs = await deps.attrs.readXattrs(path);
  const tmp = tempName(path, deps.random);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.chown(Number(st.uid), Number(st.gid));
    await fh.chmod(Number(st.mode & 0o7777n));
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await deps.attrs.writeXattrs(tmp, xattrs);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

export interface NewFileSpec extends FileMeta {
  xattrs?: readonly Xattr[];
}

/**
 * Creates `path` with the given content and metadata, never replacing anything there: the file
 * is completed under a temp name (owner, mode, xattrs, times) and hard-linked into place, which
 * fails with EEXIST if the path was taken meanwhile. Returns false then (nothing changed).
 */
export async function createExclusive(
  path: string,
  write: (fh: FileHandle) => Promise<void>,
  spec: NewFileSpec,
  deps: { attrs: FileAttributes; random: (n: number) => Buffer },
): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = tempName(path, deps.random);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    try {
      await write(fh);
      // chown first: it clears setuid/setgid bits, which chmod then sets.
      await fh.chown(spec.uid, spec.gid);
      await fh.chmod(spec.mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await deps.attrs.writeXattrs(tmp, spec.xattrs ?? []);
    // Times last: any later write to the content would move mtime again.
    await deps.attrs.setTimes(tmp, timesOf(spec));
    try {
      await link(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
    return true;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** lstat that says null for "nothing there". */
export async function lstatOrNull(path: string): Promise<BigIntStats | null> {
  try {
    return await lstat(path, { bigint: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}
