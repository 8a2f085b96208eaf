/** Home directories whose dotfiles are collected: root's and every user's under /home. */
const HOMES = ['root', 'home/*'] as const;

/** `rel` under each home directory, e.g. `inHomes('.bashrc')` → root/.bashrc, home/x/.bashrc. */
export const inHomes = (...rel: string[]): string[] => HOMES.flatMap((h) => rel.map((r) => `${h}/${r}`));

/** sd_booted(3): systemd runs when this directory exists. */
export const SYSTEMD = {
  path: 'run/systemd/system',
  why: 'systemd is not running (no /run/systemd/system)',
} as const;

/** Where distributions and administrators put system unit files. */
export const UNIT_DIRS = ['etc/systemd/system', 'lib/systemd/system', 'usr/lib/systemd/system'] as const;
