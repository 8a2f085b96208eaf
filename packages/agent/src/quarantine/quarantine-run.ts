import type { BigIntStats } from 'node:fs';
import { realpath, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ParamsError } from '../errors.js';
import { DigestCache, openForDigest, versionKey } from './content-hash.js';
import { fileMeta, lstatOrNull } from './file-ops.js';
import { FsRoot, normaliseDevicePath } from './fs-root.js';
import { MANIFEST_VERSION, type Manifest } from './manifest.js';
import { PackageOwnership } from './package-ownership.js';
import { readAccounts, type Account } from './persistence-locations.js';
import { PersistenceRemover } from './persistence-remover.js';
import { ProcessScanner, type ImageMatch } from './process-scan.js';
import { ProcessStopper } from './process-stopper.js';
import type { QuarantineDeps } from './quarantine-deps.js';
import { QuarantineProcessError, QuarantineRefusedError, type Refusal } from './quarantine.errors.js';
import type { KilledProcess, QuarantineOutcome, QuarantineRequest, SkipReason } from './quarantine.types.js';
import { CONTENT_FILE, type QuarantineVault } from './vault.js';

const HEX64 = /^[0-9a-f]{64}$/;

interface Copy {
  /** Canonical device path. */
  path: string;
  /** Every device path it was known by (hint as given, canonical, process image). */
  names: Set<string>;
  /** lstat before anything read it: the atime to restore, the version to move. */
  pre: BigIntStats;
  md5: string;
}

interface Killed {
  match: ImageMatch;
  record: KilledProcess;
}

type AddResult = { ok: true } | { ok: false; reason: SkipReason; detail?: string };

/** One quarantine action, from the allow check to the last persistence item. */
export class QuarantineRun {
  private readonly copies = new Map<string, Copy>();
  private readonly outcome: QuarantineOutcome;
  private readonly digests: DigestCache;
  private root!: FsRoot;
  private protectedPaths: string[] = [];

  constructor(
    private readonly d: QuarantineDeps,
    private readonly vault: QuarantineVault,
    private readonly req: QuarantineRequest,
  ) {
    const sha256 = req.sha256.toLowerCase();
    if (!HEX64.test(sha256))
      throw new ParamsError(`sha256 must be 64 hex characters, got ${JSON.stringify(req.sha256)}`);
    this.digests = new DigestCache(d.maxHashBytes);
    this.outcome = {
      sha256,
      processesKilled: [],
      files: [],
      persistenceRemoved: [],
      skipped: [],
      alreadyQuarantined: [],
      persistenceSuspected: [],
      persistenceErrors: [],
      serviceCalls: [],
      counts: { processesKilled: 0, filesQuarantined: 0, persistenceRemoved: 0 },
    };
  }

  private get sha256(): string {
    return this.outcome.sha256;
  }

  /**
   * Phases, in an order that keeps refusals free of side effects: find copies (hints and
   * running images), refuse, stop and kill, then move each copy and clean its persistence.
   */
  async run(): Promise<QuarantineOutcome> {
    if (await this.d.isAllowed(this.sha256)) {
      throw new QuarantineRefusedError([
        {
          path: null,
          reason: 'allowed',
          detail: `sha256 ${this.sha256} is covered by an allow indicator; remove the indicator first to quarantine it`,
        },
      ]);
    }
    this.root = await FsRoot.open(this.d.fsRoot);
    this.protectedPaths = await Promise.all(
      [this.d.stateDir, process.execPath].map((p) => realpath(p).catch(() => p)),
    );
    const inVault = (await this.vault.list()).filter((m) => m.file.sha256 === this.sha256);
    await this.addHints(inVault);

    const known =
      [...this.copies.values()][0]?.pre.size ?? (inVault[0] ? BigInt(inVault[0].file.size) : undefined);
    const scanner = new ProcessScanner({
      table: this.d.processes,
      root: this.root,
      digests: this.digests,
      sha256: this.sha256,
      ...(known !== undefined ? { size: known } : {}),
      exclude: new Set([process.pid, 1]),
    });
    const first = await scanner.scan();
    for (const m of first) await this.addImage(m);

    const ownership = await PackageOwnership.load(this.d.dpkgDir);
    this.refuseOwned(ownership, first);

    this.req.signal?.throwIfAborted();
    const accounts = await readAccounts(this.root);
    const killed = await this.stopProcesses(scanner, first, ownership, accounts);
    await this.moveAndClean(killed, accounts);

    if (!this.outcome.files.length && !this.outcome.processesKilled.length && !this.outcome.skipped.length) {
      // Nothing left anywhere: a repeat of an action that already succeeded.
      this.outcome.alreadyQuarantined = [
        ...new Set([...this.outcome.alreadyQuarantined, ...inVault.map((m) => m.entryId)]),
      ];
    }
    this.outcome.counts = {
      processesKilled: this.outcome.processesKilled.length,
      filesQuarantined: this.outcome.files.length,
      persistenceRemoved: this.outcome.persistenceRemoved.length,
    };
    return this.outcome;
  }

  /** Verifies the path hints; a missing one that the vault already holds counts as done. */
  private async addHints(inVault: readonly Manifest[]): Promise<void> {
    for (const hint of this.req.paths ?? []) {
      const r = await this.addCopy(hint);
      if (r.ok) continue;
      const n = normaliseDevicePath(hint) ?? hint;
      const done = r.reason === 'missing' && inVault.find((m) => m.names.includes(n) || m.file.path === n);
      if (done) this.outcome.alreadyQuarantined.push(done.entryId);
      else
        this.outcome.skipped.push({
          path: hint,
          reason: r.reason,
          ...(r.detail ? { detail: r.detail } : {}),
        });
    }
  }

  private async stopProcesses(
    scanner: ProcessScanner,
    first: readonly ImageMatch[],
    ownership: PackageOwnership,
    accounts: readonly Account[],
  ): Promise<Killed[]> {
    const stopper = new ProcessStopper(this.d.processes, scanner, { timeoutMs: this.d.killTimeoutMs });
    // Processes found after the first scan were not refusal-checked: one at a package path is left alone.
    const stopped = await stopper.stopAndKill(first, async (m) => {
      const refusal = ownership.refusal(m.path, null);
      if (refusal)
        this.outcome.skipped.push({ path: m.path, reason: 'package_owned', detail: refusal.detail });
      return !refusal;
    });
    if (stopped.survivors.length) throw new QuarantineProcessError(stopped.survivors);
    const firstPids = new Set(first.map((m) => m.snap.pid));
    for (const m of stopped.killed) if (!firstPids.has(m.snap.pid)) await this.addImage(m);
    const killed = stopped.killed.map((m) => ({ match: m, record: killedRecord(m, accounts) }));
    this.outcome.processesKilled = killed.map((k) => k.record);
    return killed;
  }

  private async moveAndClean(killed: readonly Killed[], accounts: readonly Account[]): Promise<void> {
    const remover = new PersistenceRemover({
      root: this.root,
      attrs: this.d.attributes,
      services: this.d.services,
      random: this.d.randomBytes,
      log: this.d.log,
    });
    const reload = new Map<string, { scope: 'system' | 'user'; user?: string }>();
    let sequence = 0;
    for (const copy of this.copies.values()) {
      this.req.signal?.throwIfAborted();
      const procs = killed.filter((k) => copy.names.has(k.match.path)).map((k) => k.record);
      const m = await this.moveToVault(copy, procs, sequence++);
      if (!m) continue;
      this.outcome.files.push({ path: copy.path, entryId: m.entryId, sha256: this.sha256 });
      const rep = await remover.removeFor([...copy.names], accounts, {
        record: async (item) => {
          m.persistence.push(item);
          await this.vault.save(m);
        },
        forget: async (item) => {
          m.persistence = m.persistence.filter((x) => x !== item);
          await this.vault.save(m);
        },
      });
      this.outcome.persistenceRemoved.push(...rep.removed);
      this.outcome.persistenceSuspected.push(...rep.suspected);
      this.outcome.persistenceErrors.push(...rep.errors);
      this.outcome.serviceCalls.push(...rep.serviceCalls);
      for (const r of rep.reload) reload.set(`${r.scope}:${r.user ?? ''}`, r);
    }
    for (const r of reload.values()) this.outcome.serviceCalls.push(await this.d.services.reload(r));
  }

  /** Checks every copy and every process image path before anything is touched. */
  private refuseOwned(ownership: PackageOwnership, images: readonly ImageMatch[]): void {
    const refusals = new Map<string, Refusal>();
    for (const c of this.copies.values()) {
      for (const name of c.names) {
        const r = ownership.refusal(name, c.md5);
        if (r) refusals.set(name, r);
      }
    }
    for (const m of images) {
      const r = ownership.refusal(m.path, null);
      if (r && !refusals.has(m.path)) refusals.set(m.path, r);
    }
    if (refusals.size) throw new QuarantineRefusedError([...refusals.values()]);
  }

  /** A running image's path joins the copies when the file there is still the same content. */
  private async addImage(m: ImageMatch): Promise<void> {
    if (m.deleted) return;
    const r = await this.addCopy(m.path);
    // A script deleted after it started is not a copy; anything else is worth telling.
    if (!r.ok && r.reason !== 'missing' && r.reason !== 'hash_mismatch') {
      this.outcome.skipped.push({
        path: m.path,
        reason: r.reason,
        ...(r.detail ? { detail: r.detail } : {}),
      });
    }
  }

  private async addCopy(given: string): Promise<AddResult> {
    const n = normaliseDevicePath(given);
    if (n === null) return { ok: false, reason: 'outside_root', detail: 'not an absolute path' };
    const path = await this.root.canonical(n);
    if (path === null) {
      const dirThere = await stat(dirname(this.root.toHost(n))).then(
        () => true,
        () => false,
      );
      return dirThere ? { ok: false, reason: 'outside_root' } : { ok: false, reason: 'missing' };
    }
    const host = this.root.toHost(path);
    if (this.protectedPaths.some((p) => host === p || host.startsWith(`${p}/`))) {
      return { ok: false, reason: 'protected', detail: "the agent's own state or executable" };
    }
    const existing = this.copies.get(path);
    if (existing) {
      existing.names.add(n);
      return { ok: true };
    }
    const pre = await lstatOrNull(host);
    if (!pre) return { ok: false, reason: 'missing' };
    if (!pre.isFile()) return { ok: false, reason: 'not_regular_file' };
    const h = await this.digests.hash(host, { follow: false });
    if (h.kind === 'missing') return { ok: false, reason: 'missing' };
    if (h.kind === 'too_large') return { ok: false, reason: 'too_large' };
    if (h.kind !== 'ok') return { ok: false, reason: 'not_regular_file' };
    if (h.digest.sha256 !== this.sha256) {
      return { ok: false, reason: 'hash_mismatch', detail: `sha256 there is ${h.digest.sha256}` };
    }
    this.copies.set(path, { path, names: new Set([n, path]), pre, md5: h.digest.md5 });
    return { ok: true };
  }

  /**
   * Copies the file into the vault encoded, then removes it from its path, only if the path
   * still holds the version that was copied (same inode, size, mtime, ctime).
   */
  private async moveToVault(
    copy: Copy,
    processes: KilledProcess[],
    sequence: number,
  ): Promise<Manifest | null> {
    const host = this.root.toHost(copy.path);
    const entryId = this.d.randomBytes(8).toString('hex');
    const key = this.d.randomBytes(32);
    const changed = async (): Promise<null> => {
      await this.vault.remove(entryId);
      this.outcome.skipped.push({ path: copy.path, reason: 'changed' });
      return null;
    };
    let fh: FileHandle;
    try {
      fh = await openForDigest(host, false);
    } catch {
      return changed();
    }
    let xattrs;
    try {
      const st = await fh.stat({ bigint: true });
      if (versionKey(st) !== versionKey(copy.pre)) return await changed();
      xattrs = await this.d.attributes.readXattrs(host);
      const digest = await this.vault.storeContent(entryId, fh, key);
      if (digest.sha256 !== this.sha256) return await changed();
    } finally {
      await fh.close();
    }
    const m: Manifest = {
      version: MANIFEST_VERSION,
      entryId,
      actionId: this.req.actionId,
      quarantinedAt: new Date(this.d.now()).toISOString(),
      sequence,
      file: {
        path: copy.path,
        sha256: this.sha256,
        size: Number(copy.pre.size),
        ...fileMeta(copy.pre),
        xattrs,
      },
      content: { file: CONTENT_FILE, cipher: 'xor', keyHex: key.toString('hex') },
      names: [...copy.names],
      processesKilled: processes,
      persistence: [],
    };
    try {
      await this.vault.save(m);
    } catch (e) {
      // Content without a manifest could never be restored: drop it, the file stays where it is.
      await this.vault.remove(entryId);
      throw e;
    }
    const now = await lstatOrNull(host);
    if (!now || versionKey(now) !== versionKey(copy.pre)) return changed();
    await unlink(host);
    return m;
  }
}

function killedRecord(m: ImageMatch, accounts: readonly Account[]): KilledProcess {
  const uid = m.snap.uid;
  return {
    pid: m.snap.pid,
    exe: m.snap.exe ? `${m.snap.exe}${m.snap.exeDeleted ? ' (deleted)' : ''}` : '',
    cmdline: m.snap.argv.join(' '),
    user: accounts.find((a) => a.uid === uid)?.name ?? (uid === null ? 'unknown' : String(uid)),
  };
}
