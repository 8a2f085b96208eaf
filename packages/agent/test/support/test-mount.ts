import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway tree with its own mounts, for tests that put fanotify marks on them. */
export interface TestMount {
  /** The temp root T (use as `fsRoot`). */
  root: string;
  /** T/tmp: a fresh writable tmpfs. */
  writableDir: string;
  /** T/usr/bin: a read-only bind mount of the host's /usr/bin (package-owned files). */
  packageBinDir: string;
  /** The mount points to mark: only these, never the host's own mounts. */
  marks: string[];
  /** Unmounts (lazily if busy) and removes T. Idempotent; also runs at process exit. */
  cleanup(): void;
}

function mountPointsUnder(root: string): string[] {
  // Field 5 of mountinfo is the mount point, with spaces etc. octal-escaped.
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4]?.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m): m is string => !!m && (m === root || m.startsWith(`${root}/`)));
}

function mountOptions(path: string): string[] {
  return execFileSync('findmnt', ['-no', 'OPTIONS', '--mountpoint', path], { encoding: 'utf8' })
    .trim()
    .split(',');
}

/**
 * Builds T with a tmpfs at T/tmp and a read-only bind of /usr/bin at T/usr/bin. Needs root.
 *
 * Removal never recurses: T/usr/bin shows the host's /usr/bin while mounted, so only empty
 * directories are removed, and only after mountinfo shows nothing mounted under T.
 */
export function createTestMount(): TestMount {
  const root = mkdtempSync(join(tmpdir(), 'quell-exec-'));
  const writableDir = join(root, 'tmp');
  const packageBinDir = join(root, 'usr', 'bin');
  mkdirSync(writableDir);
  mkdirSync(packageBinDir, { recursive: true });

  let done = false;
  const cleanup = (): void => {
    if (done) return;
    done = true;
    process.off('exit', cleanup);
    for (const m of mountPointsUnder(root).reverse()) {
      try {
        execFileSync('umount', [m], { stdio: 'ignore' });
      } catch {
        // Busy (a process still runs from it): detach now, the kernel frees it when unused.
        execFileSync('umount', ['-l', m], { stdio: 'ignore' });
      }
    }
    const left = mountPointsUnder(root);
    if (left.length) throw new Error(`test mounts still present, not removing ${root}: ${left.join(', ')}`);
    for (const d of [writableDir, packageBinDir, join(root, 'usr'), root]) rmdirSync(d);
  };
  process.on('exit', cleanup);

  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=1777', 'quell-test', writableDir]);
    // `--bind -o ro` remounts only this bind read-only; a plain `remount,ro` would hit the host's filesystem.
    execFileSync('mount', ['--bind', '-o', 'ro', '/usr/bin', packageBinDir]);
    if (!mountOptions(packageBinDir).includes('ro')) throw new Error(`${packageBinDir} is not read-only`);
  } catch (e) {
    cleanup();
    throw e;
  }
  return { root, writableDir, packageBinDir, marks: [writableDir, packageBinDir], cleanup };
}
