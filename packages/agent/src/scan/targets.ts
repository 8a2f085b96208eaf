import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';

/**
 * Where a quick scan looks, relative to fsRoot. A `*` matches within one path segment (like a
 * shell glob; dot entries excluded). Chosen for where droppers and persistence land: temp dirs
 * (world-writable), users' downloads and caches (browser downloads, pip/npm caches), and every
 * common autostart mechanism (XDG autostart, cron, systemd system and user units, SysV init,
 * rc.local, login profile scripts).
 */
export const QUICK_LOCATIONS = [
  'tmp',
  'var/tmp',
  'dev/shm',
  'home/*/Downloads',
  'home/*/.cache',
  'root/Downloads',
  'root/.cache',
  'etc/xdg/autostart',
  'home/*/.config/autostart',
  'etc/cron*',
  'var/spool/cron',
  'etc/systemd/system',
  'home/*/.config/systemd/user',
  'etc/init.d',
  'etc/rc.local',
  'etc/profile.d',
] as const;

/** A file to scan: where to open it and the path to report (as seen on the device). */
export interface ScanTarget {
  readPath: string;
  reportPath: string;
  /** Follow a symlink at `readPath` (only `/proc/<pid>/exe`, how deleted images are read). */
  followLink?: boolean;
}

/** `fsRoot`-relative path → the device path reported in detections ('/'-rooted). */
export function devicePath(fsRoot: string, readPath: string): string {
  const rel = posix.relative(fsRoot, readPath);
  return '/' + rel;
}

function segmentMatcher(pattern: string): (name: string) => boolean {
  if (!pattern.includes('*')) return (name) => name === pattern;
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
  return (name) => !name.startsWith('.') && re.test(name);
}

/**
 * Expands one {@link QUICK_LOCATIONS} pattern under `fsRoot` to the existing paths it names
 * (files or directories). Symlinked segments are not followed, so a link planted in a home
 * directory cannot steer the scan elsewhere.
 */
export async function expandLocation(fsRoot: string, pattern: string): Promise<string[]> {
  let current = [fsRoot];
  for (const segment of pattern.split('/')) {
    const next: string[] = [];
    for (const dir of current) {
      if (!segment.includes('*')) {
        next.push(join(dir, segment));
        continue;
      }
      const names = await readdir(dir).catch(() => [] as string[]);
      const match = segmentMatcher(segment);
      for (const name of names.sort()) if (match(name)) next.push(join(dir, name));
    }
    current = [];
    for (const p of next) {
      const st = await lstat(p).catch(() => null);
      if (st && !st.isSymbolicLink()) current.push(p);
    }
  }
  return current;
}

/** All quick-scan roots under `fsRoot`, in {@link QUICK_LOCATIONS} order, without duplicates. */
export async function quickRoots(fsRoot: string): Promise<string[]> {
  const seen = new Set<string>();
  for (const pattern of QUICK_LOCATIONS) {
    for (const p of await expandLocation(fsRoot, pattern)) seen.add(p);
  }
  return [...seen];
}

const DELETED_SUFFIX = ' (deleted)';

/**
 * Images of running processes. Each is read through `/proc/<pid>/exe`, which still opens the
 * binary after it was deleted from disk (a common trick: run, then unlink); the reported path is
 * the link's target. Processes that vanish or deny access are skipped; kernel threads have no exe.
 */
export async function processImages(procRoot: string): Promise<ScanTarget[]> {
  const entries = await readdir(procRoot).catch(() => [] as string[]);
  const byPath = new Map<string, ScanTarget>();
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    const link = join(procRoot, pid, 'exe');
    const target = await readlink(link).catch(() => null);
    if (!target?.startsWith('/')) continue;
    const reportPath = target.endsWith(DELETED_SUFFIX) ? target.slice(0, -DELETED_SUFFIX.length) : target;
    if (!byPath.has(reportPath)) byPath.set(reportPath, { readPath: link, reportPath, followLink: true });
  }
  return [...byPath.values()];
}
