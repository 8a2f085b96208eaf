import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfAborted } from './scan.errors.js';

/** What the walk must leave alone. */
export interface WalkOptions {
  /** Absolute directory paths not to enter (pseudo filesystem mount points). */
  skipDirs: ReadonlySet<string>;
  signal: AbortSignal;
}

/**
 * Yields the regular files under each root, depth first, without following symlinks and without
 * entering `skipDirs`. FIFOs, sockets and devices are never yielded: opening a FIFO blocks.
 * Unreadable directories are skipped silently: the scan runs as root, so those are mostly
 * vanished temp dirs, and one missing dir must not fail a scan of the rest.
 */
export async function* walkFiles(
  roots: readonly string[],
  opts: WalkOptions,
): AsyncGenerator<string, void, undefined> {
  for (const root of roots) {
    const st = await lstat(root).catch(() => null);
    if (!st) continue;
    if (st.isFile()) {
      yield root;
      continue;
    }
    if (!st.isDirectory() || opts.skipDirs.has(root)) continue;
    const stack = [root];
    let dir: string | undefined;
    while ((dir = stack.pop()) !== undefined) {
      throwIfAborted(opts.signal);
      const handle = await opendir(dir, { bufferSize: 256 }).catch(() => null);
      if (!handle) continue;
      const subdirs: string[] = [];
      for await (const ent of handle) {
        const path = join(dir, ent.name);
        let isFile = ent.isFile();
        let isDir = ent.isDirectory();
        // Some filesystems do not fill d_type; only then pay for an lstat.
        if (!isFile && !isDir && !ent.isSymbolicLink() && isUnknownType(ent)) {
          const s = await lstat(path).catch(() => null);
          isFile = s?.isFile() ?? false;
          isDir = s?.isDirectory() ?? false;
        }
        if (isFile) yield path;
        else if (isDir && !opts.skipDirs.has(path)) subdirs.push(path);
      }
      // Reversed so the stack pops them in directory order: stable, readable progress.
      for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
    }
  }
}

function isUnknownType(ent: {
  isBlockDevice(): boolean;
  isCharacterDevice(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
}): boolean {
  return !ent.isBlockDevice() && !ent.isCharacterDevice() && !ent.isFIFO() && !ent.isSocket();
}
