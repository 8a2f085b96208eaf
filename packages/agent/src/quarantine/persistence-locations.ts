import { lstat, readdir, readFile, realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import type { FsRoot } from './fs-root.js';
import type { LineKind } from './line-persistence.js';

/** An account from the device's passwd: whose home holds per-user persistence. */
export interface Account {
  name: string;
  uid: number;
  /** Device path. */
  home: string;
}

/** Reads `<root>/etc/passwd`; a missing file means no accounts (a bare test root). */
export async function readAccounts(root: FsRoot): Promise<Account[]> {
  let text: string;
  try {
    text = await readFile(root.toHost('/etc/passwd'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: Account[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || line.startsWith('#')) continue;
    const home = posix.normalize(f[5]!);
    if (!home.startsWith('/')) continue;
    out.push({ name: f[0]!, uid: Number(f[2]), home });
  }
  return out;
}

/** Accounts with distinct homes (several system accounts share `/` or `/nonexistent`). */
function distinctHomes(accounts: readonly Account[]): Account[] {
  const seen = new Set<string>();
  return accounts.filter((a) => !seen.has(a.home) && seen.add(a.home));
}

const SYSTEM_SHELL_RC = [
  '/etc/profile',
  '/etc/bash.bashrc',
  '/etc/bash.bash_logout',
  '/etc/zshenv',
  '/etc/zshrc',
];
const USER_SHELL_RC = [
  '.bashrc',
  '.profile',
  '.bash_profile',
  '.bash_login',
  '.bash_logout',
  '.zshrc',
  '.zshenv',
  '.zprofile',
  '.zlogin',
  '.zlogout',
];

/**
 * Regular files directly in a directory (device paths), skipping what is not a file. Reading a
 * directory that is not there is the common case (no cron.d on a minimal image), not an error.
 */
export async function filesIn(root: FsRoot, dir: string, suffix = ''): Promise<string[]> {
  const names = await readdir(root.toHost(dir)).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith(suffix)).map((n) => posix.join(dir, n));
}

export interface LineFile {
  kind: LineKind;
  /** Canonical device path (a symlinked dotfile resolves to the file it points at). */
  path: string;
}

/** Biggest persistence file read; larger ones are not configuration and are left alone. */
const MAX_LINE_FILE = 4 * 1024 * 1024;

/** Every existing line-edited persistence file: cron tables, shell start-up files, preload, keys, rc.local. */
export async function lineFiles(root: FsRoot, accounts: readonly Account[]): Promise<LineFile[]> {
  const homes = distinctHomes(accounts).map((a) => a.home);
  const candidates: [LineKind, string][] = [
    ['cron', '/etc/crontab'],
    ...(await filesIn(root, '/etc/cron.d')).map((p): [LineKind, string] => ['cron', p]),
    ...(await filesIn(root, '/var/spool/cron/crontabs')).map((p): [LineKind, string] => ['cron', p]),
    ...SYSTEM_SHELL_RC.map((p): [LineKind, string] => ['shell_rc', p]),
    ...(await filesIn(root, '/etc/profile.d')).map((p): [LineKind, string] => ['shell_rc', p]),
    ...(await filesIn(root, '/etc/zsh')).map((p): [LineKind, string] => ['shell_rc', p]),
    ...homes.flatMap((h) => USER_SHELL_RC.map((f): [LineKind, string] => ['shell_rc', posix.join(h, f)])),
    ['ld_preload', '/etc/ld.so.preload'],
    ...homes.flatMap((h) =>
      ['authorized_keys', 'authorized_keys2'].map((f): [LineKind, string] => [
        'authorized_keys',
        posix.join(h, '.ssh', f),
      ]),
    ),
    ['rc_local', '/etc/rc.local'],
  ];
  const out: LineFile[] = [];
  const seen = new Set<string>();
  for (const [kind, path] of candidates) {
    const canonical = await existingFile(root, path);
    if (canonical && !seen.has(canonical)) {
      seen.add(canonical);
      out.push({ kind, path: canonical });
    }
  }
  return out;
}

/**
 * The canonical device path of a regular file (following a symlink, as a shell or cron would),
 * or null when there is none, it is too big, or it resolves outside the root.
 */
export async function existingFile(root: FsRoot, path: string): Promise<string | null> {
  const host = root.toHost(path);
  const real = await realpath(host).catch(() => null);
  if (real === null) return null;
  const device = root.toDevice(real);
  if (device === null) return null;
  const st = await lstat(real);
  return st.isFile() && st.size <= MAX_LINE_FILE ? device : null;
}

/** A directory of systemd units and which manager reads it. */
export interface UnitDir {
  path: string;
  scope: 'system' | 'user';
  user?: string;
}

/** Where administrators (and attackers) put units: `/etc/systemd/system` and each user's `~/.config/systemd/user`. */
export function unitDirs(accounts: readonly Account[]): UnitDir[] {
  return [
    { path: '/etc/systemd/system', scope: 'system' },
    ...distinctHomes(accounts).map((a): UnitDir => ({
      path: posix.join(a.home, '.config/systemd/user'),
      scope: 'user',
      user: a.name,
    })),
  ];
}

/** XDG autostart directories: system-wide and each user's. */
export function autostartDirs(accounts: readonly Account[]): string[] {
  return [
    '/etc/xdg/autostart',
    ...distinctHomes(accounts).map((a) => posix.join(a.home, '.config/autostart')),
  ];
}
