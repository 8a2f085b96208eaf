import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, open, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { FileRecord } from './report.schema.js';
import type { FileChange, FileType } from './sandbox.vocab.js';

/** One path of the world as it stood at a snapshot. */
export interface WorldEntry {
  type: FileType;
  size: number;
  mtimeMs: number;
  ino: number;
  sha256: string | null;
  linkTarget: string | null;
  /** Contents of small regular files, kept from the first snapshot to show what changed. */
  content: Buffer | null;
}

export type WorldSnapshot = Map<string, WorldEntry>;

export interface SnapshotOptions {
  /** Sandbox paths not to walk (mount points of /proc, /dev and the read-only system dirs). */
  skip: ReadonlySet<string>;
  /** Keep the contents of regular files up to this size. */
  keepContentBytes: number;
  /** An earlier snapshot: unchanged files (same inode, size and mtime) reuse its hash. */
  previous?: WorldSnapshot;
  /** Stop after this many paths (a sample may create millions); `truncated` is then set. */
  maxEntries: number;
}

/** Flags for reading files the sample controls: never follow a planted symlink, never block on a FIFO. */
const SAFE_READ = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  const fh = await open(file, SAFE_READ);
  // The stream closes the handle when it ends or fails.
  for await (const chunk of fh.createReadStream()) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The first `bytes` bytes of a regular file, read without following symlinks. */
export async function readHead(file: string, bytes: number): Promise<Buffer> {
  const fh = await open(file, SAFE_READ);
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function typeOf(st: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): FileType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

/**
 * Walks the world directory (the sandbox's `/` on the host) and records every path, hashing
 * regular files. Runs only while no sandboxed process is alive, so nothing changes under it.
 */
export async function snapshotWorld(
  root: string,
  opts: SnapshotOptions,
): Promise<{ entries: WorldSnapshot; truncated: boolean }> {
  const entries: WorldSnapshot = new Map();
  let truncated = false;
  const walk = async (p: string): Promise<void> => {
    for (const name of (await readdir(join(root, p)).catch(() => [])).sort()) {
      const child = posix.join(p, name);
      if (opts.skip.has(child)) continue;
      if (entries.size >= opts.maxEntries) {
        truncated = true;
        return;
      }
      const host = join(root, child);
      const st = await lstat(host).catch(() => null);
      if (!st) continue;
      const type = typeOf(st);
      const prev = opts.previous?.get(child);
      const same =
        prev &&
        prev.type === type &&
        prev.ino === st.ino &&
        prev.size === st.size &&
        prev.mtimeMs === st.mtimeMs;
      const entry: WorldEntry = {
        type,
        size: st.size,
        mtimeMs: st.mtimeMs,
        ino: st.ino,
        sha256: type === 'file' ? (same ? prev.sha256 : await sha256Of(host).catch(() => null)) : null,
        linkTarget: type === 'symlink' ? await readlink(host).catch(() => null) : null,
        content:
          type === 'file' && st.size <= opts.keepContentBytes
            ? await readHead(host, st.size).catch(() => null)
            : null,
      };
      entries.set(child, entry);
      if (type === 'directory') await walk(child);
    }
  };
  await walk('/');
  return { entries, truncated };
}

export interface WorldChange {
  path: string;
  change: FileChange;
  before: WorldEntry | null;
  after: WorldEntry | null;
}

/** What differs between two snapshots; a directory whose listing changed is not itself "modified". */
export function diffWorld(before: WorldSnapshot, after: WorldSnapshot): WorldChange[] {
  const out: WorldChange[] = [];
  for (const [path, a] of after) {
    const b = before.get(path);
    if (!b) out.push({ path, change: 'created', before: null, after: a });
    else if (
      b.type !== a.type ||
      (a.type === 'file' && (b.sha256 !== a.sha256 || b.size !== a.size)) ||
      (a.type === 'symlink' && b.linkTarget !== a.linkTarget)
    ) {
      out.push({ path, change: 'modified', before: b, after: a });
    }
  }
  for (const [path, b] of before)
    if (!after.has(path)) out.push({ path, change: 'deleted', before: b, after: null });
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

export interface CollectCaps {
  maxFiles: number;
  maxBytes: number;
}

/**
 * Turns world changes into file records and copies created or modified regular files to
 * `<outputDir>/files/<sha256>` (mode 0600, so a dropped binary is never executable there),
 * up to the caps: created files first (what the sample dropped), then modified ones. Returns
 * the records in path order and how many files were left uncopied.
 */
export async function collectFiles(
  root: string,
  changes: readonly WorldChange[],
  outputDir: string,
  caps: CollectCaps,
): Promise<{ files: FileRecord[]; skipped: number }> {
  const copied = new Set<string>();
  const refused = new Set<string>();
  let bytes = 0;
  const candidates = changes
    .filter((c) => c.after?.type === 'file' && c.after.sha256)
    .sort((a, b) => Number(a.change !== 'created') - Number(b.change !== 'created'));
  for (const c of candidates) {
    const after = c.after as WorldEntry;
    const sha = after.sha256 as string;
    if (copied.has(sha) || refused.has(sha)) continue;
    if (copied.size >= caps.maxFiles || bytes + after.size > caps.maxBytes) {
      refused.add(sha);
      continue;
    }
    await mkdir(join(outputDir, 'files'), { recursive: true });
    const dest = join(outputDir, 'files', sha);
    await copyFile(join(root, c.path), dest, constants.COPYFILE_EXCL).catch((e: unknown) => {
      // The same content from an earlier detonation already sits there: the name is its hash.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    });
    await chmod(dest, 0o600);
    copied.add(sha);
    bytes += after.size;
  }

  const files = changes.map((c): FileRecord => {
    const entry = (c.after ?? c.before) as WorldEntry;
    const sha = c.after?.type === 'file' ? c.after.sha256 : null;
    return {
      path: c.path,
      change: c.change,
      type: entry.type,
      size: c.after ? c.after.size : null,
      sha256: sha,
      artifact: sha && copied.has(sha) ? `files/${sha}` : null,
      linkTarget: c.after?.linkTarget ?? null,
    };
  });
  return { files, skipped: refused.size };
}

/**
 * Bytes held by regular files under the world and how many paths there are, stopping once
 * either passes its cap (the watchdog only needs to know that). Runs while the sample does: it
 * only lists directories and lstat()s, never opens files, so a directory the sample swaps for a
 * symlink mid-walk can skew the count but expose nothing.
 */
export async function measureWorld(
  root: string,
  skip: ReadonlySet<string>,
  caps: { bytes: number; entries: number },
): Promise<{ bytes: number; entries: number }> {
  let bytes = 0;
  let entries = 0;
  const walk = async (p: string): Promise<void> => {
    for (const d of await readdir(join(root, p), { withFileTypes: true }).catch(() => [])) {
      if (bytes > caps.bytes || entries > caps.entries) return;
      const child = posix.join(p, d.name);
      if (skip.has(child)) continue;
      entries++;
      if (d.isDirectory()) await walk(child);
      else if (d.isFile()) bytes += (await lstat(join(root, child)).catch(() => null))?.size ?? 0;
    }
  };
  await walk('/');
  return { bytes, entries };
}
