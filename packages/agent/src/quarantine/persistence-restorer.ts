import { lchown, readFile, readlink, symlink, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createExclusive, lstatOrNull, replaceContent, sha256Hex, timesOf } from './file-ops.js';
import type { FsRoot } from './fs-root.js';
import { appendRanges, reinsertRanges, type RemovedLines } from './line-edit.js';
import type { RemovedFileItem, RemovedItem, RemovedLinesItem, RemovedSymlinkItem } from './manifest.js';
import type { RestoreConflict } from './quarantine.errors.js';
import type { FileAttributes, UnitRef } from './quarantine.ports.js';
import type { PersistenceItem, RestoreHow } from './quarantine.types.js';

export interface RestoredItem extends PersistenceItem {
  how: RestoreHow;
}

const runsOf = (item: RemovedLinesItem): RemovedLines[] =>
  item.removed.map((r) => ({ index: r.index, text: Buffer.from(r.bytesB64, 'base64').toString('latin1') }));

const detailOf = (item: RemovedItem): string => {
  if (item.type === 'symlink') return `link to ${item.target}`;
  if (item.type === 'file') return item.unit ? `unit ${item.unit.name}` : 'file';
  return `${item.removed.length} line run(s)`;
};

export interface PersistenceRestorerDeps {
  root: FsRoot;
  attrs: FileAttributes;
  random: (n: number) => Buffer;
}

/** Puts removed persistence back: exact where nothing changed since, appended or recreated otherwise. */
export class PersistenceRestorer {
  constructor(private readonly d: PersistenceRestorerDeps) {}

  /**
   * Whole files and links that cannot come back because something different took their path.
   * Line items never conflict: their lines are reinserted or appended.
   */
  async conflicts(items: readonly RemovedItem[]): Promise<RestoreConflict[]> {
    const out: RestoreConflict[] = [];
    for (const item of items) {
      if (item.type === 'lines') continue;
      const state = await this.present(item);
      if (state === 'different')
        out.push({ path: item.file, kind: item.kind, detail: 'something else is there now' });
    }
    return out;
  }

  /** Restores in reverse order of removal (links after the units they point at were recreated). */
  async restore(items: readonly RemovedItem[]): Promise<{ restored: RestoredItem[]; enable: UnitRef[] }> {
    const restored: RestoredItem[] = [];
    const enable = new Map<string, UnitRef>();
    const ordered = [...items].reverse().sort((a, b) => rank(a) - rank(b));
    for (const item of ordered) {
      const how =
        item.type === 'lines'
          ? await this.restoreLines(item)
          : item.type === 'file'
            ? await this.restoreFile(item)
            : await this.restoreLink(item);
      restored.push({ kind: item.kind, location: item.file, detail: detailOf(item), how });
      if (item.type === 'symlink' && item.unit)
        enable.set(`${item.unit.scope}:${item.unit.user ?? ''}:${item.unit.name}`, item.unit);
    }
    return { restored, enable: [...enable.values()] };
  }

  private async present(
    item: RemovedFileItem | RemovedSymlinkItem,
  ): Promise<'absent' | 'same' | 'different'> {
    const host = this.d.root.toHost(item.file);
    const st = await lstatOrNull(host);
    if (!st) return 'absent';
    if (item.type === 'symlink') {
      return st.isSymbolicLink() && (await readlink(host)) === item.target ? 'same' : 'different';
    }
    if (!st.isFile()) return 'different';
    const current = await readFile(host);
    return current.equals(Buffer.from(item.contentB64, 'base64')) ? 'same' : 'different';
  }

  private async restoreLines(item: RemovedLinesItem): Promise<RestoreHow> {
    const host = this.d.root.toHost(item.file);
    const runs = runsOf(item);
    const current = await readFile(host).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    });
    const deps = { attrs: this.d.attrs, random: this.d.random };
    if (current === null) {
      const text = appendRanges('', runs).text;
      await createExclusive(host, (fh) => fh.writeFile(Buffer.from(text, 'latin1')), item, deps);
      return 'recreated';
    }
    const sha = sha256Hex(current);
    if (sha === item.beforeSha256) return 'already_present';
    if (sha === item.afterSha256) {
      const original = Buffer.from(reinsertRanges(current.toString('latin1'), runs), 'latin1');
      await replaceContent(host, original, { ...deps, expectSha256: sha });
      // The file is byte for byte what it was, so its times are too.
      await this.d.attrs.setTimes(host, timesOf(item));
      return 'reinserted';
    }
    const { text, appended } = appendRanges(current.toString('latin1'), runs);
    if (!appended) return 'already_present';
    await replaceContent(host, Buffer.from(text, 'latin1'), { ...deps, expectSha256: sha });
    return 'appended';
  }

  private async restoreFile(item: RemovedFileItem): Promise<RestoreHow> {
    const host = this.d.root.toHost(item.file);
    if ((await this.present(item)) === 'same') return 'already_present';
    const content = Buffer.from(item.contentB64, 'base64');
    const created = await createExclusive(host, (fh) => fh.writeFile(content), item, {
      attrs: this.d.attrs,
      random: this.d.random,
    });
    if (!created) throw new Error(`${item.file} appeared while restoring it; left as it is`);
    return 'recreated';
  }

  private async restoreLink(item: RemovedSymlinkItem): Promise<RestoreHow> {
    const host = this.d.root.toHost(item.file);
    if ((await this.present(item)) === 'same') return 'already_present';
    await mkdir(dirname(host), { recursive: true, mode: 0o755 });
    // symlink(2) never replaces an existing path, so a path taken meanwhile fails here, untouched.
    await symlink(item.target, host);
    await lchown(host, item.uid, item.gid);
    await this.d.attrs.setTimes(host, timesOf(item), true);
    return 'recreated';
  }
}

/** Files before links, so a link is recreated only once what it points at is back. */
function rank(item: RemovedItem): number {
  return item.type === 'symlink' ? 1 : 0;
}
