import { realpath } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { DigestCache } from './content-hash.js';
import type { FsRoot } from './fs-root.js';
import type { ProcessSnapshot, ProcessTable } from './quarantine.ports.js';
import { interpreterName, scriptArgument } from './script-argument.js';

/** A process whose executable or script is the file being quarantined. */
export interface ImageMatch {
  snap: ProcessSnapshot;
  via: 'exe' | 'script';
  /** Device path of the image (for a deleted executable, where it was). */
  path: string;
  /** The executable was deleted from disk: there is no copy at `path` to move. */
  deleted: boolean;
}

export interface ProcessScannerOptions {
  table: ProcessTable;
  root: FsRoot;
  digests: DigestCache;
  sha256: string;
  /** When known (a verified copy), images of another size are not hashed. */
  size?: bigint;
  /** Never matched: the agent itself, init. */
  exclude: ReadonlySet<number>;
}

/**
 * Finds processes running the file: by executable image (`/proc/<pid>/exe`, readable even after
 * the file was deleted) or, for interpreters, by the script named on the command line resolved
 * against the process's cwd. Both by path and by content: the image must lie under the agent's
 * root and have the SHA-256, so a copy elsewhere with the same bytes (a renamed `/usr/bin/sleep`
 * versus the real one) never takes an unrelated process down with it.
 */
export class ProcessScanner {
  constructor(private readonly o: ProcessScannerOptions) {}

  async scan(): Promise<ImageMatch[]> {
    const out: ImageMatch[] = [];
    for (const pid of await this.o.table.pids()) {
      if (this.o.exclude.has(pid)) continue;
      const snap = await this.o.table.read(pid);
      const m = snap && (await this.match(snap));
      if (m) out.push(m);
    }
    return out;
  }

  /** Whether `snap` runs the file; null for zombies, kernel threads and everything else. */
  async match(snap: ProcessSnapshot): Promise<ImageMatch | null> {
    if (snap.state === 'Z' || snap.state === 'X' || this.o.exclude.has(snap.pid)) return null;
    if (snap.exe) {
      const path = this.o.root.toDevice(snap.exe);
      if (path !== null && (await this.isTarget(this.o.table.imagePath(snap.pid), true))) {
        return { snap, via: 'exe', path, deleted: snap.exeDeleted };
      }
    }
    const interpreter = interpreterName(snap.exe, snap.argv[0]);
    const arg = interpreter ? scriptArgument(interpreter, snap.argv) : null;
    if (!arg) return null;
    const written = isAbsolute(arg) ? arg : snap.cwd ? join(snap.cwd, arg) : null;
    const host = written && (await realpath(written).catch(() => null));
    const path = host && this.o.root.toDevice(host);
    if (!host || !path || !(await this.isTarget(host, false))) return null;
    return { snap, via: 'script', path, deleted: false };
  }

  private async isTarget(path: string, follow: boolean): Promise<boolean> {
    const r = await this.o.digests.hash(path, {
      follow,
      ...(this.o.size !== undefined ? { onlySize: this.o.size } : {}),
    });
    return r.kind === 'ok' && r.digest.sha256 === this.o.sha256;
  }
}
