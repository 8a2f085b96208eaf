import { watch, type FSWatcher } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';

export interface PathWatcherOptions {
  /** Directories to watch with everything below them (host paths). Missing ones are skipped. */
  roots: readonly string[];
  /** A regular file was created, written or moved in, and then left alone for `settleMs`. */
  onFile: (path: string) => void;
  /** Subtrees never watched (the agent's state directory, its vault). */
  exclude?: readonly string[];
  /** Quiet time after the last event on a path before it is checked (ms). Default 200. */
  settleMs?: number;
  /** At most this many directories are watched (one inotify watch each). Default 8192. */
  maxDirs?: number;
  log: Logger;
}

/**
 * Watches directory trees for new and changed files with inotify, one watch per directory
 * (`fs.watch` without `recursive`: on Linux, Node 20's recursive mode adds a watch per file).
 * New subdirectories are watched as they appear, and the files already in them are reported,
 * since a whole tree can be moved in at once. Symlinks are not followed. Each path is reported
 * once its events have settled, so a file being written is hashed when complete, not per write.
 *
 * Limits: directories beyond `maxDirs` are not watched (logged once); a file written and
 * deleted within `settleMs` is never seen; inotify does not see writes made through other
 * mount namespaces' views of a different mount.
 */
export class PathWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly settleMs: number;
  private readonly maxDirs: number;
  private readonly exclude: readonly string[];
  private warnedFull = false;
  private stopped = false;

  constructor(private readonly o: PathWatcherOptions) {
    this.settleMs = o.settleMs ?? 200;
    this.maxDirs = o.maxDirs ?? 8192;
    this.exclude = o.exclude ?? [];
  }

  /** Directories watched now. */
  get watched(): number {
    return this.watchers.size;
  }

  /** Watches every existing root (resolves once all their subdirectories are watched). */
  async start(): Promise<void> {
    for (const root of this.o.roots) await this.addTree(root, false);
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }

  private excluded(path: string): boolean {
    return this.exclude.some((x) => path === x || path.startsWith(`${x}/`));
  }

  /** Watches `dir` and its subdirectories; `report` also reports the files found (a tree moved in). */
  private async addTree(dir: string, report: boolean): Promise<void> {
    const stack = [dir];
    while (stack.length && !this.stopped) {
      const d = stack.pop()!;
      if (this.watchers.has(d) || this.excluded(d)) continue;
      const st = await lstat(d).catch(() => null);
      if (!st?.isDirectory()) continue;
      if (!this.addWatch(d)) return;
      const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const p = join(d, e.name);
        if (e.isDirectory()) stack.push(p);
        else if (report && e.isFile()) this.schedule(p);
      }
    }
  }

  private addWatch(dir: string): boolean {
    if (this.watchers.size >= this.maxDirs) {
      this.warnFull(dir, `remediation.maxWatchedDirs (${this.maxDirs}) is reached`);
      return false;
    }
    try {
      const w = watch(dir, { persistent: false }, (_event, name) => {
        if (name) this.schedule(join(dir, name.toString()));
      });
      w.on('error', () => {
        // The directory went away (or its watch did): forget it; its parent reports a new one.
        w.close();
        if (this.watchers.get(dir) === w) this.watchers.delete(dir);
      });
      this.watchers.set(dir, w);
      return true;
    } catch (e) {
      // ENOSPC: the kernel's inotify watch limit (fs.inotify.max_user_watches) is reached.
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') {
        this.warnFull(dir, 'the kernel inotify watch limit (fs.inotify.max_user_watches) is reached');
        return false;
      }
      this.o.log.debug('remediation watcher: cannot watch', { dir, error: String(e) });
      return true;
    }
  }

  private warnFull(at: string, why: string): void {
    if (this.warnedFull) return;
    this.warnedFull = true;
    this.o.log.warn('remediation watcher: not watching every directory; copies there wait for a scan', {
      why,
      at,
      watched: this.watchers.size,
    });
  }

  private schedule(path: string): void {
    if (this.stopped || this.excluded(path)) return;
    const prev = this.pending.get(path);
    if (prev) clearTimeout(prev);
    this.pending.set(
      path,
      setTimeout(() => {
        this.pending.delete(path);
        void this.settled(path);
      }, this.settleMs),
    );
  }

  private async settled(path: string): Promise<void> {
    const st = await lstat(path).catch(() => null);
    if (!st || this.stopped) return;
    if (st.isDirectory()) {
      if (!this.watchers.has(path)) await this.addTree(path, true);
      return;
    }
    if (st.isFile()) this.o.onFile(path);
  }
}
