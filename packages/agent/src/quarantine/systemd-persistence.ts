import { readdir, readFile, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type { FsRoot } from './fs-root.js';
import type { UnitDir } from './persistence-locations.js';
import type { UnitRef } from './quarantine.ports.js';
import { mentionsName, refersToPath } from './reference-match.js';
import { activatedUnits, unitCommands } from './unit-file.js';

interface DirEntry {
  path: string;
  type: 'file' | 'symlink';
}

/** Unit directories are shallow (`x.wants/`, `x.service.d/`); a cap keeps a hostile tree from looping. */
const MAX_DEPTH = 4;

async function walk(root: FsRoot, dir: string, depth = 0): Promise<DirEntry[]> {
  const entries = await readdir(root.toHost(dir), { withFileTypes: true }).catch(() => []);
  const out: DirEntry[] = [];
  for (const e of entries) {
    const path = posix.join(dir, e.name);
    if (e.isSymbolicLink()) out.push({ path, type: 'symlink' });
    else if (e.isFile()) out.push({ path, type: 'file' });
    else if (e.isDirectory() && depth < MAX_DEPTH) out.push(...(await walk(root, path, depth + 1)));
  }
  return out;
}

const UNIT_NAME = /\.(service|socket|timer|path|mount|automount|swap|target|slice|scope)$/;

/** Everything Quell removes for one unit. */
export interface UnitRemoval {
  unit: UnitRef;
  /** False for a drop-in that adds a command to someone else's unit: only the drop-in goes. */
  ownUnit: boolean;
  /** The unit file first, then its drop-ins (device paths). */
  files: string[];
  symlinks: { path: string; target: string }[];
  /** The Exec line that referred to the file (empty for units removed because they activate one). */
  via: string;
}

export interface UnitScan {
  removals: UnitRemoval[];
  /** Unit files mentioning the basename only (reported, not removed). */
  suspects: { path: string; detail: string }[];
}

/** Symlinks for `unit`: enablement links (`*.wants/<unit>`, template instances) and aliases pointing at it. */
function linksTo(
  unit: string,
  links: readonly (DirEntry & { target: string })[],
): { path: string; target: string }[] {
  const template = /^(.+@)\.(\w+)$/.exec(unit);
  return links
    .filter((l) => {
      const name = posix.basename(l.path);
      if (name === unit || posix.basename(l.target) === unit) return true;
      return !!template && name.startsWith(template[1]!) && name.endsWith(`.${template[2]!}`);
    })
    .map((l) => ({ path: l.path, target: l.target }));
}

/**
 * Finds the units under `dir` whose `Exec*=` lines run one of `paths` (device paths in byte
 * text form), the timers and path units that activate them, their drop-ins and every symlink
 * that enables or aliases them. A drop-in (`x.service.d/*.conf`) that runs the file is removed
 * alone: the unit it extends may be a legitimate one.
 */
export async function scanUnitDir(
  root: FsRoot,
  dir: UnitDir,
  paths: readonly string[],
  names: readonly string[],
): Promise<UnitScan> {
  const entries = await walk(root, dir.path);
  const files = entries.filter((e) => e.type === 'file');
  const links: (DirEntry & { target: string })[] = [];
  for (const e of entries.filter((x) => x.type === 'symlink')) {
    const target = await readlink(root.toHost(e.path)).catch(() => null);
    if (target !== null) links.push({ ...e, target });
  }
  const texts = new Map<string, string>();
  for (const f of files) texts.set(f.path, (await readFile(root.toHost(f.path))).toString('latin1'));

  const ref = (u: string): UnitRef => ({
    name: u,
    scope: dir.scope,
    ...(dir.user ? { user: dir.user } : {}),
  });
  const removals: UnitRemoval[] = [];
  const suspects: UnitScan['suspects'] = [];
  const own = new Map<string, string>();
  for (const [path, text] of texts) {
    const cmds = unitCommands(text);
    const hit = cmds.find((c) => paths.some((p) => refersToPath(c, p)));
    if (!hit) {
      const near = cmds.find((c) => names.some((n) => mentionsName(c, n)));
      if (near) suspects.push({ path, detail: near });
      continue;
    }
    const parent = posix.basename(posix.dirname(path));
    if (parent.endsWith('.d') && UNIT_NAME.test(parent.slice(0, -2))) {
      removals.push({
        unit: ref(parent.slice(0, -2)),
        ownUnit: false,
        files: [path],
        symlinks: [],
        via: hit,
      });
    } else if (UNIT_NAME.test(posix.basename(path))) {
      own.set(posix.basename(path), hit);
    }
  }
  // A timer or path unit that starts a removed service would only fail from now on; it goes too.
  for (const [path, text] of texts) {
    const name = posix.basename(path);
    if (
      /\.(timer|path)$/.test(name) &&
      !own.has(name) &&
      activatedUnits(name, text).some((u) => own.has(u))
    ) {
      own.set(name, '');
    }
  }
  // A drop-in of a unit that goes anyway goes with it (below), not as a removal of its own.
  const dropInsAlone = removals.filter((r) => !own.has(r.unit.name));
  removals.length = 0;
  removals.push(...dropInsAlone);
  for (const [name, via] of own) {
    const unitFile = files.find(
      (f) => posix.basename(f.path) === name && !posix.dirname(f.path).endsWith('.d'),
    )!;
    const dropIns = files.filter(
      (f) => posix.dirname(f.path) === `${posix.dirname(unitFile.path)}/${name}.d`,
    );
    removals.push({
      unit: ref(name),
      ownUnit: true,
      files: [unitFile.path, ...dropIns.map((f) => f.path)],
      symlinks: linksTo(name, links),
      via,
    });
  }
  return { removals, suspects };
}
