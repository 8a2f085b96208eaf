import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Requirement } from './requirements.js';

/** `user.*` xattrs work on the filesystem holding the temp dir (ext4, tmpfs since Linux 6.6…). */
export const USER_XATTRS: Requirement = {
  name: `user.* extended attributes on ${tmpdir()} (ext4, xfs, btrfs or tmpfs on Linux ≥ 6.6)`,
  check: () => {
    const dir = mkdtempSync(join(tmpdir(), 'quell-xattr-probe-'));
    try {
      const f = join(dir, 'probe');
      writeFileSync(f, '');
      execFileSync('setfattr', ['-n', 'user.quell', '-v', '1', f], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
export const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

/** What a file or link looked like, to compare after an undo. */
export interface Snapshot {
  kind: 'file' | 'symlink';
  bytes?: Buffer;
  target?: string;
  mode: number;
  uid: number;
  gid: number;
  mtimeNs: bigint;
}

/**
 * A throwaway device: a temp root with its own /etc/passwd, homes and persistence places, a
 * separate state dir, and the processes the test starts (the only ones it ever kills).
 */
export class QuarantineLab {
  readonly root = mkdtempSync(join(tmpdir(), 'quell-quar-root-'));
  readonly stateDir = mkdtempSync(join(tmpdir(), 'quell-quar-state-'));
  private readonly children: ChildProcess[] = [];

  constructor() {
    this.write(
      '/etc/passwd',
      'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n',
    );
    for (const d of ['/root', '/home/alice/.ssh', '/etc/cron.d', '/etc/systemd/system', '/tmp']) {
      mkdirSync(this.host(d), { recursive: true });
    }
  }

  /** Host path of a device path. */
  host(path: string): string {
    return join(this.root, path);
  }

  write(
    path: string,
    content: string | Buffer,
    opts: { mode?: number; uid?: number; gid?: number; mtime?: string } = {},
  ): string {
    const h = this.host(path);
    mkdirSync(dirname(h), { recursive: true });
    writeFileSync(h, content);
    chmodSync(h, opts.mode ?? 0o644);
    chownSync(h, opts.uid ?? 0, opts.gid ?? opts.uid ?? 0);
    if (opts.mtime) this.touch(path, opts.mtime, opts.mtime);
    return h;
  }

  copy(from: string, path: string, opts: { mode?: number; uid?: number } = {}): string {
    const h = this.host(path);
    mkdirSync(dirname(h), { recursive: true });
    copyFileSync(from, h);
    chmodSync(h, opts.mode ?? 0o755);
    chownSync(h, opts.uid ?? 0, opts.uid ?? 0);
    return h;
  }

  link(path: string, target: string): void {
    const h = this.host(path);
    mkdirSync(dirname(h), { recursive: true });
    symlinkSync(target, h);
  }

  /** Sets times to the nanosecond (`@secs.nanos`), for files or (`-h`) links. */
  touch(path: string, atime: string, mtime: string, noFollow = false): void {
    const h = noFollow ? ['-h'] : [];
    execFileSync('touch', [...h, '-a', '-d', `@${atime}`, this.host(path)]);
    execFileSync('touch', [...h, '-m', '-d', `@${mtime}`, this.host(path)]);
  }

  read(path: string): Buffer {
    return readFileSync(this.host(path));
  }

  exists(path: string): boolean {
    try {
      lstatSync(this.host(path));
      return true;
    } catch {
      return false;
    }
  }

  snapshot(path: string): Snapshot {
    const h = this.host(path);
    const st = lstatSync(h, { bigint: true });
    const base = {
      mode: Number(st.mode & 0o7777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
      mtimeNs: st.mtimeNs,
    };
    return st.isSymbolicLink()
      ? { kind: 'symlink', target: readlinkSync(h), ...base }
      : { kind: 'file', bytes: readFileSync(h), ...base };
  }

  xattr(path: string, name: string): string | null {
    try {
      return execFileSync('getfattr', ['--only-values', '-n', name, this.host(path)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      return null;
    }
  }

  setXattr(path: string, name: string, value: string): void {
    execFileSync('setfattr', ['-n', name, '-v', value, this.host(path)]);
  }

  /** Starts a real process and waits until /proc shows it running `expect` in its command line. */
  async start(file: string, args: string[], opts: { cwd?: string; expect: string }): Promise<ChildProcess> {
    const child = spawn(file, args, { stdio: 'ignore', ...(opts.cwd ? { cwd: opts.cwd } : {}) });
    this.children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    await until(() => {
      try {
        return readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').includes(opts.expect);
      } catch {
        return false;
      }
    });
    return child;
  }

  /** Resolves with the signal that ended `child` (it must end within `ms`). */
  static exited(child: ChildProcess, ms = 10_000): Promise<NodeJS.Signals | null> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`process ${child.pid} still running`)), ms);
      child.once('exit', (_code, signal) => {
        clearTimeout(t);
        resolve(signal);
      });
    });
  }

  /** Single-letter state from /proc (`S`, `T`…), null once gone. */
  static state(pid: number): string | null {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
    } catch {
      return null;
    }
  }

  /** Kills what the test started (only that) and removes both trees. */
  cleanup(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(this.root, { recursive: true, force: true });
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

export async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
