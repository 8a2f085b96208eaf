import {
  copyFile,
  chmod,
  lchown,
  lstat,
  mkdir,
  readdir,
  readlink,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { join, posix } from 'node:path';
import { HOST_COPIES, SYSTEM_DIRS, WORLD_ENTRIES } from './world-files.js';

/** Where the sample is placed inside the sandbox. */
export const SAMPLE_DIR = '/sample';

export interface WorldLayout {
  /** The host directory that becomes the sandbox's `/`. */
  root: string;
  /** The sample's path inside the sandbox (`/sample/<name>`). */
  samplePath: string;
  /** Host directories to bind read-only at the same place. */
  readOnlyBinds: string[];
}

export interface BuildWorldOptions {
  /** The sample file on the host; copied in executable. */
  samplePath: string;
  /** Its file name inside the sandbox; already checked by `sandboxFileName`. */
  sampleName: string;
  /** Owner of everything written (the sandbox user outside its namespace); null keeps the current one. */
  owner: { uid: number; gid: number } | null;
  /** Where to look for the host's system directories and the files in `HOST_COPIES` (tests: a fake host). */
  hostRoot?: string;
}

const host = (hostRoot: string, p: string) => join(hostRoot, p);

/**
 * A file name the sandbox can hold: the basename with anything but `A-Za-z0-9._+-` replaced,
 * no leading dots, at most 100 characters; `sample` when nothing usable is left.
 */
export function sandboxFileName(name: string): string {
  const base = posix.basename(name.replaceAll('\\', '/'));
  const clean = base.replace(/[^A-Za-z0-9._+-]/g, '_').replace(/^\.+/, '');
  return clean.slice(0, 100) || 'sample';
}

async function exists(p: string) {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/** Copies a host file, symlink or (shallowly) directory into the world when the host has it. */
async function copyFromHost(hostRoot: string, root: string, p: string): Promise<void> {
  const src = host(hostRoot, p);
  const st = await lstat(src).catch(() => null);
  if (!st) return;
  const dst = join(root, p);
  await mkdir(join(dst, '..'), { recursive: true });
  if (st.isSymbolicLink()) {
    if (!(await exists(dst))) await symlink(await readlink(src), dst);
  } else if (st.isFile()) await copyFile(src, dst);
  else if (st.isDirectory()) {
    await mkdir(dst, { recursive: true });
    for (const entry of await readdir(src, { withFileTypes: true })) {
      if (entry.isFile() || entry.isSymbolicLink())
        await copyFromHost(hostRoot, root, posix.join(p, entry.name));
    }
  }
}

async function chownTree(p: string, uid: number, gid: number): Promise<void> {
  await lchown(p, uid, gid);
  const st = await lstat(p);
  if (!st.isDirectory()) return;
  for (const name of await readdir(p)) await chownTree(join(p, name), uid, gid);
}

/**
 * Builds the fake root under `root` (an empty directory): the decoy `/etc`, homes and spool
 * directories, mount points for `/proc`, `/dev` and the read-only system directories (or the
 * symlinks they are on merged-/usr hosts), and the sample at `/sample/<name>`, mode 0755.
 */
export async function buildWorld(root: string, opts: BuildWorldOptions): Promise<WorldLayout> {
  const hostRoot = opts.hostRoot ?? '/';
  for (const e of WORLD_ENTRIES) {
    const p = join(root, e.path);
    if (e.kind === 'dir') {
      await mkdir(p, { recursive: true });
      await chmod(p, e.mode);
    } else if (e.kind === 'file') {
      await writeFile(p, e.content, { mode: e.mode });
      await chmod(p, e.mode);
    } else await symlink(e.target, p);
  }
  for (const p of HOST_COPIES) await copyFromHost(hostRoot, root, p);

  const readOnlyBinds: string[] = [];
  for (const d of SYSTEM_DIRS) {
    const st = await lstat(host(hostRoot, d)).catch(() => null);
    if (!st) continue;
    if (st.isSymbolicLink()) await symlink(await readlink(host(hostRoot, d)), join(root, d));
    else if (st.isDirectory()) {
      await mkdir(join(root, d), { recursive: true });
      readOnlyBinds.push(d);
    }
  }
  for (const d of ['/proc', '/dev']) await mkdir(join(root, d), { recursive: true });

  const samplePath = posix.join(SAMPLE_DIR, opts.sampleName);
  await mkdir(join(root, SAMPLE_DIR), { recursive: true });
  await copyFile(opts.samplePath, join(root, samplePath));
  await chmod(join(root, samplePath), 0o755);

  if (opts.owner) await chownTree(root, opts.owner.uid, opts.owner.gid);
  return { root, samplePath, readOnlyBinds };
}
