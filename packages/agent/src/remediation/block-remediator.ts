import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { AgentEvent, AgentEventSink, RemediationOutcome } from '../events/agent-events.js';
import type { IndicatorMatch } from '../indicators/indicator-sync.types.js';
import type { Logger } from '../log.js';
import type { ExecDigests } from '../ports.js';
import type { FileQuarantine } from '../quarantine/file-quarantine.js';
import { QuarantineRefusedError } from '../quarantine/quarantine.errors.js';

/** The winning hash indicator for a file's digests (a {@link StoreHashBlocklist}). */
export interface HashWinner {
  winner(d: Partial<ExecDigests> & { sha256: string }): IndicatorMatch | null;
}

export interface BlockRemediatorOptions {
  indicators: HashWinner;
  /** The agent's one quarantine (shared with the quarantine and restore actions). */
  quarantine: () => Promise<FileQuarantine>;
  /** Filesystem root the device paths live under (`/` on a device). */
  fsRoot: string;
  events: AgentEventSink;
  log: Logger;
  /** Larger files are not hashed, so never remediated. Default 512 MiB (as the quarantine). */
  maxHashBytes?: number;
  now?: () => number;
}

/** What remediating one copy did (also the scan's evidence). */
export interface RemediationRecord {
  path: string;
  sha256: string;
  indicatorId: string;
  outcome: RemediationOutcome;
  /** Vault entry, when quarantined. */
  entryId: string | null;
  error: string | null;
}

const CHUNK = 1 << 20;

/** The action id recorded in the vault manifest of a copy remediated for an indicator. */
export const remediationActionId = (indicatorId: string): string => `indicator:${indicatorId}`;

/**
 * "Block and remediate" for hash indicators (issue 4): quarantines a copy of a file whose winning
 * hash indicator is `block_and_remediate`, through the agent's {@link FileQuarantine} (so a
 * responder can restore it from the vault, and its refusals hold: package-owned paths, hashes an
 * allow indicator covers), and emits one `remediated` event per copy. Checks run one at a time
 * and the same path is not queued twice, so a burst of writes costs one hash per file.
 */
export class BlockRemediator {
  private readonly maxHashBytes: number;
  private readonly now: () => number;
  private readonly queued = new Set<string>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: BlockRemediatorOptions) {
    this.maxHashBytes = o.maxHashBytes ?? 512 * 1024 * 1024;
    this.now = o.now ?? Date.now;
  }

  /**
   * Checks the file at `hostPath` (a path under fsRoot) and remediates it when a
   * block-and-remediate indicator wins for one of its hashes. Null when nothing was done.
   */
  check(hostPath: string): Promise<RemediationRecord | null> {
    if (this.queued.has(hostPath)) return Promise.resolve(null);
    this.queued.add(hostPath);
    return this.serial(async () => {
      this.queued.delete(hostPath);
      const devicePath = this.devicePath(hostPath);
      if (devicePath === null) return null;
      const digests = await this.digest(hostPath).catch((e: unknown) => {
        this.o.log.debug('remediation: cannot hash', { path: hostPath, error: String(e) });
        return null;
      });
      if (!digests) return null;
      const w = this.o.indicators.winner(digests);
      if (w?.action !== 'block_and_remediate') return null;
      const [r] = await this.quarantine(devicePath, digests.sha256, w.id);
      return r ?? null;
    });
  }

  /**
   * Remediates copies a scan found (device paths, SHA-256 known): those whose winning indicator
   * is `block_and_remediate` are quarantined. Returns one record per copy acted on.
   */
  remediateFound(found: readonly { path: string; sha256: string }[]): Promise<RemediationRecord[]> {
    return this.serial(async () => {
      const out: RemediationRecord[] = [];
      const bySha = new Map<string, Set<string>>();
      for (const f of found) bySha.set(f.sha256, (bySha.get(f.sha256) ?? new Set()).add(f.path));
      for (const [sha256, set] of bySha) {
        const paths = [...set];
        const w = this.o.indicators.winner({ sha256 });
        if (w?.action !== 'block_and_remediate') continue;
        out.push(...(await this.quarantine(paths, sha256, w.id)));
      }
      return out;
    });
  }

  private async quarantine(
    paths: string | readonly string[],
    sha256: string,
    indicatorId: string,
  ): Promise<RemediationRecord[]> {
    const list = typeof paths === 'string' ? [paths] : paths;
    const records: RemediationRecord[] = [];
    const record = (r: Omit<RemediationRecord, 'sha256' | 'indicatorId'>): void => {
      records.push({ ...r, sha256, indicatorId });
    };
    try {
      const fq = await this.o.quarantine();
      const out = await fq.quarantine({ sha256, paths: list, actionId: remediationActionId(indicatorId) });
      for (const f of out.files)
        record({ path: f.path, outcome: 'quarantined', entryId: f.entryId, error: null });
      for (const s of out.skipped) {
        // Gone before we got to it (moved, deleted, already quarantined): nothing to report.
        if (s.reason === 'missing' || s.reason === 'hash_mismatch') continue;
        record({
          path: s.path,
          outcome: 'failed',
          entryId: null,
          error: `skipped: ${s.reason}${s.detail ? ` (${s.detail})` : ''}`,
        });
      }
    } catch (e) {
      const refused = e instanceof QuarantineRefusedError;
      const error = e instanceof Error ? e.message : String(e);
      for (const path of list)
        record({ path, outcome: refused ? 'refused' : 'failed', entryId: null, error });
    }
    for (const r of records) {
      const log = r.outcome === 'quarantined' ? this.o.log.info : this.o.log.warn;
      log.call(this.o.log, 'block-and-remediate indicator: copy remediated', { ...r });
      this.emit({
        kind: 'remediated',
        path: r.path,
        sha256: r.sha256,
        indicatorId: r.indicatorId,
        quarantineId: r.entryId,
        outcome: r.outcome,
        error: r.error,
        at: this.now(),
      });
    }
    return records;
  }

  private emit(e: AgentEvent): void {
    try {
      this.o.events.emit(e);
    } catch (err) {
      // The copy is quarantined whatever the sink does; its failure is only logged.
      this.o.log.warn('device event sink threw', { error: String(err) });
    }
  }

  private devicePath(hostPath: string): string | null {
    const root = this.o.fsRoot.length > 1 ? this.o.fsRoot.replace(/\/+$/, '') : this.o.fsRoot;
    if (root === '/') return hostPath;
    return hostPath.startsWith(`${root}/`) ? hostPath.slice(root.length) : null;
  }

  /** SHA-256, SHA-1 and MD5 in one read; null for anything but a regular file within the limit. */
  private async digest(path: string): Promise<ExecDigests | null> {
    let fh: FileHandle;
    try {
      // No symlinks (a link to /usr/bin/x is not a dropped copy) and never block on a FIFO.
      fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      return null;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile() || st.size > this.maxHashBytes) return null;
      const h = { sha256: createHash('sha256'), sha1: createHash('sha1'), md5: createHash('md5') };
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(st.size, 1)));
      for (let pos = 0; ;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        h.sha256.update(chunk);
        h.sha1.update(chunk);
        h.md5.update(chunk);
        pos += bytesRead;
      }
      return { sha256: h.sha256.digest('hex'), sha1: h.sha1.digest('hex'), md5: h.md5.digest('hex') };
    } finally {
      await fh.close();
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
