import { lstat, readFile, unlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Logger } from '../log.js';
import { fileMeta, replaceContent, sha256Hex } from './file-ops.js';
import type { FsRoot } from './fs-root.js';
import { removeRanges, splitLines } from './line-edit.js';
import { referringLines, suspectLines, type LineKind } from './line-persistence.js';
import type { RemovedItem } from './manifest.js';
import { autostartDirs, filesIn, lineFiles, unitDirs, type Account } from './persistence-locations.js';
import type { FileAttributes, ServiceCall, ServiceManager, UnitRef } from './quarantine.ports.js';
import type { PersistenceItem } from './quarantine.types.js';
import { asBytesText, mentionsName, refersToPath } from './reference-match.js';
import { scanUnitDir } from './systemd-persistence.js';
import { desktopCommands } from './unit-file.js';

/**
 * Records a removal in the entry's manifest before it happens (write-ahead), so a crash in the
 * middle never loses what was taken; `forget` undoes the record when the removal failed.
 */
export interface RemovalJournal {
  record(item: RemovedItem): Promise<void>;
  forget(item: RemovedItem): Promise<void>;
}

export interface RemovalReport {
  removed: PersistenceItem[];
  suspected: PersistenceItem[];
  errors: { location: string; error: string }[];
  serviceCalls: ServiceCall[];
  /** Managers that need a daemon-reload once the whole action is done. */
  reload: { scope: 'system' | 'user'; user?: string }[];
}

const short = (s: string): string => {
  const t = Buffer.from(s, 'latin1').toString('utf8').trim().replace(/\s+/g, ' ');
  return t.length > 500 ? `${t.slice(0, 497)}...` : t;
};

export interface PersistenceRemoverDeps {
  root: FsRoot;
  attrs: FileAttributes;
  services: ServiceManager;
  random: (n: number) => Buffer;
  log: Logger;
}

/** Removes every persistence item that refers to a file's paths (see docs/quarantine.md for the rules). */
export class PersistenceRemover {
  constructor(private readonly d: PersistenceRemoverDeps) {}

  /** `paths`: the device paths the file was known by. */
  async removeFor(
    paths: readonly string[],
    accounts: readonly Account[],
    journal: RemovalJournal,
  ): Promise<RemovalReport> {
    const rep: RemovalReport = { removed: [], suspected: [], errors: [], serviceCalls: [], reload: [] };
    const bytePaths = paths.map(asBytesText);
    const names = [...new Set(paths.map((p) => asBytesText(posix.basename(p))))];
    const attempt = async (location: string, fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
      } catch (e) {
        // One unreadable or busy file must not stop the others from being cleaned.
        this.d.log.warn('quarantine: persistence not removed', { location, error: (e as Error).message });
        rep.errors.push({ location, error: (e as Error).message });
      }
    };
    for (const f of await lineFiles(this.d.root, accounts)) {
      await attempt(f.path, () => this.removeLines(f.kind, f.path, bytePaths, names, journal, rep));
    }
    for (const dir of autostartDirs(accounts)) {
      for (const path of await filesIn(this.d.root, dir, '.desktop')) {
        await attempt(path, () => this.removeDesktop(path, bytePaths, names, journal, rep));
      }
    }
    for (const dir of unitDirs(accounts)) {
      await attempt(dir.path, async () => {
        const scan = await scanUnitDir(this.d.root, dir, bytePaths, names);
        for (const s of scan.suspects)
          rep.suspected.push({ kind: 'systemd', location: s.path, detail: short(s.detail) });
        for (const r of scan.removals) {
          await attempt(r.files[0]!, () =>
            this.removeUnit(r.unit, r.ownUnit, r.files, r.symlinks, r.via, journal, rep),
          );
        }
        if (scan.removals.length)
          rep.reload.push({ scope: dir.scope, ...(dir.user ? { user: dir.user } : {}) });
      });
    }
    return rep;
  }

  private async removeLines(
    kind: LineKind,
    path: string,
    bytePaths: readonly string[],
    names: readonly string[],
    journal: RemovalJournal,
    rep: RemovalReport,
  ): Promise<void> {
    const host = this.d.root.toHost(path);
    // Times before reading: the read may move atime, and restore puts back the times as they were.
    const st = await lstat(host, { bigint: true });
    const before = await readFile(host);
    const lines = splitLines(before.toString('latin1'));
    for (const i of suspectLines(kind, lines, bytePaths, names)) {
      rep.suspected.push({ kind, location: `${path}:${i + 1}`, detail: short(lines[i]!) });
    }
    const ranges = referringLines(kind, lines, bytePaths);
    if (!ranges.length) return;
    const { text, removed } = removeRanges(lines, ranges);
    const after = Buffer.from(text, 'latin1');
    const item: RemovedItem = {
      type: 'lines',
      kind,
      file: path,
      ...fileMeta(st),
      beforeSha256: sha256Hex(before),
      afterSha256: sha256Hex(after),
      removed: removed.map((r) => ({
        index: r.index,
        bytesB64: Buffer.from(r.text, 'latin1').toString('base64'),
      })),
    };
    await journal.record(item);
    try {
      await replaceContent(host, after, {
        attrs: this.d.attrs,
        random: this.d.random,
        expectSha256: item.beforeSha256,
      });
    } catch (e) {
      await journal.forget(item);
      throw e;
    }
    for (const r of removed)
      rep.removed.push({ kind, location: `${path}:${r.index + 1}`, detail: short(r.text) });
  }

  private async removeDesktop(
    path: string,
    bytePaths: readonly string[],
    names: readonly string[],
    journal: RemovalJournal,
    rep: RemovalReport,
  ): Promise<void> {
    const text = (await readFile(this.d.root.toHost(path))).toString('latin1');
    const cmds = desktopCommands(text);
    const hit = cmds.find((c) => bytePaths.some((p) => refersToPath(c, p)));
    if (!hit) {
      const near = cmds.find((c) => names.some((n) => mentionsName(c, n)));
      if (near) rep.suspected.push({ kind: 'xdg_autostart', location: path, detail: short(near) });
      return;
    }
    await this.removeWholeFile('xdg_autostart', path, undefined, journal);
    rep.removed.push({ kind: 'xdg_autostart', location: path, detail: short(`Exec=${hit}`) });
  }

  /**
   * Stop first (it must not run while its files vanish), record and remove links, tell the
   * manager to disable (it may know links Quell does not), then remove the files.
   */
  private async removeUnit(
    unit: UnitRef,
    ownUnit: boolean,
    files: readonly string[],
    symlinks: readonly { path: string; target: string }[],
    via: string,
    journal: RemovalJournal,
    rep: RemovalReport,
  ): Promise<void> {
    if (ownUnit) rep.serviceCalls.push(await this.d.services.stop(unit));
    for (const l of symlinks) {
      const host = this.d.root.toHost(l.path);
      const st = await lstat(host, { bigint: true });
      const { atimeNs, mtimeNs, uid, gid } = fileMeta(st);
      const item: RemovedItem = {
        type: 'symlink',
        kind: 'systemd',
        file: l.path,
        target: l.target,
        uid,
        gid,
        atimeNs,
        mtimeNs,
        unit,
      };
      await journal.record(item);
      await unlink(host).catch(ignoreMissing);
      rep.removed.push({ kind: 'systemd', location: l.path, detail: `link to ${l.target}` });
    }
    if (ownUnit) rep.serviceCalls.push(await this.d.services.disable(unit));
    for (const [i, f] of files.entries()) {
      await this.removeWholeFile('systemd', f, ownUnit && i === 0 ? unit : undefined, journal);
      const what = i === 0 && ownUnit ? `unit ${unit.name}` : `drop-in of ${unit.name}`;
      rep.removed.push({
        kind: 'systemd',
        location: f,
        detail: short(via ? `${what}: ${via}` : `${what} (activates a removed unit)`),
      });
    }
  }

  private async removeWholeFile(
    kind: 'systemd' | 'xdg_autostart',
    path: string,
    unit: UnitRef | undefined,
    journal: RemovalJournal,
  ): Promise<void> {
    const host = this.d.root.toHost(path);
    const st = await lstat(host, { bigint: true });
    const content = await readFile(host);
    const item: RemovedItem = {
      type: 'file',
      kind,
      file: path,
      ...fileMeta(st),
      contentB64: content.toString('base64'),
      ...(unit ? { unit } : {}),
    };
    await journal.record(item);
    await unlink(host).catch(ignoreMissing);
  }
}

function ignoreMissing(e: unknown): void {
  if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
}
