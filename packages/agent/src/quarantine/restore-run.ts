import { readFile } from 'node:fs/promises';
import { createExclusive, lstatOrNull, sha256Hex } from './file-ops.js';
import { FsRoot } from './fs-root.js';
import type { Manifest } from './manifest.js';
import { PersistenceRestorer } from './persistence-restorer.js';
import type { QuarantineDeps } from './quarantine-deps.js';
import {
  QuarantineConflictError,
  QuarantineNotFoundError,
  QuarantineVaultError,
  type RestoreConflict,
} from './quarantine.errors.js';
import type { UnitRef } from './quarantine.ports.js';
import type { RestoreOutcome, RestoreRequest } from './quarantine.types.js';
import { isEntryId, type QuarantineVault } from './vault.js';

type PathState = 'absent' | 'same' | 'different';

/**
 * One restore: every selected entry is checked for conflicts first (nothing is written when
 * any exists), then each file comes back, then its persistence, then the service manager is
 * told, and only then are the vault entries deleted. Re-running a restore that failed half-way
 * is safe: what is already back is recognised and left alone.
 */
export class RestoreRun {
  private root!: FsRoot;

  constructor(
    private readonly d: QuarantineDeps,
    private readonly vault: QuarantineVault,
    private readonly req: RestoreRequest,
  ) {}

  async run(): Promise<RestoreOutcome> {
    this.root = await FsRoot.open(this.d.fsRoot);
    const entries = await this.select();
    const restorer = new PersistenceRestorer({
      root: this.root,
      attrs: this.d.attributes,
      random: this.d.randomBytes,
    });

    const conflicts: RestoreConflict[] = [];
    for (const m of entries) {
      if ((await this.fileState(m)) === 'different') {
        conflicts.push({ path: m.file.path, kind: 'file', detail: 'a different file is there now' });
      }
      conflicts.push(...(await restorer.conflicts(m.persistence)));
    }
    if (conflicts.length) throw new QuarantineConflictError(conflicts);

    const out: RestoreOutcome = {
      files: [],
      persistenceRestored: [],
      serviceCalls: [],
      counts: { filesRestored: 0 },
    };
    const enable = new Map<string, UnitRef>();
    const reload = new Map<string, { scope: 'system' | 'user'; user?: string }>();
    for (const m of entries) {
      const alreadyPresent = !(await this.restoreFile(m));
      out.files.push({ path: m.file.path, entryId: m.entryId, sha256: m.file.sha256, alreadyPresent });
      const r = await restorer.restore(m.persistence);
      out.persistenceRestored.push(...r.restored);
      for (const u of r.enable) enable.set(`${u.scope}:${u.user ?? ''}:${u.name}`, u);
      for (const item of m.persistence) {
        if (item.kind === 'systemd' && item.type !== 'lines') {
          const u = item.unit;
          const scope = u
            ? { scope: u.scope, ...(u.user ? { user: u.user } : {}) }
            : { scope: 'system' as const };
          reload.set(`${scope.scope}:${scope.user ?? ''}`, scope);
        }
      }
    }
    for (const r of reload.values()) out.serviceCalls.push(await this.d.services.reload(r));
    for (const u of enable.values()) out.serviceCalls.push(await this.d.services.enable(u));
    for (const m of entries) await this.vault.remove(m.entryId);
    out.counts.filesRestored = out.files.length;
    return out;
  }

  /** Newest first, so edits to the same file are undone in the reverse order they were made. */
  private async select(): Promise<Manifest[]> {
    const req = this.req;
    let entries: Manifest[];
    if ('entryId' in req) {
      if (!isEntryId(req.entryId))
        throw new QuarantineNotFoundError(`no vault entry ${JSON.stringify(req.entryId)}`);
      const exists = await lstatOrNull(this.vault.entryDir(req.entryId));
      if (!exists) throw new QuarantineNotFoundError(`no vault entry ${req.entryId} (already restored?)`);
      const m = await this.vault.read(req.entryId);
      if (req.sha256 !== undefined && m.file.sha256 !== req.sha256.toLowerCase()) {
        throw new QuarantineNotFoundError(
          `vault entry ${req.entryId} holds sha256 ${m.file.sha256}, not ${req.sha256}`,
        );
      }
      entries = [m];
    } else {
      const sha = req.sha256.toLowerCase();
      entries = (await this.vault.list()).filter(
        (m) =>
          m.file.sha256 === sha &&
          (req.path === undefined || m.file.path === req.path || m.names.includes(req.path)),
      );
      if (!entries.length) {
        throw new QuarantineNotFoundError(
          `no vault entry for sha256 ${sha}${req.path ? ` from ${req.path}` : ''} (already restored?)`,
        );
      }
    }
    return entries.sort((a, b) => b.quarantinedAt.localeCompare(a.quarantinedAt) || b.sequence - a.sequence);
  }

  private async fileState(m: Manifest): Promise<PathState> {
    const host = this.root.toHost(m.file.path);
    const st = await lstatOrNull(host);
    if (!st) return 'absent';
    if (!st.isFile() || Number(st.size) !== m.file.size) return 'different';
    return sha256Hex(await readFile(host)) === m.file.sha256 ? 'same' : 'different';
  }

  /** True when written; false when the same content was already there. */
  private async restoreFile(m: Manifest): Promise<boolean> {
    if ((await this.fileState(m)) === 'same') return false;
    const host = this.root.toHost(m.file.path);
    const created = await createExclusive(
      host,
      async (fh) => {
        const digest = await this.vault.decodeContent(m, fh);
        if (digest.sha256 !== m.file.sha256) {
          throw new QuarantineVaultError(
            `vault entry ${m.entryId} decodes to sha256 ${digest.sha256}, not ${m.file.sha256}; the vault is damaged, nothing restored`,
          );
        }
      },
      { ...m.file, xattrs: m.file.xattrs },
      { attrs: this.d.attributes, random: this.d.randomBytes },
    );
    if (created) return true;
    // Someone put a file there after the conflict check: the same content is fine, anything else is not.
    if ((await this.fileState(m)) === 'same') return false;
    throw new QuarantineConflictError([
      { path: m.file.path, kind: 'file', detail: 'a different file appeared' },
    ]);
  }
}
