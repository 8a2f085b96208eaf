import { realpath } from 'node:fs/promises';
import { basename, dirname, posix } from 'node:path';

/**
 * Maps device paths (what the server, dpkg and persistence files name: `/tmp/x`) to host paths
 * under the agent's filesystem root and back. The root is `/` on a device; tests use a temp tree.
 */
export class FsRoot {
  private constructor(readonly host: string) {}

  /** Resolves symlinks in `root` once, so prefix checks compare canonical paths. */
  static async open(root: string): Promise<FsRoot> {
    return new FsRoot(await realpath(root));
  }

  /** Host path of a device path (which must be absolute and normalised). */
  toHost(devicePath: string): string {
    return this.host === '/' ? devicePath : `${this.host}${devicePath === '/' ? '' : devicePath}`;
  }

  /** Device path of a host path; null when it lies outside the root. */
  toDevice(hostPath: string): string | null {
    if (this.host === '/') return hostPath;
    if (hostPath === this.host) return '/';
    return hostPath.startsWith(`${this.host}/`) ? hostPath.slice(this.host.length) : null;
  }

  /**
   * The canonical device path of `devicePath`: its directory's symlinks resolved (the name
   * itself is kept, so a symlink is seen as one). Null when the directory does not exist or
   * resolves outside the root.
   */
  async canonical(devicePath: string): Promise<string | null> {
    const dir = await realpath(dirname(this.toHost(devicePath))).catch(() => null);
    if (dir === null) return null;
    const d = this.toDevice(dir);
    return d === null ? null : posix.join(d, basename(devicePath));
  }
}

/** A device path as the agent accepts it: absolute, no NUL, normalised (`..` folded). */
export function normaliseDevicePath(p: string): string | null {
  if (!p.startsWith('/') || p.includes('\0')) return null;
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}
