/**
 * Filesystem types that hold no files worth scanning: kernel views (proc, sysfs…), control
 * filesystems and automount placeholders. Reading them is slow, can block (some debugfs files)
 * or has side effects, and nothing an attacker drops lives there. `tmpfs` is deliberately
 * absent: /tmp, /dev/shm and /run are favourite drop sites. `devtmpfs` only holds device nodes,
 * which the walk never opens (it reads regular files only), so it is skipped for speed.
 */
export const PSEUDO_FS_TYPES = [
  'proc',
  'sysfs',
  'devtmpfs',
  'devpts',
  'cgroup',
  'cgroup2',
  'debugfs',
  'tracefs',
  'securityfs',
  'mqueue',
  'bpf',
  'fusectl',
  'configfs',
  'pstore',
  'autofs',
  'binfmt_misc',
  'hugetlbfs',
  'rpc_pipefs',
  'nsfs',
  'efivarfs',
  'selinuxfs',
] as const;
export type PseudoFsType = (typeof PSEUDO_FS_TYPES)[number];

const PSEUDO = new Set<string>(PSEUDO_FS_TYPES);

/** One line of `/proc/<pid>/mountinfo`, reduced to what the walk needs. */
export interface MountEntry {
  mountPoint: string;
  fsType: string;
}

/** Undoes the octal escapes (`\040` for a space…) the kernel uses in mountinfo paths. */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Parses mountinfo text. Format (proc(5)): `id parent major:minor root mountpoint options
 * [optional fields…] - fstype source superoptions`; the optional fields vary in number, so the
 * fs type is found after the lone `-` separator. Malformed lines are ignored.
 */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    const mountPoint = fields[4];
    const fsType = fields[sep + 1];
    if (sep < 0 || mountPoint === undefined || fsType === undefined) continue;
    out.push({ mountPoint: unescapeMountPath(mountPoint), fsType });
  }
  return out;
}

/**
 * Mount points the walk must not enter: those of pseudo filesystems. The paths are absolute in
 * the scanning process's view, which is the same view the walk uses (fsRoot-prefixed paths), so
 * no translation is needed for a temp fsRoot either.
 */
export function pseudoMountPoints(mounts: readonly MountEntry[]): Set<string> {
  return new Set(mounts.filter((m) => PSEUDO.has(m.fsType)).map((m) => m.mountPoint));
}

/** Used when mountinfo cannot be read (hardened /proc): the usual places of the kernel views. */
export const FALLBACK_PSEUDO_DIRS = ['/proc', '/sys', '/dev'] as const;
