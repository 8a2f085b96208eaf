import { describe, expect, it } from 'vitest';
import { INVESTIGATION_CATALOG } from './catalog.js';
import { COLLECT_CATEGORIES, READER_NAMES } from './catalog.types.js';
import type { CatalogItem } from './catalog.types.js';

const catalog: readonly CatalogItem[] = INVESTIGATION_CATALOG;

/** The product spec's list, written out here so that dropping an item from the catalog fails. */
const REQUIRED_ITEMS = {
  processes: ['processes', 'process-tree'],
  'open-files': ['open-files'],
  network: [
    'connections',
    'connections-ss',
    'neighbours',
    'routes-v4',
    'routes-v6',
    'firewall-nft',
    'firewall-iptables',
    'addresses',
  ],
  dns: ['dns-files', 'resolved-status'],
  proxy: ['proxy-files', 'proxy-env'],
  accounts: ['users', 'groups', 'sudoers'],
  'sign-ins': ['wtmp', 'btmp', 'lastlog', 'last', 'lastb', 'auth-logs'],
  'shell-history': ['shell-histories'],
  persistence: [
    'cron',
    'systemd-timers',
    'timer-units',
    'unit-files',
    'systemd-units',
    'rc-local',
    'profile-scripts',
    'shell-rc',
    'ld-preload',
    'authorized-keys',
    'xdg-autostart',
    'user-units',
  ],
  'kernel-modules': ['modules-proc', 'lsmod'],
  packages: ['dpkg', 'rpm'],
  storage: ['lsblk', 'findmnt', 'mounts-proc', 'df'],
  system: ['cpu-memory', 'os-release', 'uname', 'dmidecode', 'dmi-sysfs'],
  'temp-files': ['temp-listing'],
  logs: ['journal', 'syslog-tails'],
} as const;

const byId = new Map(catalog.map((i) => [i.id, i]));
const paths = (id: string): readonly string[] => {
  const item = byId.get(id);
  return item?.kind === 'files' ? item.paths : [];
};

describe('investigation catalog', () => {
  it('covers every required category', () => {
    expect(Object.keys(REQUIRED_ITEMS).sort()).toEqual([...COLLECT_CATEGORIES].sort());
    for (const category of COLLECT_CATEGORIES) {
      expect(
        catalog.some((i) => i.category === category),
        category,
      ).toBe(true);
    }
  });

  it.each(Object.entries(REQUIRED_ITEMS))(
    'holds the required %s items in their category',
    (category, ids) => {
      for (const id of ids) expect(byId.get(id)?.category, id).toBe(category);
    },
  );

  it('gives every item a unique id and every single-file item a unique zip name', () => {
    expect(new Set(catalog.map((i) => i.id)).size).toBe(catalog.length);
    const outputs = catalog.flatMap((i) => ('output' in i ? [`${i.category}/${i.output}`] : []));
    expect(new Set(outputs).size).toBe(outputs.length);
  });

  it('uses only known readers and relative paths', () => {
    for (const item of catalog) {
      if (item.kind === 'reader') expect(READER_NAMES).toContain(item.reader);
      if (item.kind === 'files') for (const p of item.paths) expect(p.startsWith('/'), p).toBe(false);
      if (item.kind === 'listing') for (const p of item.roots) expect(p.startsWith('/'), p).toBe(false);
    }
  });

  it.each([
    ['sudoers', ['etc/sudoers', 'etc/sudoers.d/*']],
    ['dns-files', ['etc/resolv.conf', 'etc/hosts', 'etc/nsswitch.conf']],
    ['authorized-keys', ['root/.ssh/authorized_keys*', 'home/*/.ssh/authorized_keys*']],
    ['shell-histories', ['root/.*history', 'home/*/.*history']],
    ['cron', ['etc/crontab', 'etc/cron.*/*', 'var/spool/cron/**']],
    ['ld-preload', ['etc/ld.so.preload']],
    ['auth-logs', ['var/log/auth.log*', 'var/log/secure*']],
    ['xdg-autostart', ['etc/xdg/autostart/*', 'home/*/.config/autostart/*']],
    ['user-units', ['home/*/.config/systemd/user/**']],
  ])('reads the spec paths for %s', (id, expected) => {
    expect(paths(id)).toEqual(expect.arrayContaining(expected));
  });

  it('lists tmp, var/tmp and dev/shm with hashes', () => {
    const item = byId.get('temp-listing');
    expect(item?.kind === 'listing' && item.hash).toBe(true);
    expect(item?.kind === 'listing' ? item.roots : []).toEqual(['tmp', 'var/tmp', 'dev/shm']);
  });
});
