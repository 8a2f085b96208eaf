import { indexOf, loadDpkgIndex, type PackageIndex } from '../exec-control/dpkg-index.js';
import type { Refusal } from './quarantine.errors.js';

/**
 * Whether the OS package database owns a path. Ownership is by path, whatever the content: a
 * package file with foreign content is a trojaned system file, and moving it away breaks the
 * system while the package manager still believes it is installed; the fix is reinstalling the
 * package, which the refusal says.
 */
export class PackageOwnership {
  private constructor(private readonly index: PackageIndex) {}

  /** Reads dpkg's database under `dpkgDir`; none there (another distribution, a bare test root) owns nothing. */
  static async load(dpkgDir: string): Promise<PackageOwnership> {
    try {
      return new PackageOwnership(await loadDpkgIndex(dpkgDir));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new PackageOwnership(indexOf(new Map()));
      throw e;
    }
  }

  /** A refusal when dpkg lists `path` (a device path); `md5` of the copy tells intact from modified. */
  refusal(path: string, md5: string | null): Refusal | null {
    const expected = this.index.expectedMd5(path);
    if (!expected.length) return null;
    const state =
      md5 === null
        ? ''
        : expected.includes(md5)
          ? ' (content as packaged)'
          : ' (content differs from the package: reinstall the package)';
    return { path, reason: 'package_owned', detail: `${path} belongs to an installed package${state}` };
  }
}
