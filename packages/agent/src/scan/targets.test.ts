import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devicePath, expandLocation, quickRoots } from './targets.js';

describe('quick scan locations', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'quell-targets-'));
    for (const d of ['home/alice/Downloads', 'home/bob/Downloads', 'home/.hidden/Downloads']) {
      await mkdir(join(root, d), { recursive: true });
    }
    await mkdir(join(root, 'etc/cron.daily'), { recursive: true });
    await writeFile(join(root, 'etc/crontab'), '');
    await writeFile(join(root, 'etc/rc.local'), '');
    await mkdir(join(root, 'elsewhere/Downloads'), { recursive: true });
    await symlink(join(root, 'elsewhere'), join(root, 'home/mallory'));
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('expands * within a segment, skipping dot entries and symlinks', async () => {
    expect(await expandLocation(root, 'home/*/Downloads')).toEqual([
      join(root, 'home/alice/Downloads'),
      join(root, 'home/bob/Downloads'),
    ]);
    expect(await expandLocation(root, 'etc/cron*')).toEqual([
      join(root, 'etc/cron.daily'),
      join(root, 'etc/crontab'),
    ]);
  });

  it('lists only what exists', async () => {
    const roots = (await quickRoots(root)).map((p) => devicePath(root, p));
    expect(roots).toEqual([
      '/home/alice/Downloads',
      '/home/bob/Downloads',
      '/etc/cron.daily',
      '/etc/crontab',
      '/etc/rc.local',
    ]);
  });

  it('reports device paths with fsRoot stripped', () => {
    expect(devicePath('/srv/root', '/srv/root/tmp/x')).toBe('/tmp/x');
    expect(devicePath('/', '/tmp/x')).toBe('/tmp/x');
  });
});
