import { createHash } from 'node:crypto';
import { createReadStream, readlinkSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { errorMessage } from '../errors.js';
import type { AgentEventSink } from '../events/agent-events.js';
import { silentLogger, type Logger } from '../log.js';
import type { FsRoot } from '../quarantine/fs-root.js';
import { userNames } from './passwd.js';

const DELETED = ' (deleted)';

/** Limits of the observer; the defaults keep it well under 1 % of a core on a busy host. */
export interface ExecObserverOptions {
  sink: AgentEventSink;
  /** Maps host paths to device paths; images outside it are not this device's (tests). */
  root: FsRoot;
  log?: Logger;
  now?: () => number;
  /** Where `/proc` is (tests may craft one). */
  procRoot?: string;
  /** Time between passes over the process table. Default 30 000 ms. */
  intervalMs?: number;
  /** Bytes hashed per pass at most (larger backlogs wait for later passes). Default 64 MiB. */
  hashBytesPerPass?: number;
  /** Images larger than this are never hashed (nor reported). Default 512 MiB. */
  maxImageBytes?: number;
  /** A running image is reported again after this long (the server's last seen). Default 1 hour. */
  reportEveryMs?: number;
  /** Images remembered (by device, inode, mtime, size). Default 20 000. */
  maxCached?: number;
}

interface Image {
  sha256: string | null;
  size: number;
}

/**
 * Files observed by execution (issue 4): every `intervalMs` it lists `/proc/<pid>/exe`, hashes
 * each image it has not hashed before, once (cached by device, inode, mtime and size, so a
 * rebuilt file is hashed again and a running one is not), and emits `file_observed` with source
 * `exec` and the user running it. The hash is read through `/proc/<pid>/exe`, so an image deleted
 * after it started is still hashed. Short-lived processes that start and end between two passes
 * are not seen: this is a sampler, not an audit of every exec.
 */
export class ExecObserver {
  private readonly images = new Map<string, Image>();
  private readonly reported = new Map<string, number>();
  private readonly o: Required<Omit<ExecObserverOptions, 'log' | 'now'>>;
  private readonly log: Logger;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(opts: ExecObserverOptions) {
    this.o = {
      procRoot: '/proc',
      intervalMs: 30_000,
      hashBytesPerPass: 64 * 1024 * 1024,
      maxImageBytes: 512 * 1024 * 1024,
      reportEveryMs: 3_600_000,
      maxCached: 20_000,
      ...opts,
    };
    this.log = opts.log ?? silentLogger;
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    void this.pass();
    this.timer = setInterval(() => void this.pass(), this.o.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass over the process table; a pass still running is joined rather than doubled. */
  pass(): Promise<void> {
    this.running ??= this.scan()
      .catch((e: unknown) => this.log.warn('observing executed images failed', { error: errorMessage(e) }))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async scan(): Promise<void> {
    const proc = this.o.procRoot;
    const pids = (await readdir(proc)).filter((n) => /^\d+$/.test(n));
    let budget = this.o.hashBytesPerPass;
    let users: Map<number, string> | null = null;
    const now = this.now();
    for (const pid of pids) {
      const exe = `${proc}/${pid}/exe`;
      // Kernel threads and exited processes have no image; without root others' are unreadable.
      // Synchronous on purpose: /proc answers from memory, and a thread-pool round trip per
      // process would cost more CPU than the call itself (a pass is a few ms on a busy host).
      const link = tryOr(() => readlinkSync(exe), null);
      if (link === null) continue;
      const hostPath = link.endsWith(DELETED) ? link.slice(0, -DELETED.length) : link;
      const path = this.o.root.toDevice(hostPath);
      if (path === null) continue;
      const st = tryOr(() => statSync(exe), null);
      if (!st?.isFile()) continue;
      const key = `${st.dev}:${st.ino}:${st.mtimeMs}:${st.size}`;
      let image = this.images.get(key);
      if (!image) {
        if (st.size > this.o.maxImageBytes) image = { sha256: null, size: st.size };
        else {
          // A pass hashes at most its budget (but always one image, however large).
          if (st.size > budget && budget < this.o.hashBytesPerPass) continue;
          budget -= st.size;
          const sha256 = await hashFile(exe).catch(() => null);
          if (sha256 === null) continue;
          image = { sha256, size: st.size };
        }
        this.remember(key, image);
      }
      if (!image.sha256) continue;
      const seenKey = `${key}\u0000${path}`;
      const last = this.reported.get(seenKey);
      if (last !== undefined && now - last < this.o.reportEveryMs) continue;
      this.reported.delete(seenKey);
      this.reported.set(seenKey, now);
      if (this.reported.size > this.o.maxCached) this.reported.delete(this.reported.keys().next().value!);
      users ??= await userNames(this.o.root);
      const uid = await uidOf(`${proc}/${pid}/status`);
      this.o.sink.emit({
        kind: 'file_observed',
        source: 'exec',
        path: path.slice(0, 4096),
        sha256: image.sha256,
        sha1: null,
        md5: null,
        size: image.size,
        user: uid === null ? null : (users.get(uid) ?? `uid:${uid}`),
        at: now,
      });
    }
  }

  private remember(key: string, image: Image): void {
    this.images.set(key, image);
    if (this.images.size > this.o.maxCached) this.images.delete(this.images.keys().next().value!);
  }
}

function tryOr<T, F>(fn: () => T, fallback: F): T | F {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

async function uidOf(statusPath: string): Promise<number | null> {
  const text = await readFile(statusPath, 'utf8').catch(() => '');
  const m = /^Uid:\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : null;
}

function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path, { highWaterMark: 256 * 1024 })
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}
