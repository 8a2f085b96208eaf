import { open, rm } from 'node:fs/promises';
import {
  withQuarantineDefaults,
  type FileQuarantineOptions,
  type QuarantineDeps,
} from './quarantine-deps.js';
import { QuarantineNotFoundError, QuarantineVaultError } from './quarantine.errors.js';
import { QuarantineRun } from './quarantine-run.js';
import type {
  QuarantineOutcome,
  QuarantineRequest,
  RestoreOutcome,
  RestoreRequest,
  VaultEntrySummary,
} from './quarantine.types.js';
import { RestoreRun } from './restore-run.js';
import { QuarantineVault } from './vault.js';

/**
 * "Stop and quarantine file" and its undo, on this device (docs/quarantine.md):
 * - `quarantine`: refuse package-owned files and allowed hashes (nothing changed), freeze then
 *   kill the processes running the file, move each verified copy into the vault encoded, and
 *   remove the persistence that names it, recording everything needed to undo it.
 * - `restore`: put files and persistence back byte for byte, or fail on a conflict having
 *   changed nothing.
 *
 * Operations run one at a time: two quarantines editing the same crontab concurrently would
 * each record a "before" the other invalidates.
 */
export class FileQuarantine {
  private readonly d: QuarantineDeps;
  private readonly vault: QuarantineVault;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(opts: FileQuarantineOptions) {
    this.d = withQuarantineDefaults(opts);
    this.vault = new QuarantineVault(this.d.stateDir, this.d.log);
  }

  /** `<stateDir>/quarantine`. */
  get vaultDir(): string {
    return this.vault.dir;
  }

  /**
   * @throws QuarantineRefusedError (package-owned copy, allowed hash: nothing changed)
   * @throws QuarantineProcessError (a process survived SIGKILL: no file moved)
   * @throws ParamsError (not a SHA-256)
   */
  quarantine(req: QuarantineRequest): Promise<QuarantineOutcome> {
    return this.serial(() => new QuarantineRun(this.d, this.vault, req).run());
  }

  /**
   * @throws QuarantineNotFoundError (no such entry / no entry of that hash)
   * @throws QuarantineConflictError (something different at an original path: nothing changed)
   * @throws QuarantineVaultError (entry unreadable or damaged)
   */
  restore(req: RestoreRequest): Promise<RestoreOutcome> {
    return this.serial(() => new RestoreRun(this.d, this.vault, req).run());
  }

  /**
   * Writes the original bytes of the newest vault entry of `sha256` to `dest` (created, 0600;
   * it must not exist), checking they still hash to `sha256`. The vault itself is not changed.
   * @throws QuarantineNotFoundError (no entry of that hash)
   * @throws QuarantineVaultError (entry unreadable, or its content no longer matches)
   */
  exportCopy(sha256: string, dest: string): Promise<{ entryId: string; size: number }> {
    return this.serial(async () => {
      const entries = (await this.vault.list()).filter((m) => m.file.sha256 === sha256);
      const m = entries.sort((a, b) => a.quarantinedAt.localeCompare(b.quarantinedAt)).at(-1);
      if (!m) throw new QuarantineNotFoundError(`the vault holds no copy of ${sha256}`);
      const out = await open(dest, 'wx', 0o600);
      let digest;
      try {
        digest = await this.vault.decodeContent(m, out);
        await out.sync();
      } finally {
        await out.close();
      }
      if (digest.sha256 !== sha256) {
        await rm(dest, { force: true });
        throw new QuarantineVaultError(`vault entry ${m.entryId} no longer decodes to ${sha256}`);
      }
      return { entryId: m.entryId, size: m.file.size };
    });
  }

  async list(): Promise<VaultEntrySummary[]> {
    return (await this.vault.list()).map((m) => ({
      entryId: m.entryId,
      sha256: m.file.sha256,
      path: m.file.path,
      size: m.file.size,
      quarantinedAt: m.quarantinedAt,
      actionId: m.actionId,
      persistenceItems: m.persistence.length,
    }));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
